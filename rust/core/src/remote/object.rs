//! An object address as a `Store`: what the engine's source, sink,
//! manifest, repair and server-copy calls do for an object in any
//! registered object service.
use std::any::Any;
use std::path::PathBuf;
use std::time::Duration;

use bytes::Bytes;
use futures::future::BoxFuture;

use super::location::RemoteLocation;
use super::sink::{already_exists, RemoteSink};
use super::source::RemoteSource;
use crate::error::Result;
use crate::location::Location;
use crate::manifest::{Manifest, MANIFEST_SUFFIX};
use crate::repair::RepairReport;
use crate::runtime::block_on;
use crate::sink::{Sink, SinkOptions};
use crate::source::Source;
use crate::store::{unsupported, Capabilities, Store};

/// How long the up-front existence check may hold up a job's start.
const EXISTS_CHECK_TIMEOUT: Duration = Duration::from_secs(5);

impl Store for RemoteLocation {
    fn backend(&self) -> &'static str {
        self.url.service().name()
    }

    fn key(&self) -> String {
        format!("{} {:?}", self.url, self.options)
    }

    fn identity(&self) -> Location {
        Location::new(RemoteLocation::identity(self))
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            server_copy: self.url.service().max_server_copy().is_some(),
            ranged_read: true,
            multipart: true,
            keeps_holes: false,
            resume: false,
            repair_in_place: false,
        }
    }

    fn open_source(&self, at: &Location) -> Result<Box<dyn Source>> {
        Ok(Box::new(RemoteSource::open(self, at.clone())?))
    }

    fn open_sink(&self, at: &Location, opts: &SinkOptions) -> Result<Box<dyn Sink>> {
        Ok(Box::new(RemoteSink::open(self, at.clone(), opts)?))
    }

    fn stat(&self) -> BoxFuture<'_, Result<Option<u64>>> {
        Box::pin(async move { self.bucket()?.head(&self.url).await })
    }

    fn delete(&self) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move { self.bucket()?.delete(&self.url).await })
    }

    fn read_all(&self) -> BoxFuture<'_, Result<Option<Bytes>>> {
        Box::pin(async move { self.bucket()?.get_all(&self.url).await })
    }

    fn write_all(&self, data: Bytes) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move { self.bucket()?.put(&self.url, data).await })
    }

    /// `KEY.imgrepl-manifest` beside the object, with the same options.
    fn manifest_location(&self) -> Result<Location> {
        Ok(Location::new(RemoteLocation {
            url: self.url.with_suffix(MANIFEST_SUFFIX)?,
            options: self.options.clone(),
        }))
    }

    /// A store that cannot be asked in time (down, refusing, silent) is
    /// not the caller's error and must not delay the other destinations
    /// for its whole retry budget: the destination's own sink then fails
    /// alone (and checks again before it commits).
    fn check_not_existing(&self, overwrite: bool) -> Result<()> {
        if overwrite {
            return Ok(());
        }
        let Ok(store) = self.bucket() else {
            return Ok(());
        };
        // The timer must be made inside the runtime, hence the async block.
        let head = store.head(&self.url);
        let exists = block_on(async { tokio::time::timeout(EXISTS_CHECK_TIMEOUT, head).await });
        match exists {
            Ok(Ok(Some(_))) => Err(already_exists(&self.url)),
            _ => Ok(()),
        }
    }

    fn list(&self) -> BoxFuture<'_, Result<Vec<(String, u64)>>> {
        Box::pin(async move {
            let found = self.bucket()?.list(&self.url).await?;
            Ok(found
                .into_iter()
                .map(|(u, size)| (u.to_string(), size))
                .collect())
        })
    }

    /// Objects cannot be patched: a new object replaces the old one.
    fn repair(
        &self,
        at: &Location,
        good: &dyn Source,
        m: &Manifest,
        manifest_path: PathBuf,
    ) -> Result<RepairReport> {
        super::repair::repair_object(self, at, good, m, &manifest_path)
    }

    /// Same service, bucket and options, and a size the service copies
    /// atomically.
    fn can_copy_from(&self, from: &Location, size: u64) -> bool {
        let Some(src) = from.downcast::<RemoteLocation>() else {
            return false;
        };
        let copies =
            |bucket: std::sync::Arc<super::bucket::Bucket>| bucket.copies_server_side(size);
        src.same_service(self) && src.bucket().is_ok_and(copies)
    }

    fn copy_from<'a>(
        &'a self,
        from: &'a Location,
        manifest: Bytes,
    ) -> BoxFuture<'a, Result<String>> {
        Box::pin(async move {
            let src = from.downcast::<RemoteLocation>();
            let Some(src) = src.filter(|_| self.capabilities().server_copy) else {
                return Err(unsupported("server-side copy", self));
            };
            let store = self.bucket()?;
            let manifest_url = self.url.with_suffix(MANIFEST_SUFFIX)?;
            store.put(&manifest_url, manifest).await?;
            if let Err(err) = store.copy(&src.url, &self.url).await {
                let _ = store.delete(&manifest_url).await;
                return Err(err);
            }
            Ok(manifest_url.to_string())
        })
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
