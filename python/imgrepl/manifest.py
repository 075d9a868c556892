"""Manifests as numpy arrays: per-chunk digests, zero flags, and which
chunks two manifests disagree on, all without a per-chunk Python loop."""

from __future__ import annotations

import os

import numpy as np
import numpy.typing as npt

from imgrepl._core import Manifest

DIGEST_SIZE = 16


def load_manifest(path: str | os.PathLike[str]) -> Manifest:
    """Reads and checks a manifest file (ManifestError names what is wrong)."""
    return Manifest.load(path)


def digests(m: Manifest) -> npt.NDArray[np.void]:
    """One 16-byte canonical xxh3-128 digest per chunk, dtype 'V16'."""
    return np.frombuffer(m.digest_bytes(), dtype=f"V{DIGEST_SIZE}")


def zero_flags(m: Manifest) -> npt.NDArray[np.bool_]:
    """True for each all-zero chunk."""
    return np.frombuffer(m.zero_flags(), dtype=np.uint8).astype(np.bool_)


def diff(a: Manifest, b: Manifest) -> npt.NDArray[np.intp]:
    """Indices of the chunks whose digests differ; chunks only one manifest
    has (different sizes) count as differing.  Chunk sizes must match."""
    if a.chunk_size != b.chunk_size:
        raise ValueError(
            f"manifests have different chunk sizes ({a.chunk_size} and {b.chunk_size}); "
            "chunks cannot be compared"
        )
    # (n, 2) uint64 views make the comparison two word compares per chunk.
    da = np.frombuffer(a.digest_bytes(), dtype=np.uint64).reshape(-1, 2)
    db = np.frombuffer(b.digest_bytes(), dtype=np.uint64).reshape(-1, 2)
    common = min(len(da), len(db))
    differ = np.flatnonzero((da[:common] != db[:common]).any(axis=1))
    extra = np.arange(common, max(len(da), len(db)), dtype=np.intp)
    return np.concatenate([differ.astype(np.intp), extra])
