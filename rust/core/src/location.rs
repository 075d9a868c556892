//! Where a source or replica lives.  The one place that parses the strings
//! users give us: the scheme picks a backend from `store::registry` (plain
//! paths go to the local one), which parses the rest; other schemes are
//! refused by name instead of creating a local file named `gs:`.
use std::fmt;
use std::hash::{Hash, Hasher};
use std::path::Path;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::sink::{Sink, SinkOptions};
use crate::source::Source;
use crate::store::{registry, Capabilities, Store};

/// A parsed source or destination address: one address on its backend.
#[derive(Clone)]
pub struct Location(Arc<dyn Store>);

impl Location {
    /// Wraps a backend's parsed address.
    pub fn new(store: impl Store) -> Location {
        Location(Arc::new(store))
    }

    /// Parses `file:///abs/path`, an absolute path, a path relative to the
    /// current directory, or a URL of a registered backend (`s3://...`).
    pub fn parse(text: &str) -> Result<Location> {
        if text.is_empty() {
            return Err(Error::InvalidArgument("empty path".into()));
        }
        if text.contains('\0') {
            return Err(Error::InvalidArgument(format!(
                "path {text:?} contains a NUL byte"
            )));
        }
        let Some(scheme) = scheme(text) else {
            return registry::for_plain_paths().parse(text);
        };
        if let Some(backend) = registry::for_scheme(scheme) {
            return backend.parse(text);
        }
        let supported = registry::supported();
        if registry::known_elsewhere(scheme) {
            return Err(Error::InvalidArgument(format!(
                "{text}: store scheme {scheme:?} is not available in this build \
                 (supported: {supported})"
            )));
        }
        Err(Error::InvalidArgument(format!(
            "{text}: unknown URL scheme {scheme:?} (supported: {supported})"
        )))
    }

    /// The backend's address, for its operations.
    pub fn store(&self) -> &dyn Store {
        &*self.0
    }

    /// The backend's own type behind this address, if it is `T`.
    pub fn downcast<T: Store>(&self) -> Option<&T> {
        self.0.as_any().downcast_ref::<T>()
    }

    /// The local path, for backends that have one.
    pub fn local_path(&self) -> Option<&Path> {
        self.0.local_path()
    }

    /// The name a backend reports in error messages.
    pub fn backend(&self) -> &'static str {
        self.0.backend()
    }

    pub fn capabilities(&self) -> Capabilities {
        self.0.capabilities()
    }

    /// A stable identity for the address: resolves symlinks in the parent
    /// directory so `dir/../dir/x` and `link/x` compare equal, and drops
    /// credentials.
    #[must_use]
    pub fn identity(&self) -> Location {
        self.0.identity()
    }

    pub fn open_source(&self) -> Result<Box<dyn Source>> {
        self.0.open_source(self)
    }

    pub fn open_sink(&self, opts: &SinkOptions) -> Result<Box<dyn Sink>> {
        self.0.open_sink(self, opts)
    }

    /// Where the manifest beside a replica here lives.
    pub fn manifest_location(&self) -> Result<Location> {
        self.0.manifest_location()
    }
}

impl PartialEq for Location {
    fn eq(&self, other: &Location) -> bool {
        self.0.key() == other.0.key()
    }
}

impl Eq for Location {}

impl Hash for Location {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.key().hash(state);
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&*self.0, f)
    }
}

/// The backend's Debug, which never shows secrets.
impl fmt::Debug for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

/// `scheme` of `scheme://...`, if the text looks like a URL.
pub fn scheme(text: &str) -> Option<&str> {
    let (head, _) = text.split_once("://")?;
    let ok = !head.is_empty()
        && head.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && head
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    ok.then_some(head)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(text: &str) -> std::path::PathBuf {
        Location::parse(text)
            .unwrap()
            .local_path()
            .unwrap()
            .to_path_buf()
    }

    #[test]
    fn plain_and_file_urls_parse_to_the_same_path() {
        assert_eq!(path("/a/b/c.vhd"), Path::new("/a/b/c.vhd"));
        assert_eq!(path("file:///a/b/c.vhd"), Path::new("/a/b/c.vhd"));
        assert_eq!(path("file://localhost/a/c"), Path::new("/a/c"));
        assert_eq!(path("file:///a/x%20y"), Path::new("/a/x y"));
        assert_eq!(path("/a/./b/../c"), Path::new("/a/c"));
        assert_eq!(
            Location::parse("file:///a/c").unwrap(),
            Location::parse("/a/b/../c").unwrap()
        );
    }

    #[cfg(feature = "s3")]
    #[test]
    fn display_is_the_address_and_debug_the_backends() {
        let loc = Location::parse("s3://bkt/a.vhd").unwrap();
        assert_eq!(loc.to_string(), "s3://bkt/a.vhd");
        assert!(format!("{loc:?}").starts_with("RemoteLocation(s3://bkt/a.vhd"));
    }

    #[test]
    fn relative_paths_become_absolute() {
        let expected = std::env::current_dir().unwrap().join("rel/img.raw");
        assert_eq!(path("rel/img.raw"), expected);
    }

    #[test]
    fn bad_addresses_are_named_in_the_error() {
        for bad in [
            "",
            "s3://Bucket/key",
            "ftp://h/x",
            "file://host/x",
            "file:///a%zz",
            "/",
        ] {
            let err = Location::parse(bad).unwrap_err().to_string();
            assert!(err.contains("invalid argument"), "{bad}: {err}");
            if !bad.is_empty() {
                assert!(err.contains(bad), "{bad}: {err}");
            }
        }
        let gs = Location::parse("gs://b/k").unwrap_err().to_string();
        assert!(gs.contains("not available in this build"), "{gs}");
        #[cfg(all(feature = "s3", feature = "azure"))]
        assert!(
            gs.contains("(supported: plain paths, file:///, s3://, az://)"),
            "{gs}"
        );
    }
}
