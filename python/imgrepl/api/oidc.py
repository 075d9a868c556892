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

import ipaddress
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from imgrepl.exceptions import AuthenticationError, ValidationError
from imgrepl.gallery.identity import Identity
from imgrepl.gallery.rules import principal_name

ALGORITHMS = {"RS256": "RSA", "ES256": "EC"}  # alg -> the key type it needs
LEEWAY = 60  # seconds of clock skew allowed on exp and nbf


@dataclass(frozen=True)
class OidcConfig:
    """`--oidc-issuer URL --oidc-audience AUD --oidc-jwks FILE|URL`."""

    issuer: str
    audience: str
    jwks: str
    leeway: int = LEEWAY


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
    """Checks a JWT and returns its principal."""

    def __init__(self, config: OidcConfig) -> None:
        import jwt

        if not config.issuer.strip() or not config.audience.strip():
            raise ValidationError("--oidc-issuer and --oidc-audience must not be empty")
        self.config = config
        url = urlsplit(config.jwks)
        self._client: jwt.PyJWKClient | None = None
        self._file: Path | None = None
        if url.scheme in ("http", "https"):
            if url.scheme == "http" and not _is_loopback(url.hostname):
                raise ValidationError(
                    f"--oidc-jwks {config.jwks!r}: plain http is allowed only on a loopback "
                    "address; use https"
                )
            self._client = jwt.PyJWKClient(config.jwks, lifespan=300, timeout=5)
        else:
            self._file = Path(config.jwks)
            self._keys = self._read_file()  # a bad file is an error now, not per request

    def _read_file(self) -> dict[str, Any]:
        import jwt

        assert self._file is not None
        try:
            keys = jwt.PyJWKSet.from_json(self._file.read_text()).keys
        except (OSError, ValueError, jwt.PyJWKSetError, jwt.InvalidKeyError) as exc:
            raise ValidationError(f"--oidc-jwks {str(self._file)!r}: not a JWKS ({exc})") from None
        return {k.key_id or "": k for k in keys}

    def _key(self, token: str, kid: str | None) -> Any:
        import jwt

        if self._client is not None:
            try:
                return self._client.get_signing_key_from_jwt(token)
            except jwt.PyJWKClientConnectionError:
                raise _invalid("the issuer's keys (JWKS) cannot be fetched") from None
            except (jwt.PyJWKClientError, jwt.DecodeError) as exc:
                raise _invalid(str(exc)) from None
        keys = self._keys
        if (kid or "") not in keys:  # the issuer may have rotated its keys: read again
            keys = self._keys = self._read_file()
        if kid is None and len(keys) == 1:
            return next(iter(keys.values()))
        if (kid or "") not in keys:
            raise _invalid(f"no key {kid!r} in the issuer's keys")
        return keys[kid or ""]

    def verify(self, token: str) -> Identity:
        import jwt

        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise _invalid("not a well-formed JWT") from None
        alg = header.get("alg")
        if alg not in ALGORITHMS:
            raise _invalid(f"algorithm {alg!r} is not accepted (use RS256 or ES256)")
        key = self._key(token, header.get("kid"))
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
        return Identity(principal, "oidc", tenant if isinstance(tenant, str) else None)
