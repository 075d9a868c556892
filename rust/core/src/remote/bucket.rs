//! A connected bucket or container, and the small operations every object
//! path needs (head, ranged get, put, delete, server-side copy, list).
//! Clients are cached per bucket and options, so one connection pool
//! serves all the replicas in a bucket; their I/O runs on the store runtime.
use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures::TryStreamExt;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

use super::error::{store_error, store_failure};
use super::options::StoreOptions;
use super::retry::Tuning;
use super::service::Service;
use super::url::StoreUrl;
use crate::error::Result;

/// One bucket (S3) or container (Azure) with its client and policy.
pub struct Bucket {
    client: Arc<dyn ObjectStore>,
    service: Service,
    name: String,
    tuning: Tuning,
    secrets: Arc<[String]>,
}

/// (service, bucket, options, the service's environment variables, pid):
/// a client built from other variables (a changed AWS_ENDPOINT, say) is
/// not reused, and a forked child builds its own clients, since the
/// parent's are tied to a runtime the child does not have.
type CacheKey = (Service, String, StoreOptions, Vec<(String, String)>, u32);
static CLIENTS: Mutex<Option<HashMap<CacheKey, Arc<Bucket>>>> = Mutex::new(None);

/// The variables object_store's builder reads for `service`.
fn environment(service: Service) -> Vec<(String, String)> {
    let mut vars: Vec<(String, String)> = std::env::vars()
        .filter(|(k, _)| service.reads_env(k))
        .collect();
    vars.sort();
    vars
}

impl Bucket {
    /// The store holding `url`, built from the environment and `opts` (bad
    /// options fail here, before any request); reused for equal arguments.
    pub fn connect(url: &StoreUrl, opts: &StoreOptions) -> Result<Arc<Bucket>> {
        let key = cache_key(url, opts);
        let mut cache = CLIENTS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(store) = cache.as_ref().and_then(|c| c.get(&key)) {
            return Ok(Arc::clone(store));
        }
        let tuning = Tuning::from_options(opts)?;
        let client = url
            .service()
            .build(url.bucket(), opts, tuning.retry.clone())?;
        let store = Arc::new(Bucket {
            client,
            service: url.service(),
            name: url.bucket().to_string(),
            tuning,
            secrets: opts.secrets().into(),
        });
        cache
            .get_or_insert_with(HashMap::new)
            .insert(key, Arc::clone(&store));
        Ok(store)
    }

    /// A store over object_store's in-memory backend, for unit tests.
    #[cfg(test)]
    pub(crate) fn in_memory(service: Service, opts: &StoreOptions) -> Arc<Bucket> {
        Bucket::in_memory_slow(service, opts, std::time::Duration::ZERO)
    }

    /// An in-memory bucket that `connect` hands out for `url`'s bucket and
    /// `opts` from now on (in this process), so `RemoteLocation`s parsed
    /// from URLs reach it: the conformance suite's object stores.
    #[cfg(test)]
    pub(crate) fn install_in_memory(url: &StoreUrl, opts: &StoreOptions) -> Arc<Bucket> {
        let mut bucket = Bucket::in_memory(url.service(), opts);
        Arc::get_mut(&mut bucket).expect("new").name = url.bucket().to_string();
        let mut cache = CLIENTS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        cache
            .get_or_insert_with(HashMap::new)
            .insert(cache_key(url, opts), Arc::clone(&bucket));
        bucket
    }

    /// The same, each write taking `delay` (see `test_store`).
    #[cfg(test)]
    pub(crate) fn in_memory_slow(
        service: Service,
        opts: &StoreOptions,
        delay: std::time::Duration,
    ) -> Arc<Bucket> {
        Arc::new(Bucket {
            client: Arc::new(super::test_store::WireStore::new(delay)),
            service,
            name: "bkt".into(),
            tuning: Tuning::from_options(opts).expect("test options are valid"),
            secrets: opts.secrets().into(),
        })
    }

    pub fn service(&self) -> Service {
        self.service
    }

    pub fn tuning(&self) -> &Tuning {
        &self.tuning
    }

    pub(crate) fn client(&self) -> Arc<dyn ObjectStore> {
        Arc::clone(&self.client)
    }

    /// `err` as an `Error::Store` naming `op` and `url`, secrets scrubbed.
    pub(crate) fn error(
        &self,
        op: &'static str,
        url: &StoreUrl,
        err: &(dyn std::error::Error + 'static),
    ) -> crate::error::Error {
        store_error(op, url, &self.secrets, err)
    }

    /// Whether this service copies `size` bytes server-side atomically
    /// (see `ObjectService::max_server_copy`).
    pub fn copies_server_side(&self, size: u64) -> bool {
        self.service
            .max_server_copy()
            .is_some_and(|max| size <= max)
    }

    /// Size of the object at `url`, or None if there is none.
    pub async fn head(&self, url: &StoreUrl) -> Result<Option<u64>> {
        match self.client.head(self.key(url)).await {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.error("stat", url, &e)),
        }
    }

    /// Bytes `range` of the object at `url`; a short answer is an error.
    pub async fn get_range(&self, url: &StoreUrl, range: Range<u64>) -> Result<Bytes> {
        let bytes = (self.client.get_range(self.key(url), range.clone()).await)
            .map_err(|e| self.error("read", url, &e))?;
        if bytes.len() as u64 != range.end - range.start {
            return Err(store_failure(
                "read",
                url,
                format!("asked for bytes {range:?}, got {} bytes", bytes.len()),
            ));
        }
        Ok(bytes)
    }

    /// The whole (small) object at `url`, or None if there is none.
    pub async fn get_all(&self, url: &StoreUrl) -> Result<Option<Bytes>> {
        let got = match self.client.get(self.key(url)).await {
            Ok(r) => r.bytes().await,
            Err(e) => Err(e),
        };
        match got {
            Ok(bytes) => Ok(Some(bytes)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.error("read", url, &e)),
        }
    }

    /// Writes `data` to `url` in one request (atomic: all or nothing).
    pub async fn put(&self, url: &StoreUrl, data: Bytes) -> Result<()> {
        (self.client.put(self.key(url), PutPayload::from(data)).await)
            .map(drop)
            .map_err(|e| self.error("write", url, &e))
    }

    /// Removes the object at `url`; an object that is already gone is fine.
    pub async fn delete(&self, url: &StoreUrl) -> Result<()> {
        match self.client.delete(self.key(url)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(self.error("delete", url, &e)),
        }
    }

    /// Server-side copy (see `copies_server_side`); replaces `to` atomically.
    pub async fn copy(&self, from: &StoreUrl, to: &StoreUrl) -> Result<()> {
        (self.client.copy(self.key(from), self.key(to)).await)
            .map_err(|e| self.error("server-side copy to", to, &e))
    }

    /// Objects below `prefix` (recursively), with their sizes.
    pub async fn list(&self, prefix: &StoreUrl) -> Result<Vec<(StoreUrl, u64)>> {
        let key = self.key(prefix);
        let prefix_key = (!key.as_ref().is_empty()).then_some(key);
        let metas = (self.client.list(prefix_key).try_collect::<Vec<_>>().await)
            .map_err(|e| self.error("list", prefix, &e))?;
        let root = StoreUrl::parse(&format!("{}://{}", self.service.scheme(), self.name))?;
        metas
            .into_iter()
            .map(|m| Ok((root.join(m.location.as_ref())?, m.size)))
            .collect()
    }

    fn key<'u>(&self, url: &'u StoreUrl) -> &'u object_store::path::Path {
        debug_assert_eq!(
            (url.service(), url.bucket()),
            (self.service, self.name.as_str())
        );
        url.key()
    }
}

/// (service, bucket, options, the service's environment variables, pid).
fn cache_key(url: &StoreUrl, opts: &StoreOptions) -> CacheKey {
    (
        url.service(),
        url.bucket().to_string(),
        opts.clone(),
        environment(url.service()),
        std::process::id(),
    )
}
