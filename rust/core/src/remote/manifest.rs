//! Manifests beside remote replicas: `KEY.imgrepl-manifest`, the same bytes
//! as a local manifest file.
use std::path::Path;

use super::location::RemoteLocation;
use super::runtime::block_on;
use super::url::StoreUrl;
use crate::error::{Error, Result};
use crate::manifest::Manifest;

/// Reads and checks the manifest at `url`.  A missing one is NotFound, as
/// for a local replica, so callers need not care where the replica lives.
pub fn load(remote: &RemoteLocation, url: &StoreUrl) -> Result<(StoreUrl, Manifest)> {
    let store = remote.store()?;
    let bytes = block_on(store.get_all(url))?.ok_or_else(|| {
        let e = std::io::Error::new(std::io::ErrorKind::NotFound, "no such object");
        Error::io("read manifest", url.to_string(), e)
    })?;
    let m = Manifest::decode(&bytes, Path::new(&url.to_string()))?;
    Ok((url.clone(), m))
}

/// The manifest beside the replica at `remote`, and its URL.
pub fn load_beside(remote: &RemoteLocation) -> Result<(StoreUrl, Manifest)> {
    load(remote, &remote.manifest_url()?)
}
