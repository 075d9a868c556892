# Stubs for the Rust extension imgrepl._core; kept honest by mypy.stubtest.
__version__: str

class ImgreplError(Exception): ...
