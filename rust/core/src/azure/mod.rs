//! The Azure backend (`az://container/key`, `azure://` too): Azure Blob
//! Storage and Azurite through object_store's MicrosoftAzure client.  Only
//! what differs from other object stores lives here (see `crate::remote`).
//! Settings: AZURE_* environment variables first, then the store options
//! (`account` or `account_name`, `access_key`, `sas_token`, `endpoint`,
//! `allow_http`, `use_emulator`...).
use std::sync::Arc;

use object_store::azure::{AzureConfigKey, MicrosoftAzure, MicrosoftAzureBuilder};
use object_store::{ObjectStore, RetryConfig};

use crate::error::Result;
use crate::remote::client::client_builder;
use crate::remote::url::check_name;
use crate::remote::{ObjectBackend, ObjectService, Service, StoreOptions};

/// The Azure Blob service.
pub const SERVICE: Service = Service(&Azure);
/// Its entry in `crate::store::registry`.
pub static BACKEND: ObjectBackend = ObjectBackend(SERVICE);

/// Block blobs hold at most 50,000 blocks.
pub const MAX_BLOCKS: u64 = 50_000;

/// Azurite's well-known development account and key (public, documented by
/// Microsoft): the defaults when `use_emulator=true`.
const EMULATOR_ACCOUNT: &str = "devstoreaccount1";
const EMULATOR_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

pub struct Azure;

impl ObjectService for Azure {
    fn name(&self) -> &'static str {
        "azure"
    }

    fn schemes(&self) -> &'static [&'static str] {
        &["az", "azure"]
    }

    fn shown(&self) -> &'static str {
        "az://"
    }

    /// As S3's but without dots, and no `--`.
    fn check_bucket(&self, container: &str) -> std::result::Result<(), String> {
        check_name("container", container, false)?;
        if container.contains("--") {
            return Err(format!(
                "container name {container:?} must not contain \"--\""
            ));
        }
        Ok(())
    }

    fn reads_env(&self, var: &str) -> bool {
        var.starts_with("AZURE_") || var.starts_with("AZURITE_") || var == "IDENTITY_ENDPOINT"
    }

    fn build(
        &self,
        container: &str,
        opts: &StoreOptions,
        retry: RetryConfig,
    ) -> Result<Arc<dyn ObjectStore>> {
        build(container, opts, retry)
    }

    /// Any part size, at most 50,000 blocks.
    fn part_limits(&self, part_size: u64) -> (u64, u64) {
        (part_size, MAX_BLOCKS)
    }

    // No server-side copy: Copy Blob may finish asynchronously
    // (x-ms-copy-status: pending) and object_store does not wait for it,
    // so the blob could be visible before it is complete.  Azure replicas
    // are streamed instead.
}

fn build(container: &str, opts: &StoreOptions, retry: RetryConfig) -> Result<Arc<dyn ObjectStore>> {
    let builder = MicrosoftAzureBuilder::from_env().with_container_name(container);
    let address = format!("Azure store az://{container}");
    crate::remote::client::build(builder, emulator_endpoint(opts), retry, &address, opts)
}

/// The client options, with `account` spelled as object_store wants it and
/// `use_emulator=true` + `endpoint=http://host:port` turned into a plain
/// account endpoint: object_store's emulator mode reads the address only
/// from $AZURITE_BLOB_STORAGE_URL, which cannot differ per region.
fn emulator_endpoint(opts: &StoreOptions) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = opts
        .client_options()
        .map(|(k, v)| {
            (
                if k == "account" { "account_name" } else { k }.to_string(),
                v.to_string(),
            )
        })
        .collect();
    let emulator = out
        .iter()
        .any(|(k, v)| k.ends_with("use_emulator") && v.eq_ignore_ascii_case("true"));
    let endpoint = out.iter().position(|(k, _)| k.ends_with("endpoint"));
    if let (true, Some(i)) = (emulator, endpoint) {
        out.retain(|(k, _)| !k.ends_with("use_emulator"));
        let account = if let Some((_, a)) = out.iter().find(|(k, _)| k.ends_with("account_name")) {
            a.clone()
        } else {
            out.push(("account_name".into(), EMULATOR_ACCOUNT.into()));
            EMULATOR_ACCOUNT.into()
        };
        if !out
            .iter()
            .any(|(k, _)| k.ends_with("key") || k.contains("sas") || k.contains("token"))
        {
            out.push(("access_key".into(), EMULATOR_KEY.into()));
        }
        let i = out
            .iter()
            .position(|(k, _)| k.ends_with("endpoint"))
            .unwrap_or(i);
        let base = out[i].1.trim_end_matches('/').to_string();
        if !base.ends_with(&format!("/{account}")) {
            out[i].1 = format!("{base}/{account}");
        }
        out.push(("allow_http".into(), "true".into()));
    }
    out
}

client_builder!(
    MicrosoftAzureBuilder,
    AzureConfigKey,
    MicrosoftAzure,
    "an Azure Blob setting (e.g. account, access_key, sas_token, endpoint, \
     allow_http, use_emulator)"
);

#[cfg(test)]
mod tests {
    use super::*;

    fn get<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
        pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn emulator_with_endpoint_becomes_an_account_endpoint() {
        let o = StoreOptions::from_pairs([
            ("use_emulator", "true"),
            ("endpoint", "http://127.0.0.1:1234/"),
        ])
        .unwrap();
        let pairs = emulator_endpoint(&o);
        assert_eq!(
            get(&pairs, "endpoint"),
            Some("http://127.0.0.1:1234/devstoreaccount1")
        );
        assert_eq!(get(&pairs, "account_name"), Some(EMULATOR_ACCOUNT));
        assert_eq!(get(&pairs, "access_key"), Some(EMULATOR_KEY));
        assert_eq!(get(&pairs, "use_emulator"), None);
    }

    #[test]
    fn account_alias_and_plain_settings_pass_through() {
        let o = StoreOptions::from_pairs([("account", "acct"), ("access_key", "a2V5")]).unwrap();
        let pairs = emulator_endpoint(&o);
        assert_eq!(get(&pairs, "account_name"), Some("acct"));
        assert_eq!(get(&pairs, "access_key"), Some("a2V5"));
        assert_eq!(get(&pairs, "endpoint"), None);
        let bad = StoreOptions::from_pairs([("bucket_colour", "red")]).unwrap();
        let err = build("cont", &bad, RetryConfig::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("\"bucket_colour\" is not an Azure Blob setting"),
            "{err}"
        );
    }
}
