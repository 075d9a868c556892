//! How hard a store is tried: retries with exponential backoff for
//! transient failures (timeouts, connection errors, 5xx, SlowDown) and how
//! many requests one replica keeps in flight.  A store that stays down fails
//! its own copies after the retry budget, never the others.
use std::time::Duration;

use object_store::{BackoffConfig, RetryConfig};

use super::options::{StoreOptions, CONCURRENCY, MAX_RETRIES, PART_SIZE, RETRY_TIMEOUT};
use crate::error::{Error, Result};

/// Retries per request unless `max_retries` says otherwise.  object_store's
/// own default (10 retries over up to 3 minutes) would hold a job on a dead
/// region for minutes; five backoffs from 100 ms cover a server restart.
const DEFAULT_MAX_RETRIES: usize = 5;
const DEFAULT_RETRY_TIMEOUT: Duration = Duration::from_secs(60);
/// Parts uploaded (or ranges read) at once per replica.
const DEFAULT_CONCURRENCY: usize = 4;
const MAX_CONCURRENCY: usize = 64;
/// Smallest part asked for: parts below this cost more in request overhead
/// than they gain in parallelism (S3's own minimum is 5 MiB).
const DEFAULT_PART_SIZE: usize = 8 << 20;
const MAX_PART_SIZE: usize = 1 << 30;

/// Per-store request policy, from the store options.
#[derive(Clone, Debug)]
pub struct Tuning {
    pub retry: RetryConfig,
    /// Requests in flight per replica (upload parts, ranged reads).
    pub concurrency: usize,
    /// Smallest multipart part, rounded up to whole chunks (see `parts`).
    pub part_size: u64,
}

impl Tuning {
    pub fn from_options(opts: &StoreOptions) -> Result<Tuning> {
        let concurrency = opts.usize_or(CONCURRENCY, DEFAULT_CONCURRENCY)?;
        if !(1..=MAX_CONCURRENCY).contains(&concurrency) {
            return Err(Error::InvalidArgument(format!(
                "store option {CONCURRENCY}={concurrency}: must be 1..={MAX_CONCURRENCY}"
            )));
        }
        let part_size = opts.usize_or(PART_SIZE, DEFAULT_PART_SIZE)?;
        if !(1..=MAX_PART_SIZE).contains(&part_size) {
            return Err(Error::InvalidArgument(format!(
                "store option {PART_SIZE}={part_size}: must be 1..={MAX_PART_SIZE} bytes"
            )));
        }
        let retry = RetryConfig {
            backoff: BackoffConfig {
                init_backoff: Duration::from_millis(100),
                max_backoff: Duration::from_secs(5),
                base: 2.0,
            },
            max_retries: opts.usize_or(MAX_RETRIES, DEFAULT_MAX_RETRIES)?,
            retry_timeout: opts.duration_or(RETRY_TIMEOUT, DEFAULT_RETRY_TIMEOUT)?,
        };
        Ok(Tuning {
            retry,
            concurrency,
            part_size: part_size as u64,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_overrides() {
        let t = Tuning::from_options(&StoreOptions::new()).unwrap();
        assert_eq!(
            (t.retry.max_retries, t.concurrency),
            (DEFAULT_MAX_RETRIES, DEFAULT_CONCURRENCY)
        );
        let o = StoreOptions::from_pairs([("max_retries", "0"), ("concurrency", "2")]).unwrap();
        let t = Tuning::from_options(&o).unwrap();
        assert_eq!((t.retry.max_retries, t.concurrency), (0, 2));
        let zero = StoreOptions::from_pairs([("concurrency", "0")]).unwrap();
        let err = Tuning::from_options(&zero).unwrap_err().to_string();
        assert!(err.contains("concurrency=0"), "{err}");
    }
}
