//! The imgrepl.exceptions hierarchy and the one mapping from engine errors.
use imgrepl_core::Error;
use pyo3::create_exception;
use pyo3::exceptions::{
    PyException, PyFileExistsError, PyFileNotFoundError, PyIsADirectoryError, PyPermissionError,
    PyValueError,
};
use pyo3::prelude::*;

create_exception!(
    imgrepl.exceptions,
    ImgreplError,
    PyException,
    "Base class of every error imgrepl raises on its own account."
);
create_exception!(
    imgrepl.exceptions,
    ImageFormatError,
    ImgreplError,
    "A disk image (VHD or raw) that is corrupt, truncated or not what it claims."
);
create_exception!(
    imgrepl.exceptions,
    ManifestError,
    ImgreplError,
    "A manifest that cannot be read or does not fit its replica."
);
create_exception!(
    imgrepl.exceptions,
    VerifyError,
    ImgreplError,
    "A replica whose bytes differ from its manifest."
);
create_exception!(
    imgrepl.exceptions,
    StoreError,
    ImgreplError,
    "A region store (local directory, S3, Azure Blob) refused or failed."
);
create_exception!(
    imgrepl.exceptions,
    CopyCancelledError,
    ImgreplError,
    "A copy job stopped because its caller cancelled it."
);

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("ImgreplError", py.get_type::<ImgreplError>())?;
    m.add("ImageFormatError", py.get_type::<ImageFormatError>())?;
    m.add("ManifestError", py.get_type::<ManifestError>())?;
    m.add("VerifyError", py.get_type::<VerifyError>())?;
    m.add("StoreError", py.get_type::<StoreError>())?;
    m.add("CopyCancelledError", py.get_type::<CopyCancelledError>())?;
    Ok(())
}

/// Engine error -> Python exception.  A newtype because both `Error` and
/// `PyErr` are foreign to this crate; use `.map_err(PyEngineError)?`.
pub struct PyEngineError(pub Error);

impl From<PyEngineError> for PyErr {
    fn from(PyEngineError(err): PyEngineError) -> PyErr {
        let msg = err.to_string();
        match &err {
            Error::Io { source, .. } => match source.kind() {
                std::io::ErrorKind::NotFound => PyFileNotFoundError::new_err(msg),
                std::io::ErrorKind::PermissionDenied => PyPermissionError::new_err(msg),
                std::io::ErrorKind::AlreadyExists => PyFileExistsError::new_err(msg),
                std::io::ErrorKind::IsADirectory => PyIsADirectoryError::new_err(msg),
                _ => ImgreplError::new_err(msg),
            },
            Error::InvalidArgument(_) => PyValueError::new_err(msg),
            Error::InvalidImage { .. } => ImageFormatError::new_err(msg),
            Error::Manifest { .. } => ManifestError::new_err(msg),
            Error::Verify { .. } => VerifyError::new_err(msg),
            Error::Store { .. } => StoreError::new_err(msg),
            Error::Cancelled => CopyCancelledError::new_err(msg),
        }
    }
}
