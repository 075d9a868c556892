//! Rewrites only the damaged chunks of a replica from a good copy, then
//! verifies it again.  The good copy must itself pass the same manifest
//! first, so a repair can never spread damage.  How the replica is
//! rewritten is its backend's (`Store::repair`): in place where it can be
//! patched, else as a whole new object replacing it atomically.
use crate::error::{Error, Result};
use crate::location::Location;
use crate::verify::{bad_chunks, resolve_manifest, ManifestArg, VerifyReport};

#[derive(Clone, Debug, PartialEq)]
pub struct RepairReport {
    pub path: String,
    pub chunks_repaired: u64,
    pub bytes_repaired: u64,
    /// The verification after the repair.
    pub verify: VerifyReport,
}

pub fn repair(path: &str, good: &str, manifest: ManifestArg) -> Result<RepairReport> {
    let loc = Location::parse(path)?;
    let good_loc = Location::parse(good)?;
    if loc.identity() == good_loc.identity() {
        return Err(Error::InvalidArgument(format!(
            "cannot repair {loc} from itself"
        )));
    }
    let (manifest_path, m) = resolve_manifest(&loc, manifest)?;
    let good_src = good_loc.open_source()?;
    let good_bad = bad_chunks(good_src.as_ref(), &m, None)?;
    if good_src.size() != m.layout.size || !good_bad.is_empty() {
        return Err(Error::Verify {
            path: good_loc
                .local_path()
                .unwrap_or(std::path::Path::new(""))
                .to_path_buf(),
            reason: format!(
                "the good copy does not match manifest {} ({} bad chunks, size {} vs {}); \
                 refusing to repair from it",
                manifest_path.display(),
                good_bad.len(),
                good_src.size(),
                m.layout.size
            ),
        });
    }
    loc.store()
        .repair(&loc, good_src.as_ref(), &m, manifest_path)
}
