//! An object address as the engine carries it: the object's URL plus the
//! options of the store that holds it (which never print).  `StoreConfig`
//! maps URL prefixes to options, e.g. one entry per gallery region.
use std::fmt;
use std::sync::Arc;

use super::bucket::Bucket;
use super::options::StoreOptions;
use super::url::StoreUrl;
use crate::error::Result;

/// An object in a bucket or container, with its store's options.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct RemoteLocation {
    pub url: StoreUrl,
    pub options: StoreOptions,
}

impl RemoteLocation {
    /// Parses the URL; its options are the registered ones for it (see
    /// `registry`), over the environment's.
    pub fn parse(text: &str) -> Result<RemoteLocation> {
        let url = StoreUrl::parse(text)?;
        let options = super::registry::options_for(&url);
        Ok(RemoteLocation { url, options })
    }

    /// The connected bucket holding this object.
    pub fn bucket(&self) -> Result<Arc<Bucket>> {
        Bucket::connect(&self.url, &self.options)
    }

    /// `KEY.imgrepl-manifest` beside the object.
    pub fn manifest_url(&self) -> Result<StoreUrl> {
        self.url.with_suffix(crate::manifest::MANIFEST_SUFFIX)
    }

    pub fn backend(&self) -> &'static str {
        self.url.service().name()
    }

    /// Same service, bucket and options: one service that can copy between
    /// them.
    pub fn same_service(&self, other: &RemoteLocation) -> bool {
        self.url.service() == other.url.service()
            && self.url.bucket() == other.url.bucket()
            && self.options == other.options
    }

    /// What names the object: its URL and the service it is on (endpoint,
    /// account), not the credentials used to reach it.
    #[must_use]
    pub fn identity(&self) -> RemoteLocation {
        let naming =
            |k: &str| k.contains("endpoint") || k.contains("account_name") || k == "account";
        let kept = self.options.iter().filter(|(k, _)| naming(k));
        RemoteLocation {
            url: self.url.clone(),
            options: StoreOptions::from_pairs(kept).unwrap_or_default(),
        }
    }
}

impl fmt::Display for RemoteLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.url.fmt(f)
    }
}

impl fmt::Debug for RemoteLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RemoteLocation({} {:?})", self.url, self.options)
    }
}

/// Store options by URL prefix; the longest prefix that contains a URL
/// wins (`s3://bkt` for the bucket, `s3://bkt/westeu` for one region).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StoreConfig {
    entries: Vec<(StoreUrl, StoreOptions)>,
}

impl StoreConfig {
    pub fn new() -> StoreConfig {
        StoreConfig::default()
    }

    /// Adds options for every object below `prefix` (an s3:// or az:// URL).
    pub fn insert(&mut self, prefix: &str, options: StoreOptions) -> Result<()> {
        let url = StoreUrl::parse(prefix)?;
        self.entries.retain(|(u, _)| *u != url);
        self.entries.push((url, options));
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Forgets the entry for exactly `prefix`; true if there was one.
    pub fn remove(&mut self, prefix: &StoreUrl) -> bool {
        let before = self.entries.len();
        self.entries.retain(|(u, _)| u != prefix);
        self.entries.len() != before
    }

    /// The prefixes, as URLs (never the options).
    pub fn prefixes(&self) -> Vec<String> {
        self.entries.iter().map(|(u, _)| u.to_string()).collect()
    }

    /// The options for `url`: the longest matching prefix's, else none.
    pub fn options_for(&self, url: &StoreUrl) -> StoreOptions {
        self.entries
            .iter()
            .filter(|(prefix, _)| contains(prefix, url))
            .max_by_key(|(prefix, _)| prefix.key().parts().count())
            .map(|(_, o)| o.clone())
            .unwrap_or_default()
    }
}

/// `prefix` is `url` or one of its parent "directories".
fn contains(prefix: &StoreUrl, url: &StoreUrl) -> bool {
    prefix.service() == url.service()
        && prefix.bucket() == url.bucket()
        && url.key().prefix_matches(prefix.key())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(endpoint: &str) -> StoreOptions {
        StoreOptions::from_pairs([("endpoint", endpoint)]).unwrap()
    }

    #[test]
    fn longest_prefix_wins_and_buckets_do_not_leak() {
        let mut cfg = StoreConfig::new();
        cfg.insert("s3://bkt", opts("http://a")).unwrap();
        cfg.insert("s3://bkt/west", opts("http://b")).unwrap();
        let at = |u: &str| cfg.options_for(&StoreUrl::parse(u).unwrap());
        assert_eq!(at("s3://bkt/west/x.vhd").get("endpoint"), Some("http://b"));
        assert_eq!(
            at("s3://bkt/western/x.vhd").get("endpoint"),
            Some("http://a")
        );
        assert_eq!(at("s3://bkt/east/x.vhd").get("endpoint"), Some("http://a"));
        assert!(at("s3://other/x.vhd").is_empty());
        assert!(at("az://bkt/x.vhd").is_empty());
    }

    #[test]
    fn debug_shows_the_url_but_not_secrets() {
        let mut r = RemoteLocation::parse("s3://bkt/a.vhd").unwrap();
        r.options = StoreOptions::from_pairs([("secret_access_key", "hunter2hunter2")]).unwrap();
        let shown = format!("{r:?} {r}");
        assert!(
            shown.contains("s3://bkt/a.vhd") && !shown.contains("hunter2"),
            "{shown}"
        );
    }
}
