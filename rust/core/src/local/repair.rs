//! In-place repair of a local replica: only the damaged chunks are
//! rewritten from the good copy (zero chunks punched back into holes), the
//! file is fsynced and verified again.
use std::fs::OpenOptions;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::time::Instant;

use crate::chunk::is_zero;
use crate::error::{Error, Result};
use crate::location::Location;
use crate::manifest::Manifest;
use crate::repair::RepairReport;
use crate::source::Source;
use crate::verify::{bad_chunks, report};

/// Repairs the replica at `replica_path` (`loc`) from `good`, which
/// already matches `m`.
pub fn repair(
    loc: &Location,
    replica_path: &Path,
    good_src: &dyn Source,
    m: &Manifest,
    manifest_path: &Path,
) -> Result<RepairReport> {
    let bad = {
        let replica = loc.open_source()?;
        bad_chunks(replica.as_ref(), m, None)?
    };
    let file = crate::fsutil::open_regular(
        replica_path,
        OpenOptions::new().write(true),
        false,
        "open replica for repair",
    )?;
    let io = |op, e| Error::io(op, replica_path, e);
    file.set_len(m.layout.size)
        .map_err(|e| io("resize replica", e))?;
    let mut buf = crate::pagebuf::PageBuf::new(m.layout.chunk_size.min(m.layout.size) as usize);
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
    let replica = loc.open_source()?;
    let after = bad_chunks(replica.as_ref(), m, None)?;
    Ok(RepairReport {
        path: loc.to_string(),
        chunks_repaired: bad.len() as u64,
        bytes_repaired: bytes,
        verify: report(loc, manifest_path, m, replica.size(), &after, started),
    })
}
