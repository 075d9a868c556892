//! What differs between object-store services, and the one thing an
//! object backend folder (`crate::s3`, `crate::azure`) implements:
//! `ObjectService`.  Its static `ObjectBackend` is what the scheme
//! registry holds; everything else here is shared.
use std::any::Any;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use object_store::{ObjectStore, RetryConfig};

use super::options::StoreOptions;
use super::RemoteLocation;
use crate::error::Result;
use crate::location::Location;
use crate::store::{registry, Backend};

/// One object-store protocol (S3, Azure Blob, ...).
pub trait ObjectService: Send + Sync + 'static {
    /// The name used in error messages and reports: "s3", "azure".
    fn name(&self) -> &'static str;
    /// URL schemes, the first being how URLs are printed: `["az", "azure"]`.
    fn schemes(&self) -> &'static [&'static str];
    /// How the supported-schemes message shows it: "s3://".
    fn shown(&self) -> &'static str;
    /// Bucket (or container) naming rules, checked before any request.
    fn check_bucket(&self, bucket: &str) -> std::result::Result<(), String>;
    /// Whether the client builder reads environment variable `var` (a
    /// cached client is not reused once one of them changes).
    fn reads_env(&self, var: &str) -> bool;
    /// The client for `bucket`: environment first, then `opts`.
    fn build(
        &self,
        bucket: &str,
        opts: &StoreOptions,
        retry: RetryConfig,
    ) -> Result<Arc<dyn ObjectStore>>;
    /// (smallest part but the last, most parts per upload) when parts of
    /// `part_size` bytes are asked for.
    fn part_limits(&self, part_size: u64) -> (u64, u64);
    /// Largest object the service copies server-side atomically; None when
    /// its copies cannot be trusted to be complete when they appear.
    fn max_server_copy(&self) -> Option<u64> {
        None
    }
}

/// A service handle: compared, hashed and ordered by name.
#[derive(Clone, Copy)]
pub struct Service(pub &'static dyn ObjectService);

impl Service {
    pub fn name(self) -> &'static str {
        self.0.name()
    }

    /// The scheme URLs are printed with.
    pub fn scheme(self) -> &'static str {
        self.0.schemes()[0]
    }

    /// The object service registered for `scheme` (any case).
    pub fn from_scheme(scheme: &str) -> Option<Service> {
        let scheme = scheme.to_ascii_lowercase();
        let backend = registry::for_scheme(&scheme)?;
        let object = backend.as_any().downcast_ref::<ObjectBackend>()?;
        Some(object.0)
    }

    /// "s3, az": the object schemes of this build, for messages.
    pub fn schemes_shown() -> String {
        let object = registry::backends()
            .filter_map(|b| b.as_any().downcast_ref::<ObjectBackend>())
            .map(|b| b.0.scheme());
        object.collect::<Vec<_>>().join(", ")
    }
}

impl std::ops::Deref for Service {
    type Target = dyn ObjectService;

    fn deref(&self) -> &Self::Target {
        self.0
    }
}

impl PartialEq for Service {
    fn eq(&self, other: &Service) -> bool {
        self.name() == other.name()
    }
}

impl Eq for Service {}

impl Hash for Service {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name().hash(state);
    }
}

impl PartialOrd for Service {
    fn partial_cmp(&self, other: &Service) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Service {
    fn cmp(&self, other: &Service) -> Ordering {
        self.name().cmp(other.name())
    }
}

impl fmt::Debug for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The registry entry of an object service.
pub struct ObjectBackend(pub Service);

impl Backend for ObjectBackend {
    fn name(&self) -> &'static str {
        self.0.name()
    }

    fn schemes(&self) -> &'static [&'static str] {
        self.0.schemes()
    }

    fn shown(&self) -> &'static str {
        self.0.shown()
    }

    fn parse(&self, text: &str) -> Result<Location> {
        Ok(Location::new(RemoteLocation::parse(text)?))
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
