//! Local addresses: `file:///abs/path` (or `file://localhost/...`), absolute
//! and relative paths, all made absolute and lexically normalised without
//! touching the filesystem (the file usually does not exist yet).
use std::path::{Component, Path, PathBuf};

use crate::error::{Error, Result};

/// The path a plain path or `file://` URL names.
pub fn parse(text: &str) -> Result<PathBuf> {
    match text.strip_prefix("file://") {
        Some(rest) => parse_file_url(text, rest),
        None => absolute(Path::new(text)),
    }
}

fn parse_file_url(text: &str, rest: &str) -> Result<PathBuf> {
    // Only an empty or "localhost" authority names this machine.
    let (host, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    if !(host.is_empty() || host.eq_ignore_ascii_case("localhost")) {
        return Err(Error::InvalidArgument(format!(
            "{text}: file URL names host {host:?}; only local files (file:///path) are supported"
        )));
    }
    if path.is_empty() || path == "/" {
        return Err(Error::InvalidArgument(format!(
            "{text}: file URL has no path"
        )));
    }
    let decoded = percent_decode(path)
        .ok_or_else(|| Error::InvalidArgument(format!("{text}: bad %-escape in file URL")))?;
    absolute(Path::new(&decoded))
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok().filter(|s| !s.contains('\0'))
}

/// Absolute and lexically normalised (no `.`/`..`).
fn absolute(path: &Path) -> Result<PathBuf> {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map_err(|e| Error::io("resolve current directory for", path, e))?
            .join(path)
    };
    let mut out = PathBuf::new();
    for part in joined.components() {
        match part {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    if out.file_name().is_none() {
        return Err(Error::InvalidArgument(format!(
            "{}: names a directory, not a file",
            path.display()
        )));
    }
    Ok(out)
}

/// The path with symlinks in its parent directory (and the file itself,
/// which may be a symlink to the source) resolved, where they exist.
pub fn resolved(p: &Path) -> PathBuf {
    let resolved = match (p.parent(), p.file_name()) {
        (Some(parent), Some(name)) => parent
            .canonicalize()
            .map_or_else(|_| p.to_path_buf(), |d| d.join(name)),
        _ => p.to_path_buf(),
    };
    resolved.canonicalize().unwrap_or(resolved)
}
