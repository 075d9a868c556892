//! The engine's entry points into remote stores: what `open_sink`,
//! `open_source`, `check_not_existing` and manifest lookup call for an
//! `s3://` or `az://` location.
use std::path::PathBuf;

use crate::error::Result;
use crate::location::Location;
use crate::manifest::Manifest;
use crate::sink::{Sink, SinkOptions};
use crate::source::Source;

use super::location::RemoteLocation;
use super::runtime::block_on;
use super::sink::{already_exists, RemoteSink};
use super::source::RemoteSource;

pub fn open_sink(remote: &RemoteLocation, opts: &SinkOptions) -> Result<Box<dyn Sink>> {
    let location = Location::Remote(remote.clone());
    Ok(Box::new(RemoteSink::open(remote, location, opts)?))
}

pub fn open_source(remote: &RemoteLocation) -> Result<Box<dyn Source>> {
    let location = Location::Remote(remote.clone());
    Ok(Box::new(RemoteSource::open(remote, location)?))
}

/// Refuses an existing replica when `overwrite` is off.  A store that
/// cannot be asked (down, refusing) is not the caller's error: the
/// destination's own sink then fails alone, and the other regions go on.
pub fn check_not_existing(remote: &RemoteLocation, overwrite: bool) -> Result<()> {
    if overwrite {
        return Ok(());
    }
    let exists = remote.store().and_then(|s| block_on(s.head(&remote.url)));
    match exists {
        Ok(Some(_)) => Err(already_exists(&remote.url)),
        _ => Ok(()),
    }
}

/// The manifest for `replica` when it or the explicit `manifest` is remote;
/// None leaves local manifests to the caller.  The path is the URL.
pub fn find_manifest(
    replica: &Location,
    manifest: Option<&str>,
) -> Result<Option<(PathBuf, Manifest)>> {
    let found = match (manifest, replica) {
        (Some(text), _) => match Location::parse(text)? {
            Location::Remote(r) => Some(super::manifest::load(&r, &r.url)?),
            Location::File(_) => None,
        },
        (None, Location::Remote(r)) => Some(super::manifest::load_beside(r)?),
        (None, Location::File(_)) => None,
    };
    Ok(found.map(|(url, m)| (PathBuf::from(url.to_string()), m)))
}

/// The manifest at `path` when `path` is an `s3://` or `az://` URL (so
/// `Manifest::load` takes either); None for anything else.
pub fn load_manifest_at(path: &std::path::Path) -> Result<Option<Manifest>> {
    let Some(text) = path.to_str() else {
        return Ok(None);
    };
    let remote = text
        .split_once("://")
        .is_some_and(|(scheme, _)| super::Backend::from_scheme(scheme).is_some());
    if !remote {
        return Ok(None);
    }
    let r = RemoteLocation::parse(text)?;
    Ok(Some(super::manifest::load(&r, &r.url)?.1))
}
