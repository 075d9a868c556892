//! imgrepl._core: a thin binding over imgrepl-core.  Every function converts
//! its arguments to owned Rust values, then releases the GIL for the work.
#![deny(unsafe_code)]
// #[pyfunction] arguments arrive as owned values extracted from Python.
#![allow(clippy::needless_pass_by_value)]

mod copy;
mod errors;
mod inspect;
mod manifest;
mod runtime;
mod store;
mod task;
mod verify;

#[pyo3::pymodule(gil_used = false)]
mod _core {
    use pyo3::prelude::*;

    #[allow(non_upper_case_globals)] // Python's own spelling
    #[pymodule_export]
    const __version__: &str = env!("CARGO_PKG_VERSION");

    /// A replica's manifest is stored at its address plus this suffix.
    #[pymodule_export]
    const MANIFEST_SUFFIX: &str = imgrepl_core::manifest::MANIFEST_SUFFIX;

    #[pymodule_export]
    use crate::inspect::{inspect, inspect_async, PyImageInfo, PyVirtualReader};

    #[pymodule_export]
    use crate::copy::{PyCopyJob, PyCopyReport, PyDestinationReport, PyProgress};

    #[pymodule_export]
    use crate::manifest::PyManifest;

    #[pymodule_export]
    use crate::task::{set_engine_nice, PyTask};

    #[pymodule_export]
    use crate::verify::{
        repair, repair_async, verify, verify_async, PyRepairReport, PyVerifyReport,
    };

    #[pymodule_export]
    use crate::store::{
        read_manifest_bytes, read_manifest_bytes_async, register_store, registered_stores,
        store_delete, store_delete_async, store_list, store_list_async, store_stat,
        store_stat_async, unregister_store,
    };

    #[pymodule_init]
    fn init(m: &Bound<'_, PyModule>) -> PyResult<()> {
        crate::errors::register(m)
    }
}
