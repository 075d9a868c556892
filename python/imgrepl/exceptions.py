"""Every error imgrepl raises on its own account derives from ImgreplError.

The engine's errors are defined in Rust (imgrepl._core) so Rust can raise
them; the gallery's are plain Python subclasses.
"""

from imgrepl._core import ImgreplError

__all__ = ["ImgreplError"]
