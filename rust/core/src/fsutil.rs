//! Small local-filesystem helpers shared by the local sink, the journal and
//! the manifest: opening regular files only, sibling names, durable atomic
//! writes, directory fsync.
use std::ffi::OsString;
use std::fs::{self, File, FileType, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Opens the regular file at `path` with `options`, refusing anything else
/// (a FIFO, a device, a socket, a directory; a symlink too if `no_follow`)
/// by what it is.  The open cannot block (O_NONBLOCK: a FIFO without a
/// writer would hang a plain open) nor take a terminal (O_NOCTTY), and the
/// check is an fstat of the opened descriptor, so nothing can be swapped in
/// between a check and the open.  Devices are refused too, block devices
/// included: an image is a file (copy a disk to a file first).
pub fn open_regular(
    path: &Path,
    options: &OpenOptions,
    no_follow: bool,
    op: &'static str,
) -> Result<File> {
    let mut options = options.clone();
    let follow = if no_follow { libc::O_NOFOLLOW } else { 0 };
    options.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY | follow);
    let file = options
        .open(path)
        .map_err(|e| Error::io(op, path, name_the_kind(path, no_follow, e)))?;
    let meta = file.metadata().map_err(|e| Error::io(op, path, e))?;
    if !meta.is_file() {
        return Err(Error::io(op, path, not_regular(meta.file_type())));
    }
    // Reads of a regular file must wait for the disk like any other read.
    crate::sys::set_blocking(&file).map_err(|e| Error::io(op, path, e))?;
    Ok(file)
}

/// Opens a regular file for reading (see `open_regular`).
pub fn open_read(path: &Path, op: &'static str) -> Result<File> {
    open_regular(path, OpenOptions::new().read(true), false, op)
}

/// Reads the whole regular file at `path` (see `open_regular`).
pub fn read_regular(path: &Path, op: &'static str) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    io::Read::read_to_end(&mut open_read(path, op)?, &mut bytes)
        .map_err(|e| Error::io(op, path, e))?;
    Ok(bytes)
}

/// The size of an opened regular file.  One that says it is empty but
/// reads bytes (a /proc or /sys file) has no size to copy by: refused.
pub fn regular_size(file: &File, path: &Path, op: &'static str) -> Result<u64> {
    let len = file.metadata().map_err(|e| Error::io(op, path, e))?.len();
    if len == 0 {
        let mut byte = [0u8; 1];
        let read = std::os::unix::fs::FileExt::read_at(file, &mut byte, 0)
            .map_err(|e| Error::io(op, path, e))?;
        if read > 0 {
            let e = io::Error::new(
                io::ErrorKind::InvalidInput,
                "says it holds 0 bytes but reads more (a /proc or /sys file?): \
                 not an image; copy it to a regular file first",
            );
            return Err(Error::io(op, path, e));
        }
    }
    Ok(len)
}

/// The error for a path that is there but is no regular file.
pub fn not_regular(kind: FileType) -> io::Error {
    if kind.is_dir() {
        return io::Error::new(
            io::ErrorKind::IsADirectory,
            "not a regular file (a directory)",
        );
    }
    let what = if kind.is_symlink() {
        "a symbolic link"
    } else if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_socket() {
        "a socket"
    } else {
        "not a file"
    };
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("not a regular file ({what})"),
    )
}

/// An open that failed because of what is at the path (a socket: ENXIO; a
/// device without a driver: ENXIO/ENODEV; a symlink under O_NOFOLLOW:
/// ELOOP) is reported as what is there, not as the errno.
fn name_the_kind(path: &Path, no_follow: bool, err: io::Error) -> io::Error {
    let by_kind = [libc::ENXIO, libc::ENODEV, libc::ELOOP, libc::EOPNOTSUPP];
    if !err.raw_os_error().is_some_and(|e| by_kind.contains(&e)) {
        return err;
    }
    let meta = if no_follow {
        fs::symlink_metadata(path)
    } else {
        fs::metadata(path)
    };
    match meta {
        Ok(meta) if !meta.is_file() => not_regular(meta.file_type()),
        _ => err,
    }
}

/// Fails if something other than a regular file is at `path` (a symlink
/// is not followed): a commit may replace a file, never a device, a FIFO,
/// a socket or a link.  Missing is fine.
pub fn check_replaceable(path: &Path, op: &'static str) -> Result<()> {
    match fs::symlink_metadata(path) {
        Ok(meta) if !meta.is_file() => Err(Error::io(op, path, not_regular(meta.file_type()))),
        _ => Ok(()),
    }
}

/// `DIR/{prefix}NAME{suffix}` for `DIR/NAME`.
pub fn sibling(path: &Path, prefix: &str, suffix: &str) -> PathBuf {
    let mut name = OsString::from(prefix);
    name.push(path.file_name().unwrap_or_default());
    name.push(suffix);
    path.with_file_name(name)
}

/// The directory a file lives in (`.` for a bare name).
pub fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Makes a rename or create in `dir` durable.
pub fn fsync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io("fsync directory", dir, e))
}

/// Writes `bytes` to `path` so a reader sees either the old file or the
/// whole new one: temp sibling, fsync, rename, directory fsync.  The temp
/// file is removed if anything fails; only a regular file is replaced.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = sibling(path, ".", ".imgrepl-tmp");
    check_replaceable(path, "replace")?;
    let result = (|| {
        let mut options = OpenOptions::new();
        options.write(true).create(true).truncate(true);
        let mut f = open_regular(&tmp, &options, true, "create")?;
        f.write_all(bytes)
            .map_err(|e| Error::io("write", &tmp, e))?;
        f.sync_all().map_err(|e| Error::io("fsync", &tmp, e))?;
        check_replaceable(path, "replace")?;
        fs::rename(&tmp, path).map_err(|e| Error::io("rename into place", path, e))?;
        fsync_dir(parent_dir(path))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("imgrepl-fsutil-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn mkfifo(dir: &Path) -> PathBuf {
        let fifo = dir.join("fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.unwrap().success());
        fifo
    }

    fn refusal(r: Result<File>) -> String {
        match r {
            Err(Error::Io { source, .. }) => source.to_string(),
            Err(other) => panic!("unexpected error {other}"),
            Ok(_) => panic!("opened"),
        }
    }

    #[test]
    fn only_regular_files_open_and_a_fifo_never_blocks() {
        let dir = scratch("open");
        let fifo = mkfifo(&dir);
        // No writer: a blocking open would never return.
        assert_eq!(
            refusal(open_read(&fifo, "open")),
            "not a regular file (a FIFO)"
        );
        let mut write = OpenOptions::new();
        write.write(true);
        let r = open_regular(&fifo, &write, false, "open");
        assert_eq!(refusal(r), "not a regular file (a FIFO)"); // ENXIO, named
        let sock = dir.join("sock");
        let _listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
        assert_eq!(
            refusal(open_read(&sock, "open")),
            "not a regular file (a socket)"
        );
        assert_eq!(
            refusal(open_read(&dir, "open")),
            "not a regular file (a directory)"
        );
        let dev = Path::new("/dev/null");
        assert_eq!(
            refusal(open_read(dev, "open")),
            "not a regular file (a character device)"
        );

        let file = dir.join("file");
        fs::write(&file, b"data").unwrap();
        let link = dir.join("link");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        assert_eq!(read_regular(&link, "read").unwrap(), b"data"); // followed when asked
        let r = open_regular(&link, OpenOptions::new().read(true), true, "open");
        assert_eq!(refusal(r), "not a regular file (a symbolic link)");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn an_empty_file_that_reads_bytes_has_no_size() {
        let proc = Path::new("/proc/self/status");
        let file = open_read(proc, "open").unwrap();
        assert!(regular_size(&file, proc, "open").is_err());
        let dir = scratch("size");
        let empty = dir.join("empty");
        fs::write(&empty, b"").unwrap();
        let file = open_read(&empty, "open").unwrap();
        assert_eq!(regular_size(&file, &empty, "open").unwrap(), 0);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn only_a_regular_file_is_replaced() {
        let dir = scratch("replace");
        let fifo = mkfifo(&dir);
        let err = write_atomic(&fifo, b"x").unwrap_err().to_string();
        assert!(err.ends_with("not a regular file (a FIFO)"), "{err}");
        assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
        let file = dir.join("file");
        write_atomic(&file, b"one").unwrap();
        write_atomic(&file, b"two").unwrap();
        assert_eq!(fs::read(&file).unwrap(), b"two");
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 2); // no temporary left
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn sibling_keeps_the_directory() {
        let p = Path::new("/d/img.vhd");
        assert_eq!(sibling(p, ".", ".x"), PathBuf::from("/d/.img.vhd.x"));
        assert_eq!(parent_dir(Path::new("img")), Path::new("."));
    }
}
