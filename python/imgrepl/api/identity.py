"""Who sent a request, proven: `Authenticator` reads the `Authorization:
Bearer` header and returns the Identity its credential proves (an opaque
token made by `imgrepl token create`, or a JWT from the configured OIDC
issuer), or raises AuthenticationError with ARM's code (401).

    auth = Authenticator(catalog, OidcConfig(issuer, audience, jwks))
    identity = await auth.authenticate(request.headers.get("authorization"))
    async with Client(home, identity=identity) as client: ...

A Client made with `identity=` acts as that principal with the roles
assigned to it, and is never the home's owner.  Credentials never appear in
an error, a log line or the catalog (only a token's hash is stored)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from imgrepl.api.oidc import OidcConfig, OidcVerifier
from imgrepl.catalog import Catalog
from imgrepl.exceptions import AuthenticationError
from imgrepl.gallery.identity import Identity, bearer, looks_like_token, token_hash
from imgrepl.gallery.rules import principal_name


class Authenticator:
    """Checks credentials against one catalog's tokens and, if configured,
    one OIDC issuer.  Thread-safe: the service may share one."""

    def __init__(
        self,
        catalog: Catalog,
        oidc: OidcConfig | None = None,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.catalog = catalog
        self.oidc = OidcVerifier(oidc) if oidc is not None else None
        self._clock = clock

    async def authenticate(self, authorization: str | None) -> Identity:
        """The proven caller of a request, given its `Authorization` header
        (None when it has none).  Runs the blocking parts on a thread."""
        return await asyncio.to_thread(self.check, authorization)

    def check(self, authorization: str | None) -> Identity:
        """authenticate(), blocking (a catalog read; a JWKS fetch, cached)."""
        credential = bearer(authorization)
        if looks_like_token(credential):
            return Identity(self._opaque(credential), "token")
        if credential.count(".") == 2:
            if self.oidc is None:
                raise AuthenticationError(
                    "InvalidAuthenticationToken",
                    "invalid token: a JWT, but this service trusts no OIDC issuer "
                    "(start it with --oidc-issuer, --oidc-audience and --oidc-jwks)",
                )
            return self.oidc.verify(credential)
        raise AuthenticationError(
            "InvalidAuthenticationToken",
            "invalid token: neither an imgrepl token nor a JWT",
        )

    def _opaque(self, credential: str) -> str:
        token = self.catalog.tokens.find(token_hash(credential))
        if token is None:
            raise AuthenticationError(
                "InvalidAuthenticationToken", "invalid token: no such token (forged or deleted)"
            )
        state = token.state(self._clock())
        if state != "Active":
            raise AuthenticationError(
                "InvalidAuthenticationToken", f"invalid token: token {token.id} is {state.lower()}"
            )
        return principal_name(token.principal)
