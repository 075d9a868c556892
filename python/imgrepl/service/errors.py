"""ARM-shaped errors: `{"error": {"code", "message", "target"?}}` with ARM's
codes and statuses, and the one mapping from imgrepl's exceptions to them.
A message is one line; an unexpected error says nothing of its insides."""

from __future__ import annotations

import logging

from starlette.responses import JSONResponse

from imgrepl.exceptions import (
    AuthenticationError,
    AuthorizationError,
    CatalogError,
    ConflictError,
    ImageFormatError,
    LimitExceededError,
    NotFoundError,
    StoreError,
    ValidationError,
)

log = logging.getLogger("imgrepl.service")


class ArmError(Exception):
    """An error the service answers with as it is."""

    def __init__(self, status: int, code: str, message: str, target: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.target = status, code, message, target

    def response(self, headers: dict[str, str] | None = None) -> JSONResponse:
        body: dict[str, str] = {"code": self.code, "message": self.message}
        if self.target:
            body["target"] = self.target
        return JSONResponse({"error": body}, status_code=self.status, headers=headers)


def invalid(message: str, target: str | None = None) -> ArmError:
    return ArmError(400, "InvalidParameter", message, target)


# (exception class, status, ARM code): the first that matches wins
_MAPPING: list[tuple[type[BaseException], int, str]] = [
    (AuthorizationError, 403, "AuthorizationFailed"),
    (NotFoundError, 404, "ResourceNotFound"),
    (LimitExceededError, 409, "OperationNotAllowed"),
    (ConflictError, 409, "Conflict"),
    (ImageFormatError, 400, "InvalidParameter"),
    (ValidationError, 400, "InvalidParameter"),
    (FileNotFoundError, 400, "InvalidParameter"),  # a source that is not there
    (StoreError, 502, "StoreError"),
    (CatalogError, 503, "ServiceUnavailable"),
]


def from_exception(exc: BaseException) -> ArmError:
    """The ARM error for anything a handler raised."""
    if isinstance(exc, ArmError):
        return exc
    if isinstance(exc, AuthenticationError):  # its code says which (identity.py)
        return ArmError(401, exc.code, one_line(str(exc)) or exc.code)
    for kind, status, code in _MAPPING:
        if isinstance(exc, kind):
            return ArmError(status, code, one_line(str(exc)) or code)
    log.exception("unexpected error", exc_info=exc)
    return ArmError(500, "InternalServerError", "the server met an unexpected error")


def one_line(text: str) -> str:
    return "; ".join(line.strip() for line in text.splitlines() if line.strip())
