"""The version bundle file format, version 1 (docs/bundle-format.md): the
framing shared by the writer and the reader, and nothing else.

    bundle   := preamble section(header) section(manifest)* record* end
    preamble := b"IMGRBNDL" u16 format u16 flags
    section  := u32 length, bytes, u64 xxh3-64 of the bytes
    record   := b"C" u8 disk u32 chunk u32 length, one zstd frame
    end      := b"E" u32 records, u64 xxh3-64 of every byte before b"E"

Integers are little-endian; digests are canonical (big-endian) bytes.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from typing import Any, BinaryIO

import xxhash

from imgrepl.exceptions import BundleError

MAGIC = b"IMGRBNDL"
FORMAT = 1
PREAMBLE = struct.Struct("<8sHH")
SECTION_LEN = struct.Struct("<I")
CHECK = struct.Struct(">Q")  # xxh3-64, canonical
RECORD = struct.Struct("<cBII")  # kind, disk, chunk, payload length
END = struct.Struct("<cIQ")
CHUNK, FINISH = b"C", b"E"
MAX_SECTION = 1 << 30  # a header or manifest past this is not ours
DIGEST_SIZE = 16


def chunk_digest(data: bytes | memoryview) -> bytes:
    """The manifest's per-chunk digest: xxh3-128, canonical."""
    return xxhash.xxh3_128_digest(data)


@dataclass(frozen=True)
class DiskTable:
    """One disk of the bundled version, from its manifest."""

    lun: int | None
    size: int
    chunk_size: int
    digests: bytes  # 16 bytes per chunk
    zero: bytes  # 1 byte per chunk
    manifest: bytes  # as stored beside a replica

    @property
    def label(self) -> str:
        return "os" if self.lun is None else f"data{self.lun}"

    @property
    def chunks(self) -> int:
        return len(self.zero)

    def digest(self, index: int) -> bytes:
        return self.digests[index * DIGEST_SIZE : (index + 1) * DIGEST_SIZE]

    def length(self, index: int) -> int:
        return min(self.chunk_size, self.size - index * self.chunk_size)


class CheckedWriter:
    """Writes to a binary stream and keeps the running whole-bundle check."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.check = xxhash.xxh3_64()
        self.written = 0

    def write(self, data: bytes | memoryview) -> None:
        self.out.write(data)
        self.check.update(data)
        self.written += len(data)

    def section(self, data: bytes) -> None:
        self.write(SECTION_LEN.pack(len(data)) + data + CHECK.pack(xxhash.xxh3_64_intdigest(data)))

    def finish(self, records: int) -> None:
        self.out.write(END.pack(FINISH, records, self.check.intdigest()))
        self.written += END.size
        self.out.flush()


class CheckedReader:
    """Reads exactly what was asked for, or says the bundle ends too early."""

    def __init__(self, inp: BinaryIO) -> None:
        self.inp = inp
        self.check = xxhash.xxh3_64()
        self.offset = 0

    def read(self, n: int, what: str, *, checked: bool = True) -> bytes:
        data = self.inp.read(n)
        while len(data) < n:
            more = self.inp.read(n - len(data))
            if not more:
                raise BundleError(
                    f"the bundle ends early, at byte {self.offset + len(data)}, inside {what}: "
                    "it is truncated"
                )
            data += more
        if checked:
            self.check.update(data)
        self.offset += n
        return data

    def section(self, what: str) -> bytes:
        (length,) = SECTION_LEN.unpack(self.read(SECTION_LEN.size, what))
        if length > MAX_SECTION:
            raise BundleError(f"{what} claims {length} bytes: it is corrupt")
        data = self.read(length, what)
        (want,) = CHECK.unpack(self.read(CHECK.size, what))
        if xxhash.xxh3_64_intdigest(data) != want:
            raise BundleError(f"{what} of the bundle is corrupt (its check does not match)")
        return data


def read_preamble(r: CheckedReader) -> None:
    magic, fmt, _flags = PREAMBLE.unpack(r.read(PREAMBLE.size, "the preamble"))
    if magic != MAGIC:
        raise BundleError("not an imgrepl version bundle (bad magic)")
    if fmt != FORMAT:
        raise BundleError(f"bundle format {fmt} is not supported (this imgrepl reads {FORMAT})")


def encode_header(header: dict[str, Any]) -> bytes:
    return json.dumps(header, sort_keys=True, separators=(",", ":")).encode()


def decode_header(data: bytes) -> dict[str, Any]:
    try:
        header = json.loads(data)
    except ValueError:
        raise BundleError("the bundle's header is not valid JSON") from None
    if not isinstance(header, dict) or not isinstance(header.get("disks"), list):
        raise BundleError("the bundle's header has no disk list")
    return header
