//! Object addresses, `scheme://bucket/key` (`s3://bucket/key`,
//! `az://container/key`, whatever services are registered).  A parsed URL
//! never holds credentials: addresses that carry them (user:pass@, SAS query
//! strings) are refused with a message that does not repeat them.
use std::fmt;

use object_store::path::Path as ObjectPath;

use super::service::Service;
use crate::error::{Error, Result};

/// A bucket (S3) or container (Azure) and a key inside it.  The key may be
/// empty when the URL names a region's root rather than one object.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StoreUrl {
    service: Service,
    bucket: String,
    key: ObjectPath,
}

impl StoreUrl {
    /// Parses `s3://bucket[/key]` or `az://container[/key]` (`azure://` is
    /// accepted as a synonym of `az://`).
    pub fn parse(text: &str) -> Result<StoreUrl> {
        let shown = redacted(text);
        let (scheme, rest) = text.split_once("://").ok_or_else(|| {
            bad(
                &shown,
                "not a URL (expected s3://bucket/key or az://container/key)",
            )
        })?;
        let service = Service::from_scheme(scheme).ok_or_else(|| {
            bad(
                &shown,
                &format!(
                    "scheme {scheme:?} is not an object store ({})",
                    Service::schemes_shown()
                ),
            )
        })?;
        if rest.contains(['?', '#']) {
            return Err(bad(
                &shown,
                "query strings are not accepted in store URLs (they can carry SAS tokens); \
                 pass credentials as store options",
            ));
        }
        let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.contains('@') {
            return Err(bad(
                &shown,
                "credentials in the URL are not accepted; pass them as store options",
            ));
        }
        service
            .check_bucket(bucket)
            .map_err(|why| bad(&shown, &why))?;
        let key = parse_key(key).map_err(|why| bad(&shown, &why))?;
        Ok(StoreUrl {
            service,
            bucket: bucket.to_string(),
            key,
        })
    }

    /// The service this URL's scheme names.
    pub fn service(&self) -> Service {
        self.service
    }

    /// The bucket (S3) or container (Azure).
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// The object key inside the bucket ("" for the bucket's root).
    pub fn key(&self) -> &ObjectPath {
        &self.key
    }

    /// The URL of `name` below this one; `name` may contain `/`.
    pub fn join(&self, name: &str) -> Result<StoreUrl> {
        let tail = parse_key(name).map_err(|why| bad(&format!("{self}/{name}"), &why))?;
        let key: ObjectPath = self.key.parts().chain(tail.parts()).collect();
        Ok(StoreUrl {
            key,
            ..self.clone()
        })
    }

    /// The same key with `suffix` appended to its last segment, e.g. the
    /// manifest `disk.vhd.imgrepl-manifest` beside `disk.vhd`.
    pub fn with_suffix(&self, suffix: &str) -> Result<StoreUrl> {
        if self.key.as_ref().is_empty() {
            return Err(bad(&self.to_string(), "names a bucket, not an object"));
        }
        let key = parse_key(&format!("{}{suffix}", self.key))
            .map_err(|why| bad(&format!("{self}{suffix}"), &why))?;
        Ok(StoreUrl {
            key,
            ..self.clone()
        })
    }
}

impl fmt::Display for StoreUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}", self.service.scheme(), self.bucket)?;
        if !self.key.as_ref().is_empty() {
            write!(f, "/{}", self.key)?;
        }
        Ok(())
    }
}

fn bad(shown: &str, why: &str) -> Error {
    Error::InvalidArgument(format!("store URL {shown}: {why}"))
}

/// The URL with any `userinfo@` and query string replaced, for messages.
fn redacted(text: &str) -> String {
    let (scheme, rest) = match text.split_once("://") {
        Some((scheme, rest)) => (format!("{scheme}://"), rest),
        None => (String::new(), text),
    };
    let rest = match rest.split_once(['?', '#']) {
        Some((head, _)) => format!("{head}?<redacted>"),
        None => rest.to_string(),
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let rest = match rest[..authority_end].rfind('@') {
        Some(at) => format!("<redacted>@{}", &rest[at + 1..]),
        None => rest,
    };
    format!("{scheme}{rest}")
}

/// The naming rule buckets and containers share: 3-63 of a-z 0-9 - (and
/// `.` when `dots`), starting and ending with a letter or digit; `what`
/// ("bucket", "container") names it in the message.
pub fn check_name(what: &str, bucket: &str, dots: bool) -> std::result::Result<(), String> {
    if bucket.is_empty() {
        return Err(format!("no {what} name"));
    }
    let allowed =
        |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || (c == '.' && dots);
    let edges_ok = bucket.starts_with(|c: char| c.is_ascii_alphanumeric())
        && bucket.ends_with(|c: char| c.is_ascii_alphanumeric());
    if !(3..=63).contains(&bucket.len()) || !bucket.chars().all(allowed) || !edges_ok {
        return Err(format!(
            "{what} name {bucket:?} must be 3-63 lower-case letters, digits or hyphens{}, \
             starting and ending with a letter or digit",
            if dots { " (or dots)" } else { "" }
        ));
    }
    Ok(())
}

/// An object key: `/`-separated segments, none empty, `.` or `..` (servers
/// such as rclone and MinIO map keys to paths and refuse those).
fn parse_key(key: &str) -> std::result::Result<ObjectPath, String> {
    let trimmed = key.strip_suffix('/').unwrap_or(key);
    if trimmed.starts_with('/') || trimmed.contains("//") {
        return Err(format!("key {key:?} has an empty segment"));
    }
    ObjectPath::parse(trimmed).map_err(|e| format!("key {key:?}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_round_trip_through_display() {
        for text in [
            "s3://bkt/a/b.vhd",
            "az://cont/x",
            "s3://my.bucket",
            "az://c0n/p/q/r",
        ] {
            assert_eq!(StoreUrl::parse(text).unwrap().to_string(), text);
        }
        let az = StoreUrl::parse("azure://images/disk.vhd").unwrap();
        assert_eq!(az.service().name(), "azure");
        assert_eq!(az.to_string(), "az://images/disk.vhd");
        let u = StoreUrl::parse("s3://bkt/region/").unwrap();
        assert_eq!((u.bucket(), u.key().as_ref()), ("bkt", "region"));
    }

    #[test]
    fn join_and_suffix_build_keys_below_a_prefix() {
        let root = StoreUrl::parse("s3://bkt/westeu").unwrap();
        let obj = root.join("g/1.0.0/os.vhd").unwrap();
        assert_eq!(obj.to_string(), "s3://bkt/westeu/g/1.0.0/os.vhd");
        let manifest = obj.with_suffix(".imgrepl-manifest").unwrap();
        assert_eq!(
            manifest.key().as_ref(),
            "westeu/g/1.0.0/os.vhd.imgrepl-manifest"
        );
        assert!(StoreUrl::parse("s3://bkt")
            .unwrap()
            .with_suffix(".m")
            .is_err());
        assert!(root.join("a/../b").is_err());
    }

    #[test]
    fn bad_urls_name_what_is_wrong() {
        let cases = [
            ("s3:/bkt/k", "not a URL"),
            ("gs://bkt/k", "scheme \"gs\""),
            ("s3:///k", "no bucket"),
            ("s3://Bkt/k", "must be 3-63"),
            ("s3://ab/k", "must be 3-63"),
            ("az://my.cont/k", "must be 3-63"),
            ("az://a--b/k", "--"),
            ("s3://bkt/a//b", "empty segment"),
            ("s3://bkt/a/../b", "key"),
        ];
        for (text, want) in cases {
            let err = StoreUrl::parse(text).unwrap_err().to_string();
            assert!(err.contains(want), "{text}: {err}");
            assert!(
                err.starts_with("invalid argument: store URL"),
                "{text}: {err}"
            );
        }
    }

    #[test]
    fn credentials_in_urls_are_refused_without_being_repeated() {
        for text in [
            "s3://AKIDEXAMPLE:wJalrXUtnFEMI@bkt/k",
            "az://cont/k?sv=2020&sig=wJalrXUtnFEMI",
            "az://user:wJalrXUtnFEMI@cont/k#frag",
            "https://acct.blob.core.windows.net/c?sig=wJalrXUtnFEMI",
        ] {
            let err = StoreUrl::parse(text).unwrap_err().to_string();
            assert!(!err.contains("wJalrXUtnFEMI"), "secret leaked: {err}");
            assert!(err.contains("<redacted>"), "{err}");
        }
    }
}
