# Stubs for the Rust extension imgrepl._core, one file per binding file in
# rust/py/src (as the extension is one module, these are stub-only modules
# gathered here); kept honest by mypy.stubtest.

from imgrepl._copy import CopyJob as CopyJob
from imgrepl._copy import CopyReport as CopyReport
from imgrepl._copy import DestinationReport as DestinationReport
from imgrepl._copy import Progress as Progress
from imgrepl._errors import CopyCancelledError as CopyCancelledError
from imgrepl._errors import ImageFormatError as ImageFormatError
from imgrepl._errors import ImgreplError as ImgreplError
from imgrepl._errors import ManifestError as ManifestError
from imgrepl._errors import StoreError as StoreError
from imgrepl._errors import VerifyError as VerifyError
from imgrepl._inspect import ImageInfo as ImageInfo
from imgrepl._inspect import VirtualReader as VirtualReader
from imgrepl._inspect import inspect as inspect
from imgrepl._inspect import inspect_async as inspect_async
from imgrepl._manifest import Manifest as Manifest
from imgrepl._store import read_manifest_bytes as read_manifest_bytes
from imgrepl._store import read_manifest_bytes_async as read_manifest_bytes_async
from imgrepl._store import register_store as register_store
from imgrepl._store import registered_stores as registered_stores
from imgrepl._store import store_delete as store_delete
from imgrepl._store import store_delete_async as store_delete_async
from imgrepl._store import store_list as store_list
from imgrepl._store import store_list_async as store_list_async
from imgrepl._store import store_stat as store_stat
from imgrepl._store import store_stat_async as store_stat_async
from imgrepl._store import unregister_store as unregister_store
from imgrepl._task import Task as Task
from imgrepl._task import set_engine_nice as set_engine_nice
from imgrepl._verify import RepairReport as RepairReport
from imgrepl._verify import VerifyReport as VerifyReport
from imgrepl._verify import repair as repair
from imgrepl._verify import repair_async as repair_async
from imgrepl._verify import verify as verify
from imgrepl._verify import verify_async as verify_async

__version__: str
MANIFEST_SUFFIX: str
"""A replica's manifest is stored at its address plus this suffix, on every backend."""
