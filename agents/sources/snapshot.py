"""Snapshots: every resolved source fixed in the job's folder at inspection, with its sha256.

The profile a person approves and the rows the import loads must come from the same bytes, and
a URL must be fetched once per job however many workers run its steps. So at inspection every
resolved source becomes a snapshot: a file in the job's folder, recorded with its size and
sha256 and with what its origin said about it (a local file's modification time, an HTTP
response's ETag and Last-Modified). Later steps, on any worker that has the job's folder (a
shared volume), stage the snapshot files after checking their size and sha256 again; they never
go back to the original path or URL.

* Downloads, attachments and unpacked archive members already live in the job's folder (the
  resolver put them there): the file itself is the snapshot, hashed where it lies.
* Local files are copied to ``sources/<key>/<original name>`` (the name is kept: staging names
  relations after it), hashed in the same pass: read, hash, write, with no second read. A copy,
  not a hard link: a hard link shares the inode, so a file rewritten in place (an append, an
  editor saving over it, a tool updating a Parquet file) would change the snapshot with it. A
  large file costs its size once more on disk, in the job's folder, until the job is cleaned up.
* Nothing is followed that the resolver did not already allow: a local file is opened without
  following a symbolic link and must still be the path the resolver resolved (no link appeared
  in between); a file in the job's folder must resolve inside that folder.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from pydantic import BaseModel, ConfigDict, Field

from agents.errors import SnapshotChanged, SourceError, SourceNotFound
from agents.sources.resolve import Origin, ResolvedSource
from agents.sources.sizes import format_size

SNAPSHOT_FOLDER = "sources"
CHUNK_BYTES = 1024 * 1024
MAX_HEADER_LENGTH = 200  # an ETag or Last-Modified longer than this is cut (it is shown)


class SourceSnapshot(BaseModel):
    """One source as the job read it; `agents.artifacts` exports it with the other artifacts."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: str = Field(description="As shown to people: a path, or the URL with secrets redacted.")
    origin: Origin
    file: str = Field(description="The snapshot file, relative to the job's folder (POSIX).")
    size: int = Field(description="Bytes.")
    sha256: str = Field(description="64 hex digits of the snapshot file's SHA-256.")
    modified_at: datetime | None = Field(
        None, description="The file's modification time when it was read (not for URLs)."
    )
    etag: str | None = Field(None, description="The HTTP response's ETag header.")
    last_modified: str | None = Field(None, description="The HTTP response's Last-Modified.")
    fetched_at: datetime = Field(description="When the snapshot was taken.")

    def path(self, workdir: Path) -> Path:
        """Where the snapshot file is in the job's folder `workdir` (unchecked)."""
        return workdir.resolve() / self.file

    @property
    def short_sha256(self) -> str:
        """The first 12 hex digits, for screens."""
        return self.sha256[:12]

    @property
    def shown_size(self) -> str:
        return format_size(self.size)


def take_snapshots(sources: Sequence[ResolvedSource], *, workdir: Path) -> list[SourceSnapshot]:
    """Each resolved source fixed in `workdir` (the job's folder), in the order given."""
    workdir = workdir.resolve()
    return [_take(source, workdir=workdir) for source in sources]


def snapshot_files(snapshots: Sequence[SourceSnapshot], *, workdir: Path) -> list[Path]:
    """The snapshot files in `workdir`, each checked against its size and sha256 first.

    Raises SnapshotChanged, naming the source, when the job's folder lost a snapshot or holds
    different bytes under its name.
    """
    workdir = workdir.resolve()
    return [_verified(snapshot, workdir=workdir) for snapshot in snapshots]


@dataclass(frozen=True)
class _Digest:
    size: int
    sha256: str
    modified_at: datetime


def _take(source: ResolvedSource, *, workdir: Path) -> SourceSnapshot:
    if source.origin == "local":
        if os.path.realpath(source.file) != str(source.file):
            raise SourceError(f"{source.source} changed into a symbolic link; it is not read.")
        target = workdir / SNAPSHOT_FOLDER / _key(source.source) / source.file.name
        digest = _copy(source.file, target, shown=source.source)
    else:
        target = source.file.resolve()
        if not target.is_relative_to(workdir):
            raise SourceError(f"{source.source} is not in the job's folder; it is not read.")
        digest = _hash(target, shown=source.source)
    return SourceSnapshot(
        source=source.source,
        origin=source.origin,
        file=target.relative_to(workdir).as_posix(),
        size=digest.size,
        sha256=digest.sha256,
        modified_at=None if source.origin == "url" else digest.modified_at,
        etag=_header(source.etag),
        last_modified=_header(source.last_modified),
        fetched_at=datetime.now(UTC),
    )


def _verified(snapshot: SourceSnapshot, *, workdir: Path) -> Path:
    relative = PurePosixPath(snapshot.file)
    lost = SnapshotChanged(
        f"The job's copy of {snapshot.source} ({snapshot.file} in the job's folder) is missing."
        f" Nothing was written; start the import again to read the source anew."
    )
    if relative.is_absolute() or ".." in relative.parts:
        raise lost
    try:
        path = snapshot.path(workdir).resolve(strict=True)
    except (OSError, RuntimeError):
        raise lost from None
    if not path.is_relative_to(workdir):
        raise lost
    try:
        found = _hash(path, shown=snapshot.source)
    except SourceError as error:
        raise lost from error
    if (found.size, found.sha256) != (snapshot.size, snapshot.sha256):
        raise SnapshotChanged(
            f"The job's copy of {snapshot.source} ({snapshot.file}) changed after it was"
            f" inspected: it was {snapshot.shown_size}, sha256 {snapshot.short_sha256}, and is"
            f" now {format_size(found.size)}, sha256 {found.sha256[:12]}. Nothing was written;"
            " start the import again to read the source anew."
        )
    return path


def _copy(file: Path, target: Path, *, shown: str) -> _Digest:
    """Read `file` once: every chunk is hashed and written to `target` (through `.part`)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    partial.unlink(missing_ok=True)
    with _open_regular(file, shown=shown) as (reader, modified_at):
        try:
            with partial.open("wb") as out:
                size, sha256 = _stream(reader, out)
            partial.chmod(0o444)  # a snapshot is not edited; a changed one is refused anyway
            os.replace(partial, target)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    return _Digest(size, sha256, modified_at)


def _hash(file: Path, *, shown: str) -> _Digest:
    with _open_regular(file, shown=shown) as (reader, modified_at):
        size, sha256 = _stream(reader)
    return _Digest(size, sha256, modified_at)


def _stream(reader: BinaryIO, out: BinaryIO | None = None) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    while chunk := reader.read(CHUNK_BYTES):
        digest.update(chunk)
        size += len(chunk)
        if out is not None:
            out.write(chunk)
    return size, digest.hexdigest()


@contextmanager
def _open_regular(file: Path, *, shown: str) -> Iterator[tuple[BinaryIO, datetime]]:
    """`file` opened for reading if it is a regular file and not a symbolic link."""
    try:
        fd = os.open(file, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        raise SourceNotFound(f"{shown}: the file is gone.") from None
    except OSError as error:
        raise SourceError(f"{shown} cannot be read ({error.strerror}).") from error
    with os.fdopen(fd, "rb") as reader:
        info = os.fstat(reader.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise SourceError(f"{shown} is not a regular file; only files can be imported.")
        yield reader, datetime.fromtimestamp(info.st_mtime, UTC)


def _key(source: str) -> str:
    return hashlib.sha256(source.encode()).hexdigest()[:16]


def _header(value: str | None) -> str | None:
    value = (value or "").strip()
    return value[:MAX_HEADER_LENGTH] or None
