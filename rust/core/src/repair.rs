//! Rewrites only the damaged chunks of a replica from a good copy, then
//! verifies it again.  The good copy must itself pass the same manifest
//! first, so a repair can never spread damage.  The replica is fixed in
//! place (it is already wrong; a rewrite of a few chunks beats a full copy).
use std::fs::OpenOptions;
use std::os::unix::fs::FileExt;
use std::time::Instant;

use crate::chunk::is_zero;
use crate::error::{Error, Result};
use crate::location::Location;
use crate::source::open_source;
use crate::verify::{bad_chunks, report, resolve_manifest, VerifyReport};

#[derive(Clone, Debug, PartialEq)]
pub struct RepairReport {
    pub path: String,
    pub chunks_repaired: u64,
    pub bytes_repaired: u64,
    /// The verification after the repair.
    pub verify: VerifyReport,
}

pub fn repair(path: &str, good: &str, manifest: Option<&str>) -> Result<RepairReport> {
    let loc = Location::parse(path)?;
    let good_loc = Location::parse(good)?;
    if loc.identity() == good_loc.identity() {
        return Err(Error::InvalidArgument(format!(
            "cannot repair {loc} from itself"
        )));
    }
    let (manifest_path, m) = resolve_manifest(&loc, manifest)?;
    let good_src = open_source(&good_loc)?;
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
    if let Location::Remote(remote) = &loc {
        return crate::remote::repair_object(remote, good_src.as_ref(), &m, manifest_path);
    }
    let replica_path = loc
        .local_path()
        .ok_or_else(|| {
            Error::InvalidArgument(format!("{loc}: only local replicas can be repaired"))
        })?
        .to_path_buf();
    let bad = {
        let replica = open_source(&loc)?;
        bad_chunks(replica.as_ref(), &m, None)?
    };
    let file = OpenOptions::new()
        .write(true)
        .open(&replica_path)
        .map_err(|e| Error::io("open replica for repair", &replica_path, e))?;
    let io = |op, e| Error::io(op, &replica_path, e);
    file.set_len(m.layout.size)
        .map_err(|e| io("resize replica", e))?;
    let mut buf = vec![0u8; m.layout.chunk_size.min(m.layout.size) as usize];
    let mut bytes = 0;
    for &i in &bad {
        let range = m.layout.range(i);
        let buf = &mut buf[..m.layout.len(i)];
        good_src.read_at(range.start, buf)?;
        let punched =
            is_zero(buf) && crate::sys::punch_hole(&file, range.start, buf.len() as u64).is_ok();
        if !punched {
            file.write_all_at(buf, range.start)
                .map_err(|e| io("write replica", e))?;
        }
        bytes += buf.len() as u64;
    }
    file.sync_all().map_err(|e| io("fsync replica", e))?;
    drop(file);
    let started = Instant::now();
    let replica = open_source(&loc)?;
    let after = bad_chunks(replica.as_ref(), &m, None)?;
    Ok(RepairReport {
        path: loc.to_string(),
        chunks_repaired: bad.len() as u64,
        bytes_repaired: bytes,
        verify: report(&loc, manifest_path, &m, replica.size(), &after, started),
    })
}
