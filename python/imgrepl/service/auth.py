"""Who makes a request: the principal its `Authorization: Bearer` token
proves, through imgrepl's identity layer.  No header or no bearer token:
401 AuthenticationFailed; a token that proves nothing: 401
InvalidAuthenticationToken."""

from __future__ import annotations

from imgrepl.service.errors import ArmError


def bearer(authorization: str | None) -> str:
    if not authorization:
        raise ArmError(401, "AuthenticationFailed", "the Authorization header is missing")
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.casefold() != "bearer" or not token.strip():
        raise ArmError(
            401, "AuthenticationFailed", "the Authorization header must be 'Bearer TOKEN'"
        )
    return token.strip()


async def authenticate(authorization: str | None) -> str:
    bearer(authorization)
    raise ArmError(401, "InvalidAuthenticationToken", "the access token is invalid")
