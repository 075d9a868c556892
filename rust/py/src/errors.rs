//! The imgrepl.exceptions hierarchy and the one mapping from engine errors.
use imgrepl_core::Error;
use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyValueError};
use pyo3::prelude::*;

create_exception!(
    imgrepl.exceptions,
    ImgreplError,
    PyException,
    "Base class of every error imgrepl raises on its own account."
);

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("ImgreplError", py.get_type::<ImgreplError>())?;
    Ok(())
}

#[allow(dead_code)] // used once the engine functions are bound
pub fn to_pyerr(err: Error) -> PyErr {
    match err {
        Error::Io { ref source, .. } => {
            let msg = err.to_string();
            match source.kind() {
                std::io::ErrorKind::NotFound => pyo3::exceptions::PyFileNotFoundError::new_err(msg),
                std::io::ErrorKind::PermissionDenied => {
                    pyo3::exceptions::PyPermissionError::new_err(msg)
                }
                std::io::ErrorKind::AlreadyExists => {
                    pyo3::exceptions::PyFileExistsError::new_err(msg)
                }
                _ => ImgreplError::new_err(msg),
            }
        }
        Error::InvalidArgument(_) => PyValueError::new_err(err.to_string()),
    }
}
