"""Every error imgrepl raises on its own account derives from ImgreplError.

The engine's errors are defined in Rust (imgrepl._core) so Rust can raise
them; the gallery's are plain Python subclasses.  I/O problems surface as
the builtin FileNotFoundError / PermissionError / FileExistsError.
"""

from imgrepl._core import (
    CopyCancelledError,
    ImageFormatError,
    ImgreplError,
    ManifestError,
    StoreError,
    VerifyError,
)


class ValidationError(ImgreplError, ValueError):
    """A request that breaks a gallery rule (name, version, replica count...)."""


class NotFoundError(ImgreplError, LookupError):
    """A gallery, definition, version, region or principal that does not exist."""


class ConflictError(ImgreplError):
    """A resource that exists already (duplicate name, version or identifier)."""


class LimitExceededError(ImgreplError):
    """A per-region quota (galleries, definitions, versions) would be exceeded."""


class AuthorizationError(ImgreplError, PermissionError):
    """The caller's role does not allow the operation (ARM: 403 `AuthorizationFailed`)."""

    code = "AuthorizationFailed"
    status = 403


class AuthenticationError(ImgreplError, PermissionError):
    """No proven caller (ARM: 401): `code` is `AuthenticationFailed` when the
    request carries no credential or a malformed one, `InvalidAuthenticationToken`
    when its token is unknown, forged, expired, revoked or fails verification.
    The message never contains the credential."""

    status = 401

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class CatalogError(ImgreplError):
    """The catalog cannot be opened or reached (a database server that does not answer)."""


class ReplicationError(ImgreplError):
    """One or more replicas failed; per-region details say which and why."""


class BundleError(ImgreplError, ValueError):
    """A version bundle that is truncated, corrupt or does not match its receiver."""


__all__ = [
    "AuthenticationError",
    "AuthorizationError",
    "BundleError",
    "CatalogError",
    "ConflictError",
    "CopyCancelledError",
    "ImageFormatError",
    "ImgreplError",
    "LimitExceededError",
    "ManifestError",
    "NotFoundError",
    "ReplicationError",
    "StoreError",
    "ValidationError",
    "VerifyError",
]
