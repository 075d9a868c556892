//! A test store that behaves like a real client over the network: object
//! data lives in object_store's in-memory backend, but a part's payload is
//! held only while its "request" runs (an optional delay) and the stored
//! bytes are a copy, as a server's would be.  (InMemory alone keeps every
//! part's payload until the upload completes, which no real client does
//! and which would pin the pipeline's shared buffers.)
use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use futures::stream::BoxStream;
use object_store::memory::InMemory;
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    PutMultipartOptions, PutOptions, PutPayload, PutResult, Result, UploadPart,
};

#[derive(Debug, Default)]
pub struct WireStore {
    inner: InMemory,
    /// How long each write request takes.
    delay: Duration,
}

impl WireStore {
    pub fn new(delay: Duration) -> WireStore {
        WireStore {
            inner: InMemory::new(),
            delay,
        }
    }
}

/// What a server stores: its own copy of the request body.
fn received(payload: &PutPayload) -> PutPayload {
    let mut copy = Vec::with_capacity(payload.content_length());
    payload.iter().for_each(|b| copy.extend_from_slice(b));
    PutPayload::from(copy)
}

impl fmt::Display for WireStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WireStore({:?})", self.delay)
    }
}

#[async_trait]
impl ObjectStore for WireStore {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> Result<PutResult> {
        tokio::time::sleep(self.delay).await;
        self.inner
            .put_opts(location, received(&payload), opts)
            .await
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> Result<Box<dyn MultipartUpload>> {
        let inner = self.inner.put_multipart_opts(location, opts).await?;
        Ok(Box::new(WireUpload {
            inner,
            delay: self.delay,
        }))
    }

    async fn get_opts(&self, location: &Path, options: GetOptions) -> Result<GetResult> {
        self.inner.get_opts(location, options).await
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, Result<Path>>,
    ) -> BoxStream<'static, Result<Path>> {
        self.inner.delete_stream(locations)
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, Result<ObjectMeta>> {
        self.inner.list(prefix)
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> Result<ListResult> {
        self.inner.list_with_delimiter(prefix).await
    }

    async fn copy_opts(&self, from: &Path, to: &Path, options: CopyOptions) -> Result<()> {
        self.inner.copy_opts(from, to, options).await
    }
}

#[derive(Debug)]
struct WireUpload {
    inner: Box<dyn MultipartUpload>,
    delay: Duration,
}

#[async_trait]
impl MultipartUpload for WireUpload {
    fn put_part(&mut self, data: PutPayload) -> UploadPart {
        let stored = self.inner.put_part(received(&data));
        let delay = self.delay;
        Box::pin(async move {
            tokio::time::sleep(delay).await;
            // The request has ended: only now is the body let go.
            drop(data);
            stored.await
        })
    }

    async fn complete(&mut self) -> Result<PutResult> {
        self.inner.complete().await
    }

    async fn abort(&mut self) -> Result<()> {
        self.inner.abort().await
    }
}
