//! Where a source or replica lives.  The one place that parses the strings
//! users give us: `file:///abs/path` and plain paths; `s3://` and `az://`
//! objects (parsed by `remote::url`); other schemes are refused by name
//! instead of creating a local file named `gs:`.
use std::fmt;
use std::path::{Component, Path, PathBuf};

use crate::error::{Error, Result};

/// A parsed source or destination address.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Location {
    /// A local file, always absolute and lexically normalised.
    File(PathBuf),
    /// An object in S3 or Azure Blob (`s3://`, `az://`), with its store options.
    Remote(crate::remote::RemoteLocation),
}

impl Location {
    /// Parses `file:///abs/path`, an absolute path or a path relative to the
    /// current directory.
    pub fn parse(text: &str) -> Result<Location> {
        if text.is_empty() {
            return Err(Error::InvalidArgument("empty path".into()));
        }
        if text.contains('\0') {
            return Err(Error::InvalidArgument(format!(
                "path {text:?} contains a NUL byte"
            )));
        }
        match scheme(text) {
            None => Ok(Location::File(absolute(Path::new(text))?)),
            Some("file") => parse_file_url(text),
            Some("s3" | "az" | "azure") => Ok(Location::Remote(
                crate::remote::RemoteLocation::parse(text)?,
            )),
            Some(other @ ("gs" | "http" | "https")) => {
                Err(Error::InvalidArgument(format!(
                    "{text}: store scheme {other:?} is not available in this build \
                     (supported: plain paths, file:///, s3://, az://)"
                )))
            }
            Some(other) => Err(Error::InvalidArgument(format!(
                "{text}: unknown URL scheme {other:?} (supported: plain paths, file:///, s3://, az://)"
            ))),
        }
    }

    /// The local path, for backends that have one.
    pub fn local_path(&self) -> Option<&Path> {
        match self {
            Location::File(p) => Some(p),
            Location::Remote(_) => None,
        }
    }

    /// The name a backend reports in error messages.
    pub fn backend(&self) -> &'static str {
        match self {
            Location::File(_) => "local",
            Location::Remote(r) => r.backend(),
        }
    }

    /// A stable identity for the address: resolves symlinks in the parent
    /// directory so `dir/../dir/x` and `link/x` compare equal.
    pub fn identity(&self) -> Location {
        match self {
            Location::File(p) => {
                let resolved = match (p.parent(), p.file_name()) {
                    (Some(parent), Some(name)) => parent
                        .canonicalize()
                        .map(|d| d.join(name))
                        .unwrap_or_else(|_| p.clone()),
                    _ => p.clone(),
                };
                // The file itself may be a symlink to the source.
                Location::File(resolved.canonicalize().unwrap_or(resolved))
            }
            Location::Remote(r) => Location::Remote(r.identity()),
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::File(p) => write!(f, "{}", p.display()),
            Location::Remote(r) => write!(f, "{r}"),
        }
    }
}

/// `scheme` of `scheme://...`, if the text looks like a URL.
fn scheme(text: &str) -> Option<&str> {
    let (head, _) = text.split_once("://")?;
    let ok = !head.is_empty()
        && head.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && head
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    ok.then_some(head)
}

fn parse_file_url(text: &str) -> Result<Location> {
    let rest = &text["file://".len()..];
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
    Ok(Location::File(absolute(Path::new(&decoded))?))
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

/// Absolute and lexically normalised (no `.`/`..`), without touching the
/// filesystem: the file usually does not exist yet.
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

#[cfg(test)]
mod tests {
    use super::*;

    fn file(p: &str) -> Location {
        Location::File(PathBuf::from(p))
    }

    #[test]
    fn plain_and_file_urls_parse_to_the_same_path() {
        assert_eq!(Location::parse("/a/b/c.vhd").unwrap(), file("/a/b/c.vhd"));
        assert_eq!(
            Location::parse("file:///a/b/c.vhd").unwrap(),
            file("/a/b/c.vhd")
        );
        assert_eq!(
            Location::parse("file://localhost/a/c").unwrap(),
            file("/a/c")
        );
        assert_eq!(Location::parse("file:///a/x%20y").unwrap(), file("/a/x y"));
        assert_eq!(Location::parse("/a/./b/../c").unwrap(), file("/a/c"));
    }

    #[test]
    fn relative_paths_become_absolute() {
        let loc = Location::parse("rel/img.raw").unwrap();
        let expected = std::env::current_dir().unwrap().join("rel/img.raw");
        assert_eq!(loc, Location::File(expected));
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
    }
}
