//! What building any object-store client shares: the store options set as
//! the service's config keys (an unknown key is an error naming it), the
//! retry policy and HTTP connector, and build errors with secrets scrubbed.
//! Each service folder implements `ClientBuilder` with `client_builder!`.
use std::str::FromStr;
use std::sync::Arc;

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

/// Implements `ClientBuilder` for an object_store builder (they spell
/// these the same way but share no trait for them):
/// `client_builder!(Builder, ConfigKey, Client, "an X setting (e.g. ...)")`.
macro_rules! client_builder {
    ($builder:ty, $key:ty, $client:ty, $settings:expr) => {
        impl $crate::remote::client::ClientBuilder for $builder {
            type Key = $key;
            type Client = $client;
            const SETTINGS: &'static str = $settings;

            fn set(self, key: Self::Key, value: &str) -> Self {
                self.with_config(key, value)
            }

            fn with_policy(self, retry: object_store::RetryConfig) -> Self {
                self.with_retry(retry)
                    .with_http_connector($crate::remote::http::Connector)
            }

            fn build(self) -> object_store::Result<Self::Client> {
                <$builder>::build(self)
            }
        }
    };
}
pub(crate) use client_builder;
