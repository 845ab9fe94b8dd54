"""Text encodings: which one a file is in, and the file as UTF-8 for DuckDB, with exact lines.

The rule (:func:`detect_encoding`): a BOM decides (UTF-8, UTF-16 LE/BE); else NUL bytes in
alternate positions mean BOM-less UTF-16; else the first :data:`SNIFF_BYTES` decoding as strict
UTF-8 — or holding valid multi-byte UTF-8 next to invalid bytes — means UTF-8, and the whole file
is checked: an invalid byte is a :class:`~agents.errors.FormatError` naming its line; else the
file is single-byte: ``windows-1252`` when its bytes 0x80-0x9F are all defined there, otherwise
``latin-1``. Anything but UTF-8 is transcoded to UTF-8 in the workdir, streaming
(:func:`decode_to_utf8`); line numbers are unchanged by transcoding.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from agents.errors import FormatError
from agents.staging.relations import StagingJob

SNIFF_BYTES = 4 * 1024 * 1024
CHUNK = 1024 * 1024

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_CP1252_UNDEFINED = frozenset(b"\x81\x8d\x8f\x90\x9d")


@dataclass(frozen=True)
class Decoded:
    """A text file as UTF-8: the path DuckDB reads, the encoding it had, notes for the profile."""

    path: Path
    encoding: str
    notes: tuple[str, ...] = ()


def detect_encoding(file: Path) -> tuple[str, int]:
    """The file's encoding by the rule in this module's docstring, and the length of its BOM."""
    with file.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name, len(bom)
    utf16 = _utf16_without_bom(head[:4096])
    if utf16:
        return utf16, 0
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        cut = error.reason == "unexpected end of data" and len(head) == SNIFF_BYTES
        if not cut and not _has_utf8_sequences(head):
            return _single_byte_encoding(file), 0
    return "utf-8", 0


def _has_utf8_sequences(head: bytes) -> bool:
    """Valid multi-byte UTF-8 among invalid bytes means broken UTF-8, not a single-byte code."""
    return re.search("[^\x00-\x7f\ufffd]", head.decode("utf-8", "replace")) is not None


def _utf16_without_bom(head: bytes) -> str | None:
    """UTF-16 text without a BOM has NUL in every other byte (for Latin script)."""
    pairs = len(head) // 2
    if pairs < 2:
        return None
    even = head[0 : pairs * 2 : 2].count(0)
    odd = head[1 : pairs * 2 : 2].count(0)
    if even > 0.4 * pairs and odd < 0.05 * pairs:
        return "utf-16-be"
    if odd > 0.4 * pairs and even < 0.05 * pairs:
        return "utf-16-le"
    return None


def _single_byte_encoding(file: Path) -> str:
    """``windows-1252`` if the bytes 0x80-0x9F that occur are all defined there, else latin-1."""
    seen: set[int] = set()
    high = re.compile(rb"[\x80-\x9f]")
    with file.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            seen.update(match.group()[0] for match in high.finditer(chunk))
    if not seen or seen & _CP1252_UNDEFINED:
        return "latin-1"
    return "windows-1252"


def _python_codec(encoding: str, bom_length: int) -> str:
    if encoding == "utf-8":
        return "utf-8-sig" if bom_length else "utf-8"
    if encoding.startswith("utf-16") and bom_length:
        return "utf-16"
    return {"windows-1252": "cp1252"}.get(encoding, encoding)


def decode_chunks(file: Path, *, codec: str, source: str, text: bool = True) -> Iterator[str]:
    """The file as text chunks; an undecodable byte is a FormatError naming its line.

    With ``text=False`` a UTF-8 file is only checked (nothing is yielded), and chunks of ASCII,
    which is valid UTF-8, are not decoded.
    """
    decoder = codecs.getincrementaldecoder(codec)("strict")
    read = 0
    with file.open("rb") as handle:
        while True:
            chunk = handle.read(CHUNK)
            pending = decoder.getstate()[0]
            if not text and read and not pending and chunk.isascii() and chunk:
                read += len(chunk)
                continue
            try:
                decoded = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as error:
                bad = read - len(pending) + error.start
                name = codec.removesuffix("-sig")
                raise FormatError(
                    f"is not valid {name} (byte 0x{error.object[error.start]:02x}); "
                    f"save it as UTF-8",
                    file=source,
                    line=_line_at(file, bad, codec=codec),
                ) from None
            read += len(chunk)
            if decoded and text:
                yield decoded
            if not chunk:
                return


def _line_at(file: Path, offset: int, *, codec: str) -> int:
    """The line holding byte ``offset``, the bytes before it being valid ``codec`` text."""
    decoder = codecs.getincrementaldecoder(codec)("replace")
    lines = 0
    with file.open("rb") as handle:
        while offset > 0:
            chunk = handle.read(min(CHUNK, offset))
            if not chunk:
                break
            offset -= len(chunk)
            lines += decoder.decode(chunk, final=offset <= 0).count("\n")
    return lines + 1


def decode_to_utf8(job: StagingJob) -> Decoded:
    """The job's file as UTF-8 text: checked in place if it is UTF-8, else transcoded."""
    encoding, bom = detect_encoding(job.file)
    codec = _python_codec(encoding, bom)
    notes: list[str] = []
    if encoding == "utf-8":
        for _ in decode_chunks(job.file, codec=codec, source=job.source, text=False):
            pass
        if bom:
            notes.append("encoding: UTF-8 with BOM")
        return Decoded(job.file, encoding, tuple(notes))
    target = job.workdir / f"{job.relation}.utf8{job.file.suffix or '.txt'}"
    with target.open("w", encoding="utf-8", newline="") as out:
        for text in decode_chunks(job.file, codec=codec, source=job.source):
            out.write(text)
    notes.append(f"encoding: {encoding}, transcoded to UTF-8")
    return Decoded(target, encoding, tuple(notes))


def decode_head(head: bytes) -> str:
    """The first bytes of a file as text, for sniffing its format: BOM or UTF-16, else UTF-8."""
    for bom, codec in _BOMS:
        if head.startswith(bom):
            return head[len(bom) :].decode(codec, "replace")
    utf16 = _utf16_without_bom(head)
    return head.decode(utf16 or "utf-8", "replace")
