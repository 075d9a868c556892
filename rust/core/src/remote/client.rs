//! What building an S3 or an Azure client shares: the store options set as
//! the backend's config keys (an unknown key is an error naming it), the
//! retry policy and HTTP connector, and build errors with secrets scrubbed.
use std::str::FromStr;
use std::sync::Arc;

use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::azure::{AzureConfigKey, MicrosoftAzureBuilder};
use object_store::{ObjectStore, RetryConfig};

use super::options::{scrub, StoreOptions};
use crate::error::{Error, Result};

/// One backend's client builder, as `build` drives it.
pub(crate) trait ClientBuilder: Sized {
    type Key: FromStr;
    type Client: ObjectStore;
    /// What a key must be, for the unknown-key error ("an S3 setting ...").
    const SETTINGS: &'static str;
    fn set(self, key: Self::Key, value: &str) -> Self;
    fn with_policy(self, retry: RetryConfig) -> Self;
    fn build(self) -> object_store::Result<Self::Client>;
}

/// `builder` with every `(key, value)` of `pairs` set, the retry policy and
/// connector; `address` (`s3://bucket`) names the store in errors.
pub(crate) fn build<B: ClientBuilder>(
    mut builder: B,
    pairs: impl IntoIterator<Item = (impl AsRef<str>, impl AsRef<str>)>,
    retry: RetryConfig,
    address: &str,
    opts: &StoreOptions,
) -> Result<Arc<dyn ObjectStore>> {
    for (key, value) in pairs {
        let key = key.as_ref();
        let parsed: B::Key = key.parse().map_err(|_| {
            Error::InvalidArgument(format!("store option {key:?} is not {}", B::SETTINGS))
        })?;
        builder = builder.set(parsed, value.as_ref());
    }
    let client = builder.with_policy(retry).build().map_err(|e| {
        Error::InvalidArgument(format!(
            "{address}: {}",
            scrub(&e.to_string(), &opts.secrets())
        ))
    })?;
    Ok(Arc::new(client))
}

/// Both builders spell these the same way but share no trait for them.
macro_rules! client_builder {
    ($builder:ty, $key:ty, $client:ty, $settings:expr) => {
        impl ClientBuilder for $builder {
            type Key = $key;
            type Client = $client;
            const SETTINGS: &'static str = $settings;

            fn set(self, key: Self::Key, value: &str) -> Self {
                self.with_config(key, value)
            }

            fn with_policy(self, retry: RetryConfig) -> Self {
                self.with_retry(retry)
                    .with_http_connector(super::http::Connector)
            }

            fn build(self) -> object_store::Result<Self::Client> {
                <$builder>::build(self)
            }
        }
    };
}

client_builder!(
    AmazonS3Builder,
    AmazonS3ConfigKey,
    object_store::aws::AmazonS3,
    "an S3 setting (e.g. endpoint, region, allow_http, access_key_id, \
     secret_access_key, session_token)"
);
client_builder!(
    MicrosoftAzureBuilder,
    AzureConfigKey,
    object_store::azure::MicrosoftAzure,
    "an Azure Blob setting (e.g. account, access_key, sas_token, endpoint, \
     allow_http, use_emulator)"
);
