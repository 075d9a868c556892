//! S3 and S3-compatible services through object_store's AmazonS3 client.
//! Settings: AWS_* environment variables first, then the store options
//! (`endpoint`, `allow_http`, `region`, `access_key_id`,
//! `secret_access_key`, `session_token`, `virtual_hosted_style_request`,
//! `unsigned_payload` (default true here)...).
use std::sync::Arc;

use object_store::aws::AmazonS3Builder;
use object_store::{ObjectStore, RetryConfig};

use super::options::StoreOptions;
use crate::error::Result;

/// S3 refuses multipart parts under 5 MiB, except the last one.
pub const MIN_PART: u64 = 5 << 20;
/// S3 allows at most 10,000 parts per upload.
pub const MAX_PARTS: u64 = 10_000;
/// CopyObject copies at most 5 GiB in one request; larger objects would
/// need UploadPartCopy, which rclone serve s3 does not implement, so they
/// are streamed instead.
pub const MAX_SERVER_COPY: u64 = 5 << 30;

pub(crate) fn build(
    bucket: &str,
    opts: &StoreOptions,
    retry: RetryConfig,
) -> Result<Arc<dyn ObjectStore>> {
    let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket);
    if std::env::var_os("AWS_UNSIGNED_PAYLOAD").is_none() {
        // Each chunk is hashed once (xxh3-128, into the manifest that
        // verification re-reads against), so SigV4's SHA-256 of every part
        // of every replica would hash the bytes N more times on both ends
        // for nothing; over HTTPS TLS guards the body in transit, as AWS's
        // own SDKs assume.  `unsigned_payload=false` signs payloads again.
        builder = builder.with_unsigned_payload(true);
    }
    let address = format!("S3 store s3://{bucket}");
    super::client::build(builder, opts.client_options(), retry, &address, opts)
}
