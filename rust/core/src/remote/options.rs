//! Store options: `key=value` settings from a region's registration
//! (`--store-option endpoint=...`) or a copy call, layered over the usual
//! environment variables (AWS_*, AZURE_STORAGE_*).  Values of anything but
//! a short list of harmless keys are secrets: never shown in `Debug`, and
//! scrubbed from error messages.
use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use crate::error::{Error, Result};

/// Keys whose values may appear in reprs and logs.  Everything else (keys,
/// secrets, tokens, SAS strings, and keys we do not know) is redacted.
const SHOWN: &[&str] = &[
    "endpoint",
    "endpoint_url",
    "aws_endpoint",
    "aws_endpoint_url",
    "azure_storage_endpoint",
    "allow_http",
    "region",
    "aws_region",
    "default_region",
    "use_emulator",
    "azure_storage_use_emulator",
    "account",
    "account_name",
    "azure_storage_account_name",
    "virtual_hosted_style_request",
    "skip_signature",
    "timeout",
    "connect_timeout",
    MAX_RETRIES,
    RETRY_TIMEOUT,
    CONCURRENCY,
    PART_SIZE,
];

/// imgrepl's own keys, consumed here rather than passed to the client.
pub const MAX_RETRIES: &str = "max_retries";
pub const RETRY_TIMEOUT: &str = "retry_timeout";
pub const CONCURRENCY: &str = "concurrency";
pub const PART_SIZE: &str = "part_size";

/// Shortest secret we scrub from messages: shorter values ("true", "1")
/// would mangle ordinary words and cannot be secrets worth hiding.
const MIN_SCRUB_LEN: usize = 6;

/// Settings for one store.  Keys are lower-case `snake_case`.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct StoreOptions {
    entries: BTreeMap<String, String>,
}

impl StoreOptions {
    pub fn new() -> StoreOptions {
        StoreOptions::default()
    }

    /// Builds options from `(key, value)` pairs, refusing malformed keys.
    pub fn from_pairs<K, V>(pairs: impl IntoIterator<Item = (K, V)>) -> Result<StoreOptions>
    where
        K: AsRef<str>,
        V: Into<String>,
    {
        let mut opts = StoreOptions::new();
        for (k, v) in pairs {
            opts.insert(k.as_ref(), v)?;
        }
        Ok(opts)
    }

    /// Parses `key=value` (the CLI's `--store-option` form).
    pub fn insert_assignment(&mut self, text: &str) -> Result<()> {
        let (key, value) = text.split_once('=').ok_or_else(|| {
            let key = text.split(['=', ':']).next().unwrap_or_default();
            Error::InvalidArgument(format!("store option {key:?}: expected key=value"))
        })?;
        self.insert(key, value)
    }

    /// Sets `key` (case-insensitive, `-` accepted for `_`) to `value`.
    pub fn insert(&mut self, key: &str, value: impl Into<String>) -> Result<()> {
        let key = key.trim().to_ascii_lowercase().replace('-', "_");
        let ok = !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !ok {
            return Err(Error::InvalidArgument(format!(
                "store option key {key:?} must be letters, digits and underscores"
            )));
        }
        self.entries.insert(key, value.into());
        Ok(())
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries.get(key).map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Every `(key, value)`, imgrepl's own keys included.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The options meant for the object-store client (imgrepl's own removed).
    pub fn client_options(&self) -> impl Iterator<Item = (&str, &str)> {
        self.iter()
            .filter(|(k, _)| ![MAX_RETRIES, RETRY_TIMEOUT, CONCURRENCY, PART_SIZE].contains(k))
    }

    /// A non-negative integer option, or `default`.
    pub fn usize_or(&self, key: &str, default: usize) -> Result<usize> {
        match self.get(key) {
            None => Ok(default),
            Some(v) => v.trim().parse().map_err(|_| {
                Error::InvalidArgument(format!("store option {key}={v:?}: expected an integer"))
            }),
        }
    }

    /// A duration option: seconds, with an optional `s` or `ms` suffix.
    pub fn duration_or(&self, key: &str, default: Duration) -> Result<Duration> {
        let Some(v) = self.get(key) else {
            return Ok(default);
        };
        let t = v.trim();
        let parsed = if let Some(ms) = t.strip_suffix("ms") {
            ms.trim().parse::<u64>().ok().map(Duration::from_millis)
        } else {
            let secs = t.strip_suffix('s').unwrap_or(t).trim();
            secs.parse::<f64>()
                .ok()
                .filter(|s| s.is_finite() && *s >= 0.0)
                .map(Duration::from_secs_f64)
        };
        parsed.ok_or_else(|| {
            Error::InvalidArgument(format!(
                "store option {key}={v:?}: expected seconds (e.g. 30, 2.5s, 500ms)"
            ))
        })
    }

    /// Fills in `key` from the environment if it is not set already.
    #[must_use]
    pub fn with_env_default(mut self, key: &str, env: &str) -> StoreOptions {
        if !self.entries.contains_key(key) {
            if let Ok(v) = std::env::var(env) {
                self.entries.insert(key.to_string(), v);
            }
        }
        self
    }

    /// The values that must never appear in messages.
    pub fn secrets(&self) -> Vec<String> {
        self.entries
            .iter()
            .filter(|(k, v)| !is_shown(k) && v.len() >= MIN_SCRUB_LEN)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

fn is_shown(key: &str) -> bool {
    SHOWN.contains(&key)
}

/// Replaces every secret in `text` by `<redacted>`.
pub fn scrub(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_string();
    for s in secrets {
        if out.contains(s.as_str()) {
            out = out.replace(s.as_str(), "<redacted>");
        }
    }
    out
}

impl fmt::Debug for StoreOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for (k, v) in &self.entries {
            if is_shown(k) {
                map.entry(k, v);
            } else {
                map.entry(k, &format_args!("<redacted>"));
            }
        }
        map.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG";

    fn opts() -> StoreOptions {
        StoreOptions::from_pairs([
            ("Endpoint", "http://127.0.0.1:9000"),
            ("secret-access-key", SECRET),
            ("access_key_id", "AKIDEXAMPLE"),
            ("allow_http", "true"),
        ])
        .unwrap()
    }

    #[test]
    fn keys_are_normalised_and_values_kept() {
        let o = opts();
        assert_eq!(o.get("endpoint"), Some("http://127.0.0.1:9000"));
        assert_eq!(o.get("secret_access_key"), Some(SECRET));
        let mut o2 = StoreOptions::new();
        o2.insert_assignment("region=eu-west-1").unwrap();
        assert_eq!(o2.get("region"), Some("eu-west-1"));
        let err = o2
            .insert_assignment("no_equals_sign")
            .unwrap_err()
            .to_string();
        assert!(err.contains("expected key=value"), "{err}");
        assert!(o2.insert("bad key!", "v").is_err());
    }

    #[test]
    fn debug_never_shows_secret_values() {
        let shown = format!("{:?}", opts());
        assert!(shown.contains("http://127.0.0.1:9000"), "{shown}");
        assert!(shown.contains("secret_access_key"), "{shown}");
        assert!(!shown.contains(SECRET), "{shown}");
        assert!(!shown.contains("AKIDEXAMPLE"), "{shown}");
    }

    #[test]
    fn scrub_removes_secrets_but_not_short_flags() {
        let o = opts();
        let msg = format!("PUT failed for key {SECRET} and AKIDEXAMPLE (allow_http=true)");
        let clean = scrub(&msg, &o.secrets());
        assert!(
            !clean.contains(SECRET) && !clean.contains("AKIDEXAMPLE"),
            "{clean}"
        );
        assert!(clean.contains("allow_http=true"), "{clean}");
    }

    #[test]
    fn numbers_and_durations_parse_or_name_the_option() {
        let o = StoreOptions::from_pairs([
            ("max_retries", "3"),
            ("retry_timeout", "2.5s"),
            ("timeout", "500ms"),
            ("concurrency", "many"),
        ])
        .unwrap();
        assert_eq!(o.usize_or(MAX_RETRIES, 9).unwrap(), 3);
        assert_eq!(o.usize_or("absent", 9).unwrap(), 9);
        assert_eq!(
            o.duration_or(RETRY_TIMEOUT, Duration::ZERO).unwrap(),
            Duration::from_millis(2500)
        );
        assert_eq!(
            o.duration_or("timeout", Duration::ZERO).unwrap(),
            Duration::from_millis(500)
        );
        let err = o.usize_or(CONCURRENCY, 1).unwrap_err().to_string();
        assert!(err.contains("concurrency=\"many\""), "{err}");
        assert_eq!(
            o.client_options().map(|(k, _)| k).collect::<Vec<_>>(),
            ["timeout"]
        );
    }
}
