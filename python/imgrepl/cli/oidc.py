"""`--oidc-issuer URL --oidc-audience AUD --oidc-jwks FILE|URL`: the OIDC
issuer whose JWTs a command serving requests (`imgrepl serve`) trusts, as
arguments, and the config they make (imgrepl.api.oidc.OidcConfig)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from imgrepl.api.oidc import OidcConfig

_FLAGS = ("oidc_issuer", "oidc_audience", "oidc_jwks")


def add_oidc_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("OIDC (JWTs from an identity provider; all three, or none)")
    g.add_argument("--oidc-issuer", metavar="URL", help="the issuer: the tokens' `iss`")
    g.add_argument("--oidc-audience", metavar="AUD", help="this service: the tokens' `aud`")
    g.add_argument(
        "--oidc-jwks",
        metavar="FILE|URL",
        help="the issuer's signing keys: a JWKS file, or an https URL (http on loopback only)",
    )


def oidc_config(args: argparse.Namespace) -> OidcConfig | None:
    """The config the three arguments give; None if none was given."""
    from imgrepl.api.oidc import OidcConfig
    from imgrepl.exceptions import ValidationError

    given = [getattr(args, f, None) for f in _FLAGS]
    if not any(given):
        return None
    if not all(given):
        missing = [f"--{f.replace('_', '-')}" for f, v in zip(_FLAGS, given, strict=True) if not v]
        raise ValidationError(f"OIDC needs {', '.join(missing)} as well")
    issuer, audience, jwks = (str(v) for v in given)
    return OidcConfig(issuer, audience, jwks)
