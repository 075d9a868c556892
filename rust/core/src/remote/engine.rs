//! The engine's entry points into remote stores: what `open_sink`,
//! `open_source`, `check_not_existing` and manifest lookup call for an
//! `s3://` or `az://` location.
use std::path::PathBuf;
use std::time::Duration;

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

/// How long the up-front existence check may hold up a job's start.
const EXISTS_CHECK_TIMEOUT: Duration = Duration::from_secs(5);

/// Refuses an existing replica when `overwrite` is off.  A store that
/// cannot be asked in time (down, refusing, silent) is not the caller's
/// error and must not delay the other destinations for its whole retry
/// budget: the destination's own sink then fails alone (and checks again
/// before it commits).
pub fn check_not_existing(remote: &RemoteLocation, overwrite: bool) -> Result<()> {
    if overwrite {
        return Ok(());
    }
    let Ok(store) = remote.store() else {
        return Ok(());
    };
    // The timer must be made inside the runtime, hence the async block.
    let head = store.head(&remote.url);
    let exists = block_on(async { tokio::time::timeout(EXISTS_CHECK_TIMEOUT, head).await });
    match exists {
        Ok(Ok(Some(_))) => Err(already_exists(&remote.url)),
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
