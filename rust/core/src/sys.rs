//! The engine's only unsafe code: a few Linux calls std does not wrap.
//! Each is a plain syscall on a file descriptor or C string we own for the
//! duration of the call, checked for -1 and turned into io::Error.
//!
//! - `lseek(SEEK_DATA/SEEK_HOLE)`: find a sparse source's holes so they are
//!   never read.
//! - `fallocate(PUNCH_HOLE)`: give back blocks of a zero chunk when a
//!   resumed or repaired file may hold stale data there.
//! - `renameat2(RENAME_NOREPLACE)`: commit a replica without ever replacing
//!   a file someone created meanwhile.
//! - `flock(LOCK_EX|LOCK_NB)`: one job per partial replica (std's
//!   `File::try_lock` is newer than our MSRV).
//! - `sync_file_range` / `posix_fadvise(DONTNEED)`: start writeback of a
//!   written range at once and drop its clean pages afterwards, so the
//!   disk is busy during the copy and the final fdatasync has little left.
//! - `fcntl(F_SETFL)`: clear O_NONBLOCK once an open that must not block
//!   on a FIFO has found a regular file.
//! - `copy_file_range`: copy a base chunk into a replica inside the kernel.
//! - `ioctl(FICLONERANGE)`: share a base chunk's blocks with a replica (a
//!   reflink, XFS and btrfs), failing where the filesystem cannot.
//! - `setpriority`: lower the calling thread's CPU priority (its nice value).
#![allow(unsafe_code)]

use std::ffi::CString;
use std::fs::File;
use std::io;
use std::ops::Range;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::io::AsRawFd;
use std::path::Path;

fn lseek(file: &File, offset: u64, whence: libc::c_int) -> io::Result<Option<u64>> {
    let off = libc::off_t::try_from(offset)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "offset too large"))?;
    // SAFETY: fd is valid for the life of `file`; lseek touches no memory.
    let r = unsafe { libc::lseek(file.as_raw_fd(), off, whence) };
    if r >= 0 {
        return Ok(Some(r.unsigned_abs())); // r >= 0
    }
    let err = io::Error::last_os_error();
    // ENXIO: no data (or hole) at or after `offset`.
    if err.raw_os_error() == Some(libc::ENXIO) {
        Ok(None)
    } else {
        Err(err)
    }
}

/// Byte ranges of `file` (of `size` bytes) that may hold data; everything
/// else is a hole and reads as zeros.  Falls back to "all data" where the
/// filesystem does not support SEEK_DATA.
pub fn data_ranges(file: &File, size: u64) -> io::Result<Vec<Range<u64>>> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < size {
        let start = match lseek(file, pos, libc::SEEK_DATA) {
            Ok(Some(s)) if s < size => s,
            Ok(_) => break,
            Err(e) if e.raw_os_error() == Some(libc::EINVAL) => {
                return Ok(std::iter::once(0..size).collect())
            }
            Err(e) => return Err(e),
        };
        let end = lseek(file, start, libc::SEEK_HOLE)?
            .unwrap_or(size)
            .min(size);
        out.push(start..end);
        pos = end;
    }
    Ok(out)
}

/// Deallocates `len` bytes at `offset` (they then read as zeros) without
/// changing the file size.  Unsupported filesystems return an error and the
/// caller writes zeros instead.
pub fn punch_hole(file: &File, offset: u64, len: u64) -> io::Result<()> {
    let to_off = |v: u64| {
        libc::off_t::try_from(v)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "range too large"))
    };
    let mode = libc::FALLOC_FL_PUNCH_HOLE | libc::FALLOC_FL_KEEP_SIZE;
    // SAFETY: fd is valid for the life of `file`; fallocate touches no memory.
    let r = unsafe { libc::fallocate(file.as_raw_fd(), mode, to_off(offset)?, to_off(len)?) };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

fn off(v: u64) -> io::Result<libc::off_t> {
    libc::off_t::try_from(v)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "range too large"))
}

/// Starts writeback of `len` bytes at `offset`; with `wait`, also waits for
/// it (and any earlier writeback of the range) to finish.  Not durability:
/// metadata and the disk cache still need fdatasync.
pub fn write_back(file: &File, offset: u64, len: u64, wait: bool) -> io::Result<()> {
    let flags = if wait {
        libc::SYNC_FILE_RANGE_WAIT_BEFORE
            | libc::SYNC_FILE_RANGE_WRITE
            | libc::SYNC_FILE_RANGE_WAIT_AFTER
    } else {
        libc::SYNC_FILE_RANGE_WRITE
    };
    // SAFETY: fd is valid for the life of `file`; the call touches no memory.
    let r = unsafe { libc::sync_file_range(file.as_raw_fd(), off(offset)?, off(len)?, flags) };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Drops clean cached pages of a range (a hint; errors are harmless).
pub fn drop_cache(file: &File, offset: u64, len: u64) {
    if let (Ok(o), Ok(l)) = (off(offset), off(len)) {
        // SAFETY: fd is valid for the life of `file`; the call touches no memory.
        unsafe { libc::posix_fadvise(file.as_raw_fd(), o, l, libc::POSIX_FADV_DONTNEED) };
    }
}

/// Copies `len` bytes at `offset` of `from` to the same offset of `to`
/// inside the kernel: shared blocks on XFS or btrfs, an in-kernel copy on
/// ext4 and tmpfs.  Errors (another filesystem, no support) leave the
/// caller to copy through memory.
pub fn copy_range(from: &File, to: &File, offset: u64, len: u64) -> io::Result<()> {
    let mut done = 0;
    while done < len {
        let mut at_in: libc::loff_t = off(offset + done)?;
        let mut at_out = at_in;
        let want = usize::try_from(len - done).unwrap_or(usize::MAX);
        // SAFETY: both fds are valid for the life of the Files; the two
        // offsets are locals the kernel reads and updates during the call.
        let r = unsafe {
            libc::copy_file_range(
                from.as_raw_fd(),
                &raw mut at_in,
                to.as_raw_fd(),
                &raw mut at_out,
                want,
                0,
            )
        };
        match r {
            r if r < 0 => return Err(io::Error::last_os_error()),
            0 => return Err(io::Error::from(io::ErrorKind::UnexpectedEof)),
            r => done += r.unsigned_abs() as u64,
        }
    }
    Ok(())
}

/// Makes `len` bytes at `offset` of `to` share the blocks of the same range
/// of `from` (both on one filesystem that can); nothing is copied.
pub fn clone_range(from: &File, to: &File, offset: u64, len: u64) -> io::Result<()> {
    let range = libc::file_clone_range {
        src_fd: i64::from(from.as_raw_fd()),
        src_offset: offset,
        src_length: len,
        dest_offset: offset,
    };
    // SAFETY: both fds are valid for the life of the Files; the kernel only
    // reads `range`, a local that outlives the call.
    let r = unsafe { libc::ioctl(to.as_raw_fd(), libc::FICLONERANGE, &raw const range) };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Sets the calling thread's nice value: on Linux it is a per-thread value,
/// and `who` 0 names the calling thread.
pub fn set_thread_nice(nice: i32) -> io::Result<()> {
    // SAFETY: no pointers; errors come back as -1.
    let r = unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, nice) };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Clears O_NONBLOCK on an open file.
pub fn set_blocking(file: &File) -> io::Result<()> {
    let fd = file.as_raw_fd();
    // SAFETY: fd is valid for the life of `file`; fcntl touches no memory.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if flags < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: as above.
    let r = unsafe { libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK) };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Takes an exclusive advisory lock, held until the file is closed.
/// Ok(false) if another open file description holds it.
pub fn try_lock_exclusive(file: &File) -> io::Result<bool> {
    // SAFETY: fd is valid for the life of `file`; flock touches no memory.
    let r = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if r == 0 {
        return Ok(true);
    }
    let err = io::Error::last_os_error();
    if err.raw_os_error() == Some(libc::EWOULDBLOCK) {
        Ok(false)
    } else {
        Err(err)
    }
}

/// Renames `from` to `to`, failing with AlreadyExists if `to` exists.
/// Filesystems without RENAME_NOREPLACE get a check-then-rename.
pub fn rename_noreplace(from: &Path, to: &Path) -> io::Result<()> {
    let c = |p: &Path| {
        CString::new(p.as_os_str().as_bytes())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path contains NUL"))
    };
    let (cf, ct) = (c(from)?, c(to)?);
    // SAFETY: both C strings live until the call returns.
    let r = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            cf.as_ptr(),
            libc::AT_FDCWD,
            ct.as_ptr(),
            libc::RENAME_NOREPLACE,
        )
    };
    if r == 0 {
        return Ok(());
    }
    let err = io::Error::last_os_error();
    match err.raw_os_error() {
        Some(libc::EINVAL | libc::ENOSYS) => {
            if to.symlink_metadata().is_ok() {
                return Err(io::Error::from(io::ErrorKind::AlreadyExists));
            }
            std::fs::rename(from, to)
        }
        _ => Err(err),
    }
}
