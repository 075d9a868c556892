//! The S3 backend (`s3://bucket/key`): S3 and S3-compatible services
//! through object_store's AmazonS3 client.  Only what differs from other
//! object stores lives here (see `crate::remote`).  Settings: AWS_* environment variables first, then the store options
//! (`endpoint`, `allow_http`, `region`, `access_key_id`,
//! `secret_access_key`, `session_token`, `virtual_hosted_style_request`,
//! `unsigned_payload` (default true here)...).
use std::sync::Arc;

use object_store::aws::{AmazonS3, AmazonS3Builder, AmazonS3ConfigKey};
use object_store::{ObjectStore, RetryConfig};

use crate::error::Result;
use crate::remote::client::client_builder;
use crate::remote::url::check_name;
use crate::remote::{ObjectBackend, ObjectService, Service, StoreOptions};

/// The S3 service.
pub const SERVICE: Service = Service(&S3);
/// Its entry in `crate::store::registry`.
pub static BACKEND: ObjectBackend = ObjectBackend(SERVICE);

/// S3 refuses multipart parts under 5 MiB, except the last one.
pub const MIN_PART: u64 = 5 << 20;
/// S3 allows at most 10,000 parts per upload.
pub const MAX_PARTS: u64 = 10_000;
/// CopyObject copies at most 5 GiB in one request; larger objects would
/// need UploadPartCopy, which rclone serve s3 does not implement, so they
/// are streamed instead.
pub const MAX_SERVER_COPY: u64 = 5 << 30;

pub struct S3;

impl ObjectService for S3 {
    fn name(&self) -> &'static str {
        "s3"
    }

    fn schemes(&self) -> &'static [&'static str] {
        &["s3"]
    }

    fn shown(&self) -> &'static str {
        "s3://"
    }

    fn check_bucket(&self, bucket: &str) -> std::result::Result<(), String> {
        check_name("bucket", bucket, true)
    }

    fn reads_env(&self, var: &str) -> bool {
        var.starts_with("AWS_")
    }

    fn build(
        &self,
        bucket: &str,
        opts: &StoreOptions,
        retry: RetryConfig,
    ) -> Result<Arc<dyn ObjectStore>> {
        build(bucket, opts, retry)
    }

    /// At least 5 MiB a part, at most 10,000 parts.
    fn part_limits(&self, part_size: u64) -> (u64, u64) {
        (part_size.max(MIN_PART), MAX_PARTS)
    }

    /// CopyObject is atomic, up to 5 GiB.
    fn max_server_copy(&self) -> Option<u64> {
        Some(MAX_SERVER_COPY)
    }
}

fn build(bucket: &str, opts: &StoreOptions, retry: RetryConfig) -> Result<Arc<dyn ObjectStore>> {
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
    crate::remote::client::build(builder, opts.client_options(), retry, &address, opts)
}

client_builder!(
    AmazonS3Builder,
    AmazonS3ConfigKey,
    AmazonS3,
    "an S3 setting (e.g. endpoint, region, allow_http, access_key_id, \
     secret_access_key, session_token)"
);
