//! The one table of backends, by URL scheme.  Adding a backend (GCS, say)
//! is its folder, a Cargo feature and one line here.
use super::Backend;

/// Every backend this build has, in the order the supported-schemes
/// message lists them.
static BACKENDS: &[&dyn Backend] = &[
    &crate::local::BACKEND,
    #[cfg(feature = "s3")]
    &crate::s3::BACKEND,
    #[cfg(feature = "azure")]
    &crate::azure::BACKEND,
];

/// Schemes of stores other builds or tools know, refused as "not available
/// in this build" rather than "unknown".
const ELSEWHERE: &[&str] = &["gs", "http", "https", "s3", "az", "azure"];

/// Every registered backend.
pub fn backends() -> impl Iterator<Item = &'static dyn Backend> {
    BACKENDS.iter().copied()
}

/// The backend for `scheme` (exactly as written), if this build has one.
pub fn for_scheme(scheme: &str) -> Option<&'static dyn Backend> {
    backends().find(|b| b.schemes().contains(&scheme))
}

/// The backend for addresses without a scheme (plain paths).
pub fn for_plain_paths() -> &'static dyn Backend {
    backends()
        .find(|b| b.takes_plain_paths())
        .expect("the local backend is always registered")
}

/// True if `scheme` names a store some build knows but this one lacks.
pub fn known_elsewhere(scheme: &str) -> bool {
    ELSEWHERE.contains(&scheme)
}

/// "plain paths, file:///, s3://, az://" for messages.
pub fn supported() -> String {
    let mut out = vec!["plain paths"];
    out.extend(backends().map(super::Backend::shown));
    out.join(", ")
}
