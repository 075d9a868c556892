//! The HTTP client under both backends: reqwest with all I/O spawned on the
//! store runtime (so requests keep working whatever runtime awaits them),
//! plus one compatibility fix.  Some S3-compatible servers (rclone serve s3
//! among them) answer a ranged GET with `200 OK` and a correct
//! `Content-Range` instead of `206 Partial Content`; object_store refuses
//! that as a full response, so such answers are relabelled 206.  A 200
//! without `Content-Range` (a server that ignored the range) is left alone
//! and still fails.
use async_trait::async_trait;
use object_store::client::{
    HttpClient, HttpConnector, HttpError, HttpRequest, HttpResponse, HttpService,
    SpawnedReqwestConnector,
};
use object_store::ClientOptions;

use crate::runtime::runtime;

#[derive(Debug, Default)]
pub(crate) struct Connector;

impl HttpConnector for Connector {
    fn connect(&self, options: &ClientOptions) -> object_store::Result<HttpClient> {
        let spawned = SpawnedReqwestConnector::new(runtime().handle().clone());
        Ok(HttpClient::new(RangeAsPartial(spawned.connect(options)?)))
    }
}

#[derive(Debug)]
struct RangeAsPartial(HttpClient);

#[async_trait]
impl HttpService for RangeAsPartial {
    async fn call(&self, req: HttpRequest) -> Result<HttpResponse, HttpError> {
        let ranged = req.headers().contains_key("range");
        let mut resp = self.0.execute(req).await?;
        if ranged && resp.status().as_u16() == 200 && resp.headers().contains_key("content-range") {
            *resp.status_mut() = 206u16.try_into().expect("206 is a valid status");
        }
        Ok(resp)
    }
}
