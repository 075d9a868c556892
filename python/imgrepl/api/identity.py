"""Who sent a request, proven: `Authenticator` reads the `Authorization:
Bearer` header and returns the Identity its credential proves (an opaque
token made by `imgrepl token create`, or a JWT from the configured OIDC
issuer), or raises AuthenticationError with ARM's code (401).

    auth = Authenticator(catalog, OidcConfig(issuer, audience, jwks))
    identity = await auth.authenticate(request.headers.get("authorization"))
    async with Client(home, identity=identity) as client: ...

A Client made with `identity=` acts as that principal with the roles
assigned to it, and is never the home's owner.  Credentials never appear in
an error, a log line or the catalog (only a token's hash is stored).

An opaque token found active is remembered (by its hash, for TOKEN_TTL
seconds, never past its expiry) so that a client sending it with every
request costs no catalog read: a `token revoke` takes effect within
TOKEN_TTL seconds."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from imgrepl.api.oidc import OidcConfig, OidcVerifier
from imgrepl.api.recent import Recent
from imgrepl.catalog import Catalog
from imgrepl.exceptions import AuthenticationError
from imgrepl.gallery.identity import Identity, bearer, looks_like_token, token_hash
from imgrepl.gallery.rules import principal_name

TOKEN_TTL = 0.5  # seconds a token found active is believed without a catalog read


@dataclass(frozen=True)
class _Known:
    principal: str
    expires: float


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
        # token hash -> its principal and expiry, as the catalog said lately
        self._known: Recent[_Known] = Recent(TOKEN_TTL, follow_writes=False, clock=clock)

    async def authenticate(self, authorization: str | None) -> Identity:
        """The proven caller of a request, given its `Authorization` header
        (None when it has none).  Runs the blocking parts on a thread (none
        for an opaque token read lately)."""
        credential = bearer(authorization)
        if not looks_like_token(credential):
            return await asyncio.to_thread(self.check, authorization)
        digest = token_hash(credential)
        known = await self._known.get(digest, lambda: asyncio.to_thread(self._look_up, digest))
        if self._clock() >= known.expires:  # since it was read: refused as the catalog does
            known = await asyncio.to_thread(self._look_up, digest)
        return Identity(known.principal, "token")

    def check(self, authorization: str | None) -> Identity:
        """authenticate(), blocking (a catalog read; a JWKS fetch, cached)."""
        credential = bearer(authorization)
        if looks_like_token(credential):
            return Identity(self._look_up(token_hash(credential)).principal, "token")
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

    def _look_up(self, digest: str) -> _Known:
        token = self.catalog.tokens.find(digest)
        if token is None:
            raise AuthenticationError(
                "InvalidAuthenticationToken", "invalid token: no such token (forged or deleted)"
            )
        state = token.state(self._clock())
        if state != "Active":
            raise AuthenticationError(
                "InvalidAuthenticationToken", f"invalid token: token {token.id} is {state.lower()}"
            )
        return _Known(principal_name(token.principal), token.expires)
