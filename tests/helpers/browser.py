"""A real browser for the status page tests: Debian's `chromium` (apt,
scripts/test.sh installs it) driven by PyPI `playwright` with its
`executable_path`; nothing downloads a browser.  The browser trusts the
test server's certificate by its public key alone (Chromium's
--ignore-certificate-errors-spki-list), so TLS is real: any other
certificate is still refused."""

from __future__ import annotations

import base64
import hashlib
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from playwright.sync_api import Browser, sync_playwright

NAMES = ("chromium", "chromium-browser")


def chromium() -> str:
    """The system's Chromium; a failure (never a skip) when it is missing."""
    for name in NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise AssertionError("Debian's chromium is not installed: scripts/test.sh installs it")


def spki_pin(cert: Path) -> str:
    """base64(sha256(SubjectPublicKeyInfo)) of a PEM certificate, as Chromium takes it."""
    loaded = x509.load_pem_x509_certificate(cert.read_bytes())
    spki = loaded.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(hashlib.sha256(spki).digest()).decode()


@contextmanager
def browser(trusted_cert: Path) -> Iterator[Browser]:
    """Headless Chromium that accepts the one server certificate given."""
    with sync_playwright() as p:
        launched = p.chromium.launch(
            executable_path=chromium(),
            args=[f"--ignore-certificate-errors-spki-list={spki_pin(trusted_cert)}"],
        )
        try:
            yield launched
        finally:
            launched.close()
