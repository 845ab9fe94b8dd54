"""Resolve what the person named — paths, directories, globs, URLs, attachments — to local files.

Local paths must stay inside the allowed data roots after every symbolic link is resolved; only
regular files are read, and hidden files and folders are skipped when a directory or a glob is
expanded. URLs are downloaded by `agents.sources.url_fetch`, archives unpacked by
`agents.sources.archives`, both into the work directory. What a folder, glob or archive held
that is not imported is listed with the reason (`SkippedSource`), never dropped in silence.
Nothing here reads the environment: `SourcePolicy.from_env` is for entry points, which hand it
their environment.
"""

from __future__ import annotations

import fnmatch
import hashlib
import logging
import os
import re
import stat
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Literal

from agents.errors import PathOutsideRoots, SourceError, SourceNotFound
from agents.sources.archives import ArchiveLimits, is_archive, unpack
from agents.sources.skipped import (
    NOT_A_DATA_FILE,
    NOT_A_REGULAR_FILE,
    NOT_DELIMITED,
    SkippedSource,
    skipped_words,
)
from agents.sources.url_fetch import download

logger = logging.getLogger(__name__)

DATA_SUFFIXES = (".csv", ".tsv", ".psv", ".txt", ".json", ".jsonl", ".ndjson", ".parquet", ".xlsx")
ROOTS_VARIABLE = "IMPORTBOT_DATA_ROOTS"
PRIVATE_URLS_VARIABLE = "IMPORTBOT_ALLOW_PRIVATE_URLS"

Origin = Literal["local", "url", "attachment", "archive"]

_GLOB_CHARS = re.compile(r"[*?\[]")
_URL_LIKE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://|^(file|ftp|data|javascript|jar):", re.I)
_SUPPORTED_TEXT = ", ".join(DATA_SUFFIXES) + " (each also as .gz)"


@dataclass(frozen=True)
class SourcePolicy:
    """Where sources may come from and how large they may be."""

    roots: tuple[Path, ...]
    allow_private_urls: bool = False
    max_download_bytes: int = 2 * 1024**3
    download_timeout_seconds: float = 60.0
    max_unpacked_bytes: int = 10 * 1024**3
    max_compression_ratio: float = 200.0
    max_archive_members: int = 10_000

    @classmethod
    def from_env(cls, environ: Mapping[str, str], *, cwd: Path) -> SourcePolicy:
        """The policy an entry point builds from its environment and working directory.

        `IMPORTBOT_DATA_ROOTS` (':'-separated, relative to `cwd`) defaults to `cwd`;
        `IMPORTBOT_ALLOW_PRIVATE_URLS=1` allows downloads from private addresses.
        """
        named = [part for part in environ.get(ROOTS_VARIABLE, "").split(":") if part.strip()]
        roots = tuple((cwd / Path(part.strip()).expanduser()).resolve() for part in named)
        roots = roots or (cwd.resolve(),)
        allow = environ.get(PRIVATE_URLS_VARIABLE, "").strip().lower() in {"1", "true", "yes"}
        return cls(roots=roots, allow_private_urls=allow)

    @property
    def archive_limits(self) -> ArchiveLimits:
        return ArchiveLimits(
            max_unpacked_bytes=self.max_unpacked_bytes,
            max_compression_ratio=self.max_compression_ratio,
            max_members=self.max_archive_members,
        )


@dataclass(frozen=True)
class ResolvedSource:
    """A file ready to read, and how to name it to people.

    `source` is the path relative to the first root (absolute for files under other roots, so
    it can be typed back as a source), the URL with its secrets redacted, the attachment's name,
    or `archive.zip:member.csv` / `file.csv.gz` for unpacked files. `etag` and `last_modified`
    are the HTTP response's headers, for a download and the members unpacked from it. `listed`:
    found by expanding a folder, a glob or a .zip, not named by the person.
    """

    source: str
    file: Path
    origin: Origin
    etag: str | None = None
    last_modified: str | None = None
    listed: bool = False


TextCheck = Callable[[Path], bool]
"""Whether a .txt or extension-less file holds data (a consistent delimited file)."""


@dataclass(frozen=True)
class Resolution:
    """The files to read, sorted by `source`, and what was found but left out, and why."""

    sources: list[ResolvedSource]
    skipped: list[SkippedSource] = field(default_factory=list)


def is_data_file(name: str) -> bool:
    """Whether a file of this name is read as data (a supported extension, optionally .gz)."""
    lowered = name.lower().removesuffix(".gz")
    return lowered.endswith(DATA_SUFFIXES)


def _has_no_extension(name: str) -> bool:
    return PurePosixPath(name.lower().removesuffix(".gz")).suffix == ""


def _is_unchecked_text(name: str) -> bool:
    """.txt and extension-less files may hold anything: in a folder they are checked first."""
    return name.lower().removesuffix(".gz").endswith(".txt") or _has_no_extension(name)


def resolve_sources(
    specs: Sequence[str],
    *,
    policy: SourcePolicy,
    workdir: Path,
    recursive: bool = False,
    attachments: Sequence[Path] = (),
    exclude: Sequence[str] = (),
    takes_text: TextCheck | None = None,
) -> Resolution:
    """Turn the sources the person named into local regular files, sorted by `source`.

    Relative paths are read from the first root; a directory yields its data files (its
    subfolders too when `recursive`), a glob the files it matches (`**` searches subfolders,
    and so does a recursive import), a URL is downloaded, .gz and .zip files are unpacked into
    `workdir`. Local files matching an `exclude` glob (by name or by path) are left out. With
    `takes_text`, a .txt or extension-less file a folder, glob or .zip holds is taken only if
    `takes_text` says it holds data (a file named explicitly is always tried). What is left out
    comes back in `skipped`, with the reason. The same file is returned once. Raises a
    SourceError subclass that says what to change.
    """
    roots = tuple(dict.fromkeys(Path(root).resolve() for root in policy.roots))
    if not roots:
        raise SourceError(f"No data roots are configured; set {ROOTS_VARIABLE}.")
    given = tuple(Path(os.path.abspath(root)) for root in policy.roots)
    local = _LocalPaths(roots, given=given, recursive=recursive, text=takes_text is not None)
    workdir.mkdir(parents=True, exist_ok=True)
    workdir = workdir.resolve()
    unique_specs = list(dict.fromkeys(spec.strip() for spec in specs))
    urls = [spec for spec in unique_specs if _URL_LIKE.match(spec)]
    # Local paths and attachments are checked first: a mistake there costs no download.
    skipped = local.skipped
    found = [
        item
        for spec in unique_specs
        if spec not in urls
        for item in _without_excluded(spec, local.resolve(spec), exclude, skipped)
    ]
    found.extend(_attachment(Path(path), workdir) for path in attachments)
    found.extend(_download(url, policy=policy, workdir=workdir) for url in urls)
    resolved: dict[Path, ResolvedSource] = {}
    for item in _unique(found):
        unpacked = _unpack_if_archive(
            item, policy=policy, workdir=workdir, skipped=skipped, text=takes_text is not None
        )
        for ready in unpacked:
            if _holds_no_data(ready, takes_text):
                skipped.append(SkippedSource(source=ready.source, reason=NOT_DELIMITED))
            else:
                resolved.setdefault(ready.file, ready)
    if not resolved and skipped:
        raise SourceNotFound(f"Nothing is left to import. {skipped_words(skipped)}.")
    sources = sorted(resolved.values(), key=lambda item: (item.source, str(item.file)))
    return Resolution(sources=sources, skipped=sorted(skipped, key=lambda item: item.source))


def _holds_no_data(item: ResolvedSource, takes_text: TextCheck | None) -> bool:
    """A .txt or extension-less file a folder, glob or .zip held that is not data."""
    return (
        takes_text is not None
        and item.listed
        and _is_unchecked_text(item.file.name)
        and not takes_text(item.file)
    )


def _without_excluded(
    spec: str,
    found: list[ResolvedSource],
    exclude: Sequence[str],
    skipped: list[SkippedSource],
) -> list[ResolvedSource]:
    """`except *_old.csv`: a file whose name or path matches an excluded glob is left out."""
    if not exclude:
        return found
    kept = []
    for item in found:
        matched = next(
            (
                glob
                for glob in exclude
                if fnmatch.fnmatchcase(item.file.name, glob)
                or fnmatch.fnmatchcase(item.source, glob)
            ),
            None,
        )
        if matched is None:
            kept.append(item)
        else:
            skipped.append(SkippedSource(source=item.source, reason=f"excluded by {matched}"))
    if not kept:
        raise SourceNotFound(
            f"Every file of {spec} matches {', '.join(exclude)}, which you excluded: "
            "nothing is left to import."
        )
    return kept


def _unique(found: list[ResolvedSource]) -> list[ResolvedSource]:
    by_file: dict[Path, ResolvedSource] = {}
    for item in found:
        by_file.setdefault(item.file, item)
    return list(by_file.values())


def _accepts(name: str) -> bool:
    """Files that may be named explicitly: data files, .zip archives, and extension-less files
    (staging finds their format)."""
    return is_data_file(name) or name.lower().endswith(".zip") or _has_no_extension(name)


def _not_supported(what: str, name: str) -> SourceError:
    hint = ""
    if name.lower().endswith((".tar", ".tgz", ".tar.gz", ".bz2", ".xz", ".7z", ".rar")):
        hint = " Only .gz and .zip archives are unpacked."
    return SourceError(
        f"{what} is not a supported data file. Supported: {_SUPPORTED_TEXT}, and .zip.{hint}"
    )


def _download(spec: str, *, policy: SourcePolicy, workdir: Path) -> ResolvedSource:
    fetched = download(
        spec,
        dest_dir=workdir / "downloads",
        max_bytes=policy.max_download_bytes,
        timeout_seconds=policy.download_timeout_seconds,
        allow_private=policy.allow_private_urls,
    )
    if not _accepts(fetched.file.name):
        fetched.file.unlink(missing_ok=True)
        raise _not_supported(f"{fetched.url} (saved as {fetched.file.name})", fetched.file.name)
    return ResolvedSource(
        source=fetched.url,
        file=fetched.file,
        origin="url",
        etag=fetched.etag,
        last_modified=fetched.last_modified,
    )


def _attachment(path: Path, workdir: Path) -> ResolvedSource:
    """A file a surface already saved under `workdir`, taken as it is."""
    try:
        resolved = path.resolve(strict=True)
    except (OSError, RuntimeError) as exc:
        raise SourceNotFound(f"The attachment {path.name} is missing.") from exc
    if not resolved.is_relative_to(workdir):
        raise PathOutsideRoots(
            f"The attachment {path} is not inside the work directory {workdir};"
            " attachments are read only from there."
        )
    if not resolved.is_file():
        raise SourceError(f"The attachment {path.name} is not a regular file.")
    if not _accepts(resolved.name):
        raise _not_supported(f"The attachment {path.name}", resolved.name)
    return ResolvedSource(source=path.name, file=resolved, origin="attachment")


def _unpack_if_archive(
    item: ResolvedSource,
    *,
    policy: SourcePolicy,
    workdir: Path,
    skipped: list[SkippedSource],
    text: bool,
) -> list[ResolvedSource]:
    """The file, or what it unpacks to; a .zip's members are `listed` (the person named the
    archive, not them), and so is everything a folder's archive holds. With `text`, a .zip's
    extension-less members are unpacked too, to be checked. A .zip a folder held with no data
    files in it is skipped, not an error."""
    if not is_archive(item.file.name):
        return [item]
    dest_dir = workdir / "unpacked" / hashlib.sha256(str(item.file).encode()).hexdigest()[:16]

    def skip(member: str, reason: str) -> None:
        skipped.append(SkippedSource(source=f"{item.source}:{member}", reason=reason))

    try:
        files = unpack(
            item.file,
            dest_dir=dest_dir,
            shown=item.source,
            limits=policy.archive_limits,
            is_data_file=lambda name: is_data_file(name) or (text and _has_no_extension(name)),
            on_skip=skip,
        )
    except SourceNotFound:
        if not item.listed:
            raise
        skipped.append(SkippedSource(source=item.source, reason="an archive without data files"))
        return []
    if item.file.name.lower().endswith(".gz"):
        return [replace(item, file=files[0].file, origin="archive")]
    return [
        replace(
            item,
            source=f"{item.source}:{one.member}",
            file=one.file,
            origin="archive",
            listed=True,
        )
        for one in files
    ]


@dataclass(frozen=True)
class _Entry:
    """A non-directory found while walking: its path below the walk's base, and its target."""

    parts: tuple[str, ...]
    target: Path
    regular: bool

    @property
    def name(self) -> str:
        return self.parts[-1]


@dataclass
class _Listing:
    files: list[_Entry] = field(default_factory=list)
    hidden: int = 0
    unsearched_dirs: int = 0


class _LocalPaths:
    """Resolves one local spec (file, directory or glob) inside the allowed roots."""

    def __init__(
        self, roots: tuple[Path, ...], *, given: tuple[Path, ...], recursive: bool, text: bool
    ) -> None:
        self.roots = roots  # resolved: the authority
        self.lexical_roots = roots + given  # as configured, for the check before resolving
        self.recursive = recursive
        self.text = text  # extension-less files in folders are taken, to be checked
        self.skipped: list[SkippedSource] = []

    def resolve(self, spec: str) -> list[ResolvedSource]:
        if not spec:
            raise SourceNotFound("An empty source was given; name a file, directory or URL.")
        literal = self._absolute(spec)
        if _GLOB_CHARS.search(spec) and not os.path.lexists(literal):
            return self._glob(spec)
        resolved = self._existing(spec, literal)
        mode = resolved.stat().st_mode
        if stat.S_ISDIR(mode):
            return self._directory(spec, resolved)
        if not stat.S_ISREG(mode):
            raise SourceError(
                f"{spec} is not a regular file (it is a device, pipe or socket);"
                " only files can be imported."
            )
        if not _accepts(resolved.name):
            raise _not_supported(spec, resolved.name)
        return [self._source(resolved)]

    # -- the three kinds of spec ----------------------------------------------------------
    def _directory(self, spec: str, base: Path) -> list[ResolvedSource]:
        label = spec.rstrip("/") or "."
        listing = self._walk(base, label=label, max_depth=None if self.recursive else 1)
        data = self._data(label, listing.files)
        if data:
            return [self._checked(label, entry) for entry in data]
        if not listing.files:
            message = f"{spec} has no files"
            if listing.hidden:
                message += " (hidden files and folders are skipped)"
        else:
            found = sorted({_suffix(entry.name) for entry in listing.files})
            message = (
                f"{spec} holds no supported data files (found: {', '.join(found)};"
                f" supported: {_SUPPORTED_TEXT})"
            )
        if listing.unsearched_dirs:
            message += (
                f"; it has {listing.unsearched_dirs} subfolder(s), which are searched only"
                " when a recursive import is asked for"
            )
        raise SourceNotFound(message + ".")

    def _glob(self, spec: str) -> list[ResolvedSource]:
        parts = PurePosixPath(self._absolute(spec)).parts
        first_magic = next(i for i, part in enumerate(parts) if _GLOB_CHARS.search(part))
        pattern = parts[first_magic:]
        if self.recursive and "**" not in pattern:  # `all CSV files in DIR recursively`
            pattern = (*pattern[:-1], "**", pattern[-1])
        base_spec = str(PurePosixPath(*parts[:first_magic]))
        try:
            base = self._existing(spec, base_spec)
        except SourceNotFound:
            raise SourceNotFound(f"No files match {spec}: its folder does not exist.") from None
        if not base.is_dir():
            raise SourceNotFound(f"No files match {spec}: {self._show(base)} is not a folder.")
        label = self._show(base)
        listing = self._walk(base, label=label, max_depth=None if "**" in pattern else len(pattern))
        matched = [entry for entry in listing.files if _matches(pattern, entry.parts)]
        if not matched:
            raise SourceNotFound(f"No files match {spec} (hidden files are skipped).")
        data = self._data(label, matched)
        if not data:
            found = sorted({_suffix(entry.name) for entry in matched})
            raise SourceNotFound(
                f"{spec} matches {len(matched)} file(s) but no supported data file"
                f" (found: {', '.join(found)}; supported: {_SUPPORTED_TEXT}, and .zip)."
            )
        return [self._checked(label, entry) for entry in data]

    def _data(self, label: str, entries: list[_Entry]) -> list[_Entry]:
        """The entries that may hold data — data files, .zip archives (their data members are
        unpacked later) and, to be checked, extension-less files; the rest are skipped."""
        data = []
        for entry in entries:
            if entry.regular and self._may_hold_data(entry.name):
                data.append(entry)
                continue
            reason = NOT_A_DATA_FILE if entry.regular else NOT_A_REGULAR_FILE
            shown = f"{label}/{'/'.join(entry.parts)}"
            self.skipped.append(SkippedSource(source=shown, reason=reason))
        return data

    def _may_hold_data(self, name: str) -> bool:
        if is_data_file(name) or name.lower().endswith(".zip"):
            return True
        return self.text and _has_no_extension(name)

    def _walk(self, base: Path, *, label: str, max_depth: int | None) -> _Listing:
        """Non-hidden entries below `base` (resolved), `max_depth` levels deep (None: all).

        Symbolically linked folders are followed only inside the roots, each folder once.
        """
        listing = _Listing()
        visited = {base}
        pending: list[tuple[Path, tuple[str, ...]]] = [(base, ())]
        while pending:
            folder, below = pending.pop()
            try:
                with os.scandir(folder) as scan:
                    entries = sorted(scan, key=lambda entry: entry.name)
            except OSError as exc:
                raise SourceError(f"{label}: a folder cannot be read ({exc.strerror}).") from exc
            for entry in entries:
                if entry.name.startswith("."):
                    listing.hidden += 1
                    continue
                parts = (*below, entry.name)
                path = Path(entry.path)
                try:
                    target = path.resolve(strict=True) if entry.is_symlink() else path
                    mode = target.stat().st_mode
                except (OSError, RuntimeError):
                    logger.info("%s/%s: broken symbolic link skipped", label, "/".join(parts))
                    continue
                if not stat.S_ISDIR(mode):
                    listing.files.append(_Entry(parts, target, stat.S_ISREG(mode)))
                elif max_depth is not None and len(parts) >= max_depth:
                    listing.unsearched_dirs += 1
                elif target not in visited:
                    if self._root_of(target) is None:
                        raise self._outside(f"{label}/{'/'.join(parts)}", via_link=True)
                    visited.add(target)
                    pending.append((target, parts))
        listing.files.sort(key=lambda entry: entry.parts)
        return listing

    # -- containment ------------------------------------------------------------------------
    def _absolute(self, spec: str) -> str:
        return spec if os.path.isabs(spec) else os.path.join(self.roots[0], spec)

    def _existing(self, spec: str, path: str) -> Path:
        """`path` resolved through its links; it must exist and stay inside the roots."""
        normal = Path(os.path.normpath(path))
        if not any(normal.is_relative_to(root) for root in self.lexical_roots):
            raise self._outside(spec)
        try:
            resolved = Path(path).resolve(strict=True)
        except FileNotFoundError:
            raise SourceNotFound(
                f"{spec}: no such file or folder (relative paths are read from {self.roots[0]})."
            ) from None
        except (OSError, RuntimeError) as exc:
            raise SourceError(f"{spec} cannot be resolved ({exc}).") from exc
        if self._root_of(resolved) is None:
            raise self._outside(spec, via_link=True)
        return resolved

    def _checked(self, label: str, entry: _Entry) -> ResolvedSource:
        """A walked file as a source; a file link must not lead outside the roots."""
        if self._root_of(entry.target) is None:
            raise self._outside(f"{label}/{'/'.join(entry.parts)}", via_link=True)
        return replace(self._source(entry.target), listed=True)

    def _root_of(self, resolved: Path) -> Path | None:
        return next((root for root in self.roots if resolved.is_relative_to(root)), None)

    def _show(self, resolved: Path) -> str:
        root = self._root_of(resolved)
        if root != self.roots[0]:
            return str(resolved)
        return resolved.relative_to(root).as_posix()

    def _source(self, resolved: Path) -> ResolvedSource:
        return ResolvedSource(source=self._show(resolved), file=resolved, origin="local")

    def _outside(self, what: str, *, via_link: bool = False) -> PathOutsideRoots:
        how = " through a symbolic link" if via_link else ""
        allowed = ", ".join(str(root) for root in self.roots)
        return PathOutsideRoots(
            f"{what} leads outside the allowed data roots{how} (allowed: {allowed})."
            f" To allow another folder, add it to {ROOTS_VARIABLE} (':'-separated)."
        )


def _matches(pattern: tuple[str, ...], parts: tuple[str, ...]) -> bool:
    """Glob matching by path segment; a `**` segment matches any number of folders."""
    if not pattern:
        return not parts
    head, rest = pattern[0], pattern[1:]
    if head == "**":
        return any(_matches(rest, parts[skip:]) for skip in range(len(parts) + 1))
    return bool(parts) and fnmatch.fnmatchcase(parts[0], head) and _matches(rest, parts[1:])


def _suffix(name: str) -> str:
    suffixes = PurePosixPath(name.lower()).suffixes
    if len(suffixes) > 1 and suffixes[-1] == ".gz":
        return "".join(suffixes[-2:])
    return suffixes[-1] if suffixes else "(no extension)"
