"""JWTs from an OpenID Connect issuer, verified with PyJWT against the
issuer's keys (a JWKS file, or a JWKS URL: https, or http on loopback).

Only RS256 and ES256 are accepted, each only with a key of its own type:
`alg: none` and HS256 signed with a public key (the classic confusion) are
refused before any key is used.  `iss`, `aud` and `exp` are required and
checked, `nbf` when present, with a minute of leeway for clock skew.

The principal is the `oid` claim when there is one, else `sub`: Microsoft
Entra ID puts the object id of the user or service principal in `oid`
(stable across applications, and what Azure role assignments name as
`principalId`) while its `sub` differs per application; other issuers
(Keycloak, Dex, GitHub Actions...) carry only `sub`.  One issuer is
configured, so its subjects cannot collide with another issuer's.  The
`tid` claim, when present, is the principal's tenant (galleries shared with
a tenant: imgrepl.gallery.sharing).
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import math
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from imgrepl.exceptions import AuthenticationError, ValidationError
from imgrepl.gallery.identity import Identity
from imgrepl.gallery.rules import principal_name

ALGORITHMS = {"RS256": "RSA", "ES256": "EC"}  # alg -> the key type it needs
LEEWAY = 60  # seconds of clock skew allowed on exp and nbf
VERIFIED_KEPT = 4096  # verified tokens remembered


@dataclass(frozen=True)
class OidcConfig:
    """`--oidc-issuer URL --oidc-audience AUD --oidc-jwks FILE|URL`."""

    issuer: str
    audience: str
    jwks: str
    leeway: int = LEEWAY
    jwks_timeout: float = 5.0  # seconds a JWKS endpoint may take to answer


def _invalid(reason: str) -> AuthenticationError:
    return AuthenticationError("InvalidAuthenticationToken", f"invalid token: {reason}")


def _is_loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


class OidcVerifier:
    """Checks a JWT and returns its principal.  The issuer's keys are read
    once and kept for KEYS_LIFETIME; a token naming a key not among them
    reads them again (the issuer may have rotated its keys), at most once
    per REFRESH_EVERY, so tokens with made-up key ids cannot make the
    service hammer the issuer.  Thread-safe."""

    KEYS_LIFETIME = 300.0
    REFRESH_EVERY = 30.0

    def __init__(self, config: OidcConfig) -> None:
        import jwt

        if not config.issuer.strip() or not config.audience.strip():
            raise ValidationError("--oidc-issuer and --oidc-audience must not be empty")
        self.config = config
        url = urlsplit(config.jwks)
        self._client: jwt.PyJWKClient | None = None
        self._file: Path | None = None
        self._lock = threading.Lock()
        self._read_at = -math.inf
        # sha256(token) -> (identity, until when it holds), oldest first
        self._verified: OrderedDict[bytes, tuple[Identity, float]] = OrderedDict()
        if url.scheme in ("http", "https"):
            if url.scheme == "http" and not _is_loopback(url.hostname):
                raise ValidationError(
                    f"--oidc-jwks {config.jwks!r}: plain http is allowed only on a loopback "
                    "address; use https"
                )
            self._client = jwt.PyJWKClient(
                config.jwks, cache_jwk_set=False, timeout=config.jwks_timeout
            )
            self._keys: dict[str, Any] = {}
        else:
            self._file = Path(config.jwks)
            try:
                self._keys = self._read()  # a bad file is an error now, not per request
            except AuthenticationError as exc:
                raise ValidationError(f"--oidc-jwks {config.jwks!r}: {exc}") from None
            self._read_at = time.monotonic()

    def _read(self) -> dict[str, Any]:
        """The issuer's signing keys by key id."""
        import jwt

        try:
            if self._client is not None:
                data = self._client.fetch_data()
            else:
                assert self._file is not None
                data = json.loads(self._file.read_text())
            keys = jwt.PyJWKSet.from_dict(data).keys
        except jwt.PyJWKClientConnectionError:
            raise _invalid("the issuer's keys (JWKS) cannot be fetched") from None
        except (OSError, ValueError, KeyError, TypeError, AttributeError, jwt.PyJWTError) as exc:
            raise _invalid(f"the issuer's keys are not a JWKS ({type(exc).__name__})") from None
        return {k.key_id or "": k for k in keys}

    def _key(self, kid: object) -> Any:
        name = kid if isinstance(kid, str) else ""
        with self._lock:
            age = time.monotonic() - self._read_at
            stale = age >= self.KEYS_LIFETIME
            if stale or (name not in self._keys and age >= self.REFRESH_EVERY):
                self._read_at = time.monotonic()
                self._keys = self._read()
                # a withdrawn key no longer proves anything it signed
                self._verified.clear()
            keys = self._keys
        if kid is None and len(keys) == 1:
            return next(iter(keys.values()))
        if not isinstance(kid, str) or kid not in keys:
            raise _invalid(f"no key {kid!r} in the issuer's keys")
        return keys[kid]

    def verify(self, token: str) -> Identity:
        """The token's principal; a token verified before is remembered until
        it expires (or the keys are due to be read again), so a client
        sending one JWT per request pays for its signature once."""
        digest = hashlib.sha256(token.encode()).digest()
        now = time.time()
        with self._lock:
            hit = self._verified.get(digest)
        if hit is not None and now < hit[1]:
            return hit[0]
        identity, expires = self._verify(token)
        with self._lock:
            self._verified[digest] = (identity, min(expires, now + self.KEYS_LIFETIME))
            while len(self._verified) > VERIFIED_KEPT:
                self._verified.popitem(last=False)
        return identity

    def _verify(self, token: str) -> tuple[Identity, float]:
        import jwt

        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise _invalid("not a well-formed JWT") from None
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in ALGORITHMS:
            raise _invalid(f"algorithm {alg!r} is not accepted (use RS256 or ES256)")
        key = self._key(header.get("kid"))
        if getattr(key, "key_type", None) != ALGORITHMS[alg] or key.algorithm_name != alg:
            raise _invalid(f"the key {key.key_id!r} is not a key for {alg}")
        try:
            claims = jwt.decode(
                token,
                key.key,
                algorithms=[alg],
                audience=self.config.audience,
                issuer=self.config.issuer,
                leeway=self.config.leeway,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError:
            raise _invalid("the token has expired") from None
        except jwt.PyJWTError as exc:
            raise _invalid(str(exc) or type(exc).__name__) from None
        subject = claims.get("oid") or claims.get("sub")
        if not isinstance(subject, str):
            raise _invalid("it names no principal (no oid or sub claim)")
        try:
            principal = principal_name(subject)
        except ValidationError:
            shown = json.dumps(subject)[:80]
            raise _invalid(f"its principal {shown} is not a valid name") from None
        tenant = claims.get("tid")
        identity = Identity(principal, "oidc", tenant if isinstance(tenant, str) else None)
        return identity, float(claims["exp"]) + self.config.leeway
