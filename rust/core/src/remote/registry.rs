//! The process-wide store registry: options by URL prefix, registered once
//! (a gallery registers each region's `--store-option`s; a script calls
//! `imgrepl.register_store`) and found by every later `s3://`/`az://`
//! address below the prefix, like rclone's remotes in its config file.
//! Credentials can still come from the environment alone.
use std::sync::RwLock;

use super::bucket::Bucket;
use super::location::StoreConfig;
use super::options::StoreOptions;
use super::url::StoreUrl;
use crate::error::Result;

static REGISTRY: RwLock<Option<StoreConfig>> = RwLock::new(None);

/// Registers `options` for every object below `prefix`, replacing what
/// was registered for exactly that prefix.  The options are checked now
/// (unknown keys, bad values) so a typo fails at registration, not halfway
/// through a replication.
pub fn register(prefix: &str, options: StoreOptions) -> Result<()> {
    let url = StoreUrl::parse(prefix)?;
    Bucket::connect(&url, &options)?;
    let mut reg = REGISTRY
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    reg.get_or_insert_with(StoreConfig::new)
        .insert(prefix, options)
}

/// Forgets the options registered for exactly `prefix`; true if there were.
pub fn unregister(prefix: &str) -> Result<bool> {
    let url = StoreUrl::parse(prefix)?;
    let mut reg = REGISTRY
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    Ok(reg.as_mut().is_some_and(|c| c.remove(&url)))
}

/// The registered prefixes (never their options).
pub fn prefixes() -> Vec<String> {
    let reg = REGISTRY
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    reg.as_ref().map(StoreConfig::prefixes).unwrap_or_default()
}

/// The options for `url`: the longest registered prefix's, else none.
pub fn options_for(url: &StoreUrl) -> StoreOptions {
    let reg = REGISTRY
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    reg.as_ref().map(|c| c.options_for(url)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_options_reach_urls_below_the_prefix_only() {
        let opts =
            StoreOptions::from_pairs([("endpoint", "http://127.0.0.1:9"), ("allow_http", "true")])
                .unwrap();
        register("s3://reg-test-bkt/west", opts).unwrap();
        let below = StoreUrl::parse("s3://reg-test-bkt/west/a.vhd").unwrap();
        let beside = StoreUrl::parse("s3://reg-test-bkt/east/a.vhd").unwrap();
        assert_eq!(
            options_for(&below).get("endpoint"),
            Some("http://127.0.0.1:9")
        );
        assert!(options_for(&beside).is_empty());
        assert!(prefixes().contains(&"s3://reg-test-bkt/west".to_string()));
        assert!(unregister("s3://reg-test-bkt/west").unwrap());
        assert!(options_for(&below).is_empty());
        assert!(!unregister("s3://reg-test-bkt/west").unwrap());
    }

    #[test]
    fn bad_options_fail_at_registration() {
        let opts = StoreOptions::from_pairs([("no_such_setting", "1")]).unwrap();
        let err = register("s3://reg-test-bad", opts).unwrap_err().to_string();
        assert!(
            err.contains("\"no_such_setting\" is not an S3 setting"),
            "{err}"
        );
        assert!(!prefixes().contains(&"s3://reg-test-bad".to_string()));
    }
}
