//! `inspect` / `inspect_async` -> ImageInfo, and VirtualReader: what a disk
//! image is, and its virtual bytes.  Both read only what they must; the
//! GIL is released for all file I/O.
use std::path::PathBuf;

use imgrepl_core::image::{self, ImageInfo};
use imgrepl_core::vhd::VirtualReader;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};

use crate::errors::PyEngineError;
use crate::runtime::blocking_into_py;

/// What a disk image file is.  VHD-only fields are None for raw files;
/// dynamic-only ones (block_size, ...) are None for fixed disks.
#[pyclass(name = "ImageInfo", module = "imgrepl._core", frozen, get_all)]
pub struct PyImageInfo {
    format: String,
    vhd_type: Option<String>,
    virtual_size: u64,
    file_size: u64,
    allocated_bytes: u64,
    creator_app: Option<String>,
    creator_version: Option<(u16, u16)>,
    creator_host_os: Option<String>,
    geometry: Option<(u16, u8, u8)>,
    unique_id: Option<String>,
    timestamp: Option<u64>,
    original_size: Option<u64>,
    current_size: Option<u64>,
    size_source: Option<String>,
    saved_state: Option<bool>,
    block_size: Option<u32>,
    max_table_entries: Option<u32>,
    allocated_blocks: Option<u64>,
    parent_name: Option<String>,
    parent_uuid: Option<String>,
    warnings: Vec<String>,
}

impl From<ImageInfo> for PyImageInfo {
    fn from(info: ImageInfo) -> Self {
        let v = info.vhd.as_ref();
        let parent = v.and_then(|v| v.parent.as_ref());
        PyImageInfo {
            format: info.format.as_str().to_string(),
            vhd_type: v.map(|v| v.disk_type.as_str().to_string()),
            virtual_size: info.virtual_size,
            file_size: info.file_size,
            allocated_bytes: info.allocated_bytes,
            creator_app: v.map(|v| v.creator_app.clone()),
            creator_version: v.map(|v| v.creator_version),
            creator_host_os: v.map(|v| v.creator_host_os.clone()),
            geometry: v.map(|v| {
                let g = v.geometry;
                (g.cylinders, g.heads, g.sectors_per_track)
            }),
            unique_id: v.map(|v| v.unique_id.clone()),
            timestamp: v.map(|v| v.timestamp),
            original_size: v.map(|v| v.original_size),
            current_size: v.map(|v| v.current_size),
            size_source: v.map(|v| v.size_source.as_str().to_string()),
            saved_state: v.map(|v| v.saved_state),
            block_size: v.and_then(|v| v.block_size),
            max_table_entries: v.and_then(|v| v.max_table_entries),
            allocated_blocks: v.and_then(|v| v.allocated_blocks),
            parent_name: parent.map(|p| p.name.clone()),
            parent_uuid: parent.map(|p| p.uuid.clone()),
            warnings: info.warnings,
        }
    }
}

#[pymethods]
impl PyImageInfo {
    /// Every field, in declaration order, as plain Python values.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("format", &self.format)?;
        d.set_item("vhd_type", &self.vhd_type)?;
        d.set_item("virtual_size", self.virtual_size)?;
        d.set_item("file_size", self.file_size)?;
        d.set_item("allocated_bytes", self.allocated_bytes)?;
        d.set_item("creator_app", &self.creator_app)?;
        d.set_item("creator_version", self.creator_version)?;
        d.set_item("creator_host_os", &self.creator_host_os)?;
        d.set_item("geometry", self.geometry)?;
        d.set_item("unique_id", &self.unique_id)?;
        d.set_item("timestamp", self.timestamp)?;
        d.set_item("original_size", self.original_size)?;
        d.set_item("current_size", self.current_size)?;
        d.set_item("size_source", &self.size_source)?;
        d.set_item("saved_state", self.saved_state)?;
        d.set_item("block_size", self.block_size)?;
        d.set_item("max_table_entries", self.max_table_entries)?;
        d.set_item("allocated_blocks", self.allocated_blocks)?;
        d.set_item("parent_name", &self.parent_name)?;
        d.set_item("parent_uuid", &self.parent_uuid)?;
        d.set_item("warnings", &self.warnings)?;
        Ok(d)
    }

    fn __repr__(&self) -> String {
        // format and vhd_type are fixed ASCII words: quoting is enough
        let vhd_type = self
            .vhd_type
            .as_ref()
            .map_or("None".to_string(), |t| format!("'{t}'"));
        format!(
            "ImageInfo(format='{}', vhd_type={vhd_type}, virtual_size={}, allocated_bytes={})",
            self.format, self.virtual_size, self.allocated_bytes
        )
    }
}

fn inspect_inner(path: PathBuf) -> PyResult<PyImageInfo> {
    Ok(image::inspect(&path).map_err(PyEngineError)?.into())
}

/// Inspects a raw or VHD image; raises ImageFormatError naming the field
/// of a corrupt VHD.
#[pyfunction]
pub fn inspect(py: Python<'_>, path: PathBuf) -> PyResult<PyImageInfo> {
    py.detach(move || inspect_inner(path))
}

/// `inspect` as a coroutine: the same function on an engine thread.
#[pyfunction]
pub fn inspect_async(py: Python<'_>, path: PathBuf) -> PyResult<Bound<'_, PyAny>> {
    blocking_into_py(py, move || inspect_inner(path))
}

/// The virtual disk of a raw file or a fixed or dynamic VHD, read by
/// offset.  Unallocated blocks of a dynamic VHD read as zeros.
#[pyclass(name = "VirtualReader", module = "imgrepl._core", frozen)]
pub struct PyVirtualReader {
    inner: VirtualReader,
}

#[pymethods]
impl PyVirtualReader {
    #[new]
    fn new(py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        let inner = py
            .detach(|| VirtualReader::open(&path))
            .map_err(PyEngineError)?;
        Ok(PyVirtualReader { inner })
    }

    /// Size of the virtual disk in bytes.
    #[getter]
    fn size(&self) -> u64 {
        self.inner.size()
    }

    /// Up to `length` bytes from virtual `offset`; fewer at the end of the
    /// disk, empty past it.
    fn read_at<'py>(
        &self,
        py: Python<'py>,
        offset: u64,
        length: usize,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let want = self.inner.size().saturating_sub(offset).min(length as u64);
        let mut buf = vec![0u8; want as usize];
        let n = py
            .detach(|| self.inner.read_at(offset, &mut buf))
            .map_err(PyEngineError)?;
        Ok(PyBytes::new(py, &buf[..n]))
    }
}
