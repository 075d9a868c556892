//! object_store errors -> the engine's `Error::Store`, naming the operation,
//! the URL (which never holds credentials) and the backend, with the cause
//! chain, and with every secret option value scrubbed from the text.
use super::options::scrub;
use super::url::StoreUrl;
use crate::error::Error;

/// The one conversion every remote operation uses.
pub(crate) fn store_error(
    op: &'static str,
    url: &StoreUrl,
    secrets: &[String],
    err: &(dyn std::error::Error + 'static),
) -> Error {
    Error::Store {
        op,
        url: url.to_string(),
        backend: url.service().name(),
        reason: scrub(&chain(err), secrets),
    }
}

/// A failure that is not an object_store error (a lost task, a short read).
pub(crate) fn store_failure(op: &'static str, url: &StoreUrl, reason: impl Into<String>) -> Error {
    Error::Store {
        op,
        url: url.to_string(),
        backend: url.service().name(),
        reason: reason.into(),
    }
}

/// `err: source: source...`, skipping causes the message already repeats.
fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut cause = err.source();
    while let Some(c) = cause {
        let part = c.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        cause = c.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_errors_name_op_url_backend_and_hide_secrets() {
        let url = StoreUrl::parse("s3://bkt/img.vhd").unwrap();
        let inner = object_store::Error::Generic {
            store: "S3",
            source: "signature for key topsecretvalue rejected".into(),
        };
        let err = store_error("upload", &url, &["topsecretvalue".into()], &inner).to_string();
        assert!(err.starts_with("upload s3://bkt/img.vhd (s3): "), "{err}");
        assert!(
            err.contains("signature for key <redacted> rejected"),
            "{err}"
        );
        assert!(!err.contains("topsecretvalue"), "{err}");
    }
}
