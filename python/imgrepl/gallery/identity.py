"""Proven identities, pure: the opaque access tokens `imgrepl token create`
makes (their form, their hash, their lifetime) and reading the bearer
credential of an `Authorization` header.  Storing tokens is the catalog's;
checking a request is imgrepl.api.identity.

A token is `imgrepl_` and 32 random bytes (256 bits) from `secrets`,
base64url.  Only its SHA-256 is kept.  A slow password hash (bcrypt,
scrypt, argon2) exists to make guessing a low-entropy password costly; a
256-bit random secret cannot be guessed at any speed, so a fast one-way
hash loses nothing, needs no salt (no two tokens share a hash, and no
table of precomputed hashes covers 2^256 inputs), and lets a request find
its token by an indexed lookup of the hash instead of hashing once per
stored token.  Someone who reads the catalog learns hashes, which open
nothing.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from imgrepl.exceptions import AuthenticationError, ValidationError

TOKEN_PREFIX = "imgrepl_"  # lets secret scanners and people recognise one
_TOKEN_RE = re.compile(r"^imgrepl_[A-Za-z0-9_-]{43}$")
_DURATION_RE = re.compile(r"^\s*(\d{1,6})\s*([smhdw])\s*$", re.IGNORECASE)
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
DEFAULT_LIFETIME = "30d"
MAX_LIFETIME = 366 * 86400  # a year: a token that never ends is one nobody remembers
MAX_CREDENTIAL = 16384  # bytes: far above any real JWT, far below a denial of service


def new_token() -> tuple[str, str]:
    """A fresh token and its public id (what `token list` and `revoke` name)."""
    secret = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
    return TOKEN_PREFIX + secret, "tok-" + secrets.token_hex(8)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def looks_like_token(text: str) -> bool:
    """Whether `text` has an opaque token's form (a JWT never does)."""
    return bool(_TOKEN_RE.match(text))


def parse_duration(value: str) -> int:
    """`30s`, `15m`, `1h`, `30d`, `2w` as seconds, from a second to a year."""
    m = _DURATION_RE.match(str(value))
    seconds = int(m.group(1)) * _UNIT[m.group(2).lower()] if m else 0
    if not m or not 0 < seconds <= MAX_LIFETIME:
        raise ValidationError(
            f"invalid duration {value!r}: use a number and a unit s, m, h, d or w "
            "(such as 1h or 30d), from 1s up to 366d"
        )
    return seconds


def iso(moment: float | None) -> str | None:
    """Seconds since the epoch as ISO 8601 UTC ending in `Z`."""
    if moment is None:
        return None
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Token:
    """A token as it is stored: never its secret."""

    id: str
    principal: str
    created: float
    expires: float
    revoked: float | None = None

    def state(self, now: float) -> str:
        if self.revoked is not None:
            return "Revoked"
        return "Expired" if now >= self.expires else "Active"

    def to_azure(self, now: float | None = None) -> dict[str, object]:
        import time

        return {
            "id": self.id,
            "principal": self.principal,
            "createdOn": iso(self.created),
            "expiresOn": iso(self.expires),
            "revokedOn": iso(self.revoked),
            "state": self.state(time.time() if now is None else now),
        }


@dataclass(frozen=True)
class NewToken:
    """What `token create` returns once: the stored token and its secret."""

    token: str
    stored: Token

    def __repr__(self) -> str:  # a log line or a traceback never shows the secret
        return f"NewToken(id={self.stored.id!r}, principal={self.stored.principal!r})"

    def to_azure(self) -> dict[str, object]:
        return {"token": self.token, **self.stored.to_azure()}


@dataclass(frozen=True)
class Identity:
    """A principal proven by a credential (`via`: `token` or `oidc`), as
    imgrepl.api.identity.Authenticator returns it.  Such a principal holds
    what its role assignments give and never becomes the home's owner.
    `tenant`: the Entra tenant (a JWT's `tid`), for galleries shared with it."""

    principal: str
    via: str
    tenant: str | None = None


def bearer(authorization: str | None) -> str:
    """The credential of `Authorization: Bearer <credential>`."""
    if authorization is None or not authorization.strip():
        raise AuthenticationError(
            "AuthenticationFailed",
            "authentication failed: the request has no Authorization header "
            "(send 'Authorization: Bearer <token>')",
        )
    scheme, _, credential = authorization.strip().partition(" ")
    credential = credential.strip()
    if len(credential) > MAX_CREDENTIAL:
        raise AuthenticationError(
            "AuthenticationFailed",
            f"authentication failed: the credential is longer than {MAX_CREDENTIAL} characters",
        )
    if scheme.lower() != "bearer" or len(credential.split(maxsplit=1)) != 1:
        raise AuthenticationError(
            "AuthenticationFailed",
            "authentication failed: the Authorization header is malformed (use 'Bearer <token>')",
        )
    return credential
