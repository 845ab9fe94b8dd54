"""Unpack .gz and .zip sources into a work directory, refusing bombs and unsafe members.

Limits are checked twice for zip archives: first on the sizes the archive declares, then on the
bytes actually written, chunk by chunk, so an archive that lies about its sizes is stopped as it
goes. A gzip file declares nothing trustworthy, so only the running count applies. Whatever a
refusal interrupts is deleted. Archives inside archives are not unpacked.
"""

from __future__ import annotations

import gzip
import logging
import os
import re
import stat
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from agents.errors import ArchiveRefused, FormatError, SourceNotFound
from agents.sources.sizes import format_size
from agents.sources.skipped import NESTED_ARCHIVE, NOT_A_DATA_FILE

logger = logging.getLogger(__name__)

ARCHIVE_SUFFIXES = (".gz", ".zip")
NESTED_ARCHIVE_SUFFIXES = (".gz", ".zip", ".tgz", ".tar", ".bz2", ".xz", ".zst", ".7z", ".rar")
# Files smaller than this are never refused for their compression ratio: small, repetitive
# files compress very well and are harmless.
RATIO_GRACE_BYTES = 1024 * 1024
CHUNK_BYTES = 256 * 1024


@dataclass(frozen=True)
class ArchiveLimits:
    """How much an archive may unpack to, how compressed it may be, how many entries it may hold."""

    max_unpacked_bytes: int
    max_compression_ratio: float
    max_members: int


OnSkip = Callable[[str, str], None]
"""Told each member left out: its name inside the archive, and why."""


@dataclass(frozen=True)
class UnpackedFile:
    """One unpacked file: `member` is its name inside the archive (for .gz: the name sans .gz)."""

    member: str
    file: Path


def is_archive(name: str) -> bool:
    """Whether a file of this name is unpacked before it is read (.gz or .zip)."""
    return name.lower().endswith(ARCHIVE_SUFFIXES)


def unpack(
    archive: Path,
    *,
    dest_dir: Path,
    shown: str,
    limits: ArchiveLimits,
    is_data_file: Callable[[str], bool],
    on_skip: OnSkip | None = None,
) -> list[UnpackedFile]:
    """Unpack `archive` (a .gz or .zip) into `dest_dir`; `shown` names it in messages."""
    if archive.name.lower().endswith(".zip"):
        return unzip(
            archive,
            dest_dir=dest_dir,
            shown=shown,
            limits=limits,
            is_data_file=is_data_file,
            on_skip=on_skip,
        )
    return [gunzip(archive, dest_dir=dest_dir, shown=shown, limits=limits)]


def gunzip(archive: Path, *, dest_dir: Path, shown: str, limits: ArchiveLimits) -> UnpackedFile:
    """Decompress a .gz file into `dest_dir` under its name without `.gz`."""
    inner = archive.name[: -len(".gz")] if archive.name.lower().endswith(".gz") else archive.name
    inner = inner.lstrip(".") or "data"
    if inner.lower().endswith(NESTED_ARCHIVE_SUFFIXES):
        raise ArchiveRefused(
            f"{shown} holds another archive ({inner}); nested archives are not unpacked."
            " Unpack it yourself and import the data files."
        )
    dest_dir.mkdir(parents=True, exist_ok=True)
    meter = _Meter(shown, limits)
    try:
        with gzip.open(archive, "rb") as source:
            meter.copy(
                source, dest_dir / inner, compressed_size=archive.stat().st_size, label=shown
            )
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise FormatError(f"not a complete gzip file ({exc})", file=shown) from exc
    return UnpackedFile(member=inner, file=dest_dir / inner)


def unzip(
    archive: Path,
    *,
    dest_dir: Path,
    shown: str,
    limits: ArchiveLimits,
    is_data_file: Callable[[str], bool],
    on_skip: OnSkip | None = None,
) -> list[UnpackedFile]:
    """Extract the supported data files of a .zip into `dest_dir`, keeping their folders.

    The whole archive is refused if any entry is unsafe (absolute or `..` name, symbolic link,
    special file, encrypted, duplicate, a file that is also another member's folder) or the
    limits are exceeded. Directories, hidden entries (and `__MACOSX`), nested archives and
    unsupported files are skipped; `on_skip` is told of the last two.
    """
    try:
        opened = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise FormatError(f"not a readable zip archive ({exc})", file=shown) from exc
    with opened:
        members = _select_members(opened.infolist(), shown, limits, is_data_file, on_skip)
        meter = _Meter(shown, limits)
        unpacked: list[UnpackedFile] = []
        try:
            for info, parts in members:
                unpacked.append(_extract(opened, info, parts, dest_dir, shown, meter))
        except BaseException:
            for done in unpacked:  # a refused archive leaves nothing behind
                done.file.unlink(missing_ok=True)
            raise
    return unpacked


def _extract(
    opened: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    parts: tuple[str, ...],
    dest_dir: Path,
    shown: str,
    meter: _Meter,
) -> UnpackedFile:
    name = "/".join(parts)
    label = f"{shown}:{name}"
    target = dest_dir.joinpath(*parts)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with opened.open(info) as source:
            written = meter.copy(source, target, compressed_size=info.compress_size, label=label)
    except (zipfile.BadZipFile, EOFError, zlib.error) as exc:
        raise ArchiveRefused(
            f"{label} is damaged or its declared size is wrong ({exc}); refused."
        ) from exc
    if written != info.file_size:
        target.unlink(missing_ok=True)
        raise ArchiveRefused(
            f"{label} holds {written} bytes but declares {info.file_size}; refused."
        )
    return UnpackedFile(member=name, file=target)


class _ByteSource(Protocol):
    """What the meter reads: a gzip stream or a zip member (``GzipFile``, ``ZipExtFile``)."""

    def read(self, size: int, /) -> bytes: ...


class _Meter:
    """Copies members while counting bytes against the total cap and each member's ratio."""

    def __init__(self, shown: str, limits: ArchiveLimits) -> None:
        self.shown = shown
        self.limits = limits
        self.total = 0

    def copy(self, source: _ByteSource, target: Path, *, compressed_size: int, label: str) -> int:
        """Write `source` to `target` (through a `.part` file); return the bytes written."""
        partial = target.with_name(target.name + ".part")
        written = 0
        try:
            with partial.open("wb") as out:
                while chunk := source.read(CHUNK_BYTES):
                    written += len(chunk)
                    self.total += len(chunk)
                    self._check(written, compressed_size, label)
                    out.write(chunk)
            os.replace(partial, target)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        return written

    def _check(self, written: int, compressed_size: int, label: str) -> None:
        cap = self.limits.max_unpacked_bytes
        if self.total > cap:
            raise ArchiveRefused(
                f"{self.shown} unpacks to more than the {format_size(cap)} limit; refused."
            )
        ratio = self.limits.max_compression_ratio
        if written > RATIO_GRACE_BYTES and written > ratio * max(compressed_size, 1):
            raise ArchiveRefused(
                f"{label} is compressed more than {ratio:g} to 1, which is how archive bombs"
                " look; refused."
            )


def _select_members(
    infos: list[zipfile.ZipInfo],
    shown: str,
    limits: ArchiveLimits,
    is_data_file: Callable[[str], bool],
    on_skip: OnSkip | None = None,
) -> list[tuple[zipfile.ZipInfo, tuple[str, ...]]]:
    """Check every entry and its declared sizes; return the data files to extract."""
    if len(infos) > limits.max_members:
        raise ArchiveRefused(
            f"{shown} has {len(infos)} entries, more than the limit of {limits.max_members}."
        )
    selected: list[tuple[zipfile.ZipInfo, tuple[str, ...]]] = []
    seen: set[tuple[str, ...]] = set()
    skipped: list[tuple[str, str]] = []
    declared_total = 0
    for info in infos:
        parts = _member_parts(info.filename, shown)
        _refuse_unsafe_entry(info, shown)
        if info.is_dir() or not parts:
            continue
        if parts in seen:
            raise ArchiveRefused(f"{shown} holds {info.filename} twice; refused.")
        seen.add(parts)
        name = parts[-1]
        if any(part.startswith(".") or part == "__MACOSX" for part in parts):
            continue
        if name.lower().endswith(NESTED_ARCHIVE_SUFFIXES):
            skipped.append((info.filename, NESTED_ARCHIVE))
            continue
        if not is_data_file(name):
            skipped.append((info.filename, NOT_A_DATA_FILE))
            continue
        declared_total += info.file_size
        if declared_total > limits.max_unpacked_bytes:
            raise ArchiveRefused(
                f"{shown} declares more than the {format_size(limits.max_unpacked_bytes)}"
                " unpacked-size limit; refused."
            )
        ratio = limits.max_compression_ratio
        if info.file_size > RATIO_GRACE_BYTES and info.file_size > ratio * max(
            info.compress_size, 1
        ):
            raise ArchiveRefused(
                f"{shown}:{info.filename} is compressed more than {ratio:g} to 1, which is how"
                " archive bombs look; refused."
            )
        selected.append((info, parts))
    _refuse_file_folder_clash(selected, shown)
    said = [f"{member} ({reason})" for member, reason in skipped]
    if skipped:
        logger.info("%s: skipped %s", shown, ", ".join(said))
    if not selected:
        found = "; it holds " + ", ".join(said) if skipped else "; it holds no files"
        raise SourceNotFound(f"{shown} holds no supported data files{found}.")
    if on_skip is not None:
        for member, reason in skipped:
            on_skip(member, reason)
    return selected


def _refuse_file_folder_clash(
    selected: list[tuple[zipfile.ZipInfo, tuple[str, ...]]], shown: str
) -> None:
    """Refuse an archive where one member's name is the folder of another (``a.csv`` and
    ``a.csv/b.csv``): both cannot be unpacked, and taking one would drop the other silently."""
    files = {parts: info.filename for info, parts in selected}
    for info, parts in selected:
        for depth in range(1, len(parts)):
            if parts[:depth] in files:
                raise ArchiveRefused(
                    f"{shown} holds {files[parts[:depth]]} both as a file and as the folder of "
                    f"{info.filename}; rename one of them in the archive and import it again."
                )


def _member_parts(name: str, shown: str) -> tuple[str, ...]:
    """The path components of a member name; refuses absolute names and `..` (zip slip)."""
    unsafe = (
        name.startswith(("/", "\\"))
        or re.match(r"^[A-Za-z]:", name) is not None
        or "\x00" in name
        or ".." in re.split(r"[/\\]", name)
    )
    if unsafe:
        raise ArchiveRefused(
            f"{shown} holds an entry named {name!r}, which would be written outside the"
            " folder it is unpacked into; refused."
        )
    return tuple(part for part in re.split(r"[/\\]", name) if part not in ("", "."))


def _refuse_unsafe_entry(info: zipfile.ZipInfo, shown: str) -> None:
    if info.flag_bits & 0x1:
        raise ArchiveRefused(
            f"{shown}:{info.filename} is encrypted; encrypted archives are not unpacked."
        )
    mode = info.external_attr >> 16
    if mode and stat.S_ISLNK(mode):
        raise ArchiveRefused(f"{shown}:{info.filename} is a symbolic link; refused.")
    if mode and stat.S_IFMT(mode) and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        raise ArchiveRefused(f"{shown}:{info.filename} is not a regular file; refused.")
