"""Files people attach to a request: downloaded with the bot token, from Slack's file host
only (its host and port), into the job's folder, within a size limit. A download that fails
for any reason leaves nothing behind; two attachments never share a file."""

from __future__ import annotations

import http.client
import os
import re
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from email.message import Message
from pathlib import Path, PurePosixPath
from typing import IO
from urllib.parse import urlsplit

from agents.errors import SourceError

MiB = 1 << 20
MAX_ATTACHMENT_BYTES = 512 * MiB
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")
_DEFAULT_PORTS = {"https": 443, "http": 80}


class AttachmentRefused(SourceError):
    """An attachment from somewhere other than Slack's file host, or too large."""


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect could leave Slack's host with the bot token; refuse to follow it."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: Message,
        newurl: str,
    ) -> urllib.request.Request | None:
        return None


class AttachmentUnavailable(SourceError):
    """Slack did not hand the attachment over (deleted, not shared with the app, an error)."""


_HTTP_REASONS = {
    401: "the bot's token was refused",
    403: "the app may not read it (it needs the files:read scope and access to the channel)",
    404: "the file was deleted, or is not shared where the app can see it",
    410: "the file was deleted",
}


def _unavailable(name: str, error: urllib.error.HTTPError) -> str:
    """Which attachment, what Slack answered, and what that means, for the person."""
    status = f"HTTP {error.code} {error.reason}".strip()
    if 300 <= error.code < 400:
        why = "Slack sent the download elsewhere, and the bot's token is never sent elsewhere"
    else:
        why = _HTTP_REASONS.get(error.code, "Slack could not hand it over")
    return (
        f"The attachment {name} could not be downloaded: Slack answered {status} ({why}). "
        "Attach it again."
    )


def safe_name(name: str) -> str:
    cleaned = _SAFE.sub("_", Path(name).name).strip("._") or "attachment"
    return cleaned[:120]


def distinct_names(names: Sequence[str]) -> list[str]:
    """`names` with each repeat made unique as a file name: people.csv, people-2.csv, … (the
    same after `safe_name`, ignoring case, counts as a repeat). Names that do not repeat stay
    as they are."""
    taken: set[str] = set()
    distinct = []
    for name in names:
        candidate, number = name, 1
        while safe_name(candidate).lower() in taken:
            number += 1
            candidate = _numbered(name, number)
        taken.add(safe_name(candidate).lower())
        distinct.append(candidate)
    return distinct


def _numbered(name: str, number: int) -> str:
    """people.csv → people-2.csv; data.csv.gz → data-2.csv.gz."""
    path = PurePosixPath(safe_name(name))
    suffixes = "".join(path.suffixes[-2:]) if path.suffix.lower() == ".gz" else path.suffix
    return f"{path.name.removesuffix(suffixes)}-{number}{suffixes}"


def origin(url: str) -> str | None:
    """`host:port` of an http(s) URL, the port spelled out (443, 80 when not written); None for
    another scheme or a port that is not a number."""
    parts = urlsplit(url)
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    try:
        port = parts.port or _DEFAULT_PORTS[parts.scheme]
    except ValueError:
        return None
    return f"{parts.hostname}:{port}"


def download_attachment(
    url: str,
    name: str,
    *,
    folder: Path,
    token: str,
    hosts: frozenset[str],
    max_bytes: int = MAX_ATTACHMENT_BYTES,
) -> Path:
    """Download `url` into `folder/attachments/<safe name>`; `hosts` are the `host:port`s
    (see `origin`) the bot token may be sent to."""
    _check_origin(url, name, hosts)
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    opener = urllib.request.build_opener(_NoRedirects)
    try:
        response = opener.open(request, timeout=60)
    except urllib.error.HTTPError as error:
        raise AttachmentUnavailable(_unavailable(name, error)) from None
    except (urllib.error.URLError, TimeoutError) as error:
        raise _unreachable(name, error) from None
    with response:
        _check_response(response, name, max_bytes)
        target = folder / "attachments" / safe_name(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        with _written_whole(target) as out:
            _copy(response, out, name=name, max_bytes=max_bytes)
    return target


def _check_origin(url: str, name: str, hosts: frozenset[str]) -> None:
    if origin(url) not in hosts:
        raise AttachmentRefused(
            f"The attachment {name} is not on Slack's file host; only files shared in Slack "
            "are downloaded."
        )
    if urlsplit(url).scheme == "http" and urlsplit(url).hostname != "127.0.0.1":
        raise AttachmentRefused(f"The attachment {name} must be fetched over HTTPS.")


def _check_response(response: http.client.HTTPResponse, name: str, max_bytes: int) -> None:
    """Refused before a byte is written: a login page, or a size said to be over the limit."""
    if "text/html" in (response.headers.get("Content-Type") or ""):
        raise AttachmentRefused(
            f"Slack answered with a login page for {name}: the app needs the files:read scope."
        )
    said = _length(response)
    if said is not None and said > max_bytes:
        raise _too_large(name, max_bytes)


def _copy(response: http.client.HTTPResponse, out: IO[bytes], *, name: str, max_bytes: int) -> None:
    total = 0
    for chunk in _chunks(response, name):
        total += len(chunk)
        if total > max_bytes:
            raise _too_large(name, max_bytes)
        out.write(chunk)
    said = _length(response)
    if said is not None and total != said:  # the connection closed early: not the whole file
        raise _unreachable(name, f"only {total:,} of {said:,} bytes arrived")


def _length(response: http.client.HTTPResponse) -> int | None:
    """The Content-Length the response said, if it said one."""
    length = response.headers.get("Content-Length") or ""
    return int(length) if length.isdigit() else None


def _chunks(response: http.client.HTTPResponse, name: str) -> Iterator[bytes]:
    try:
        while chunk := response.read(1 << 20):
            yield chunk
    except (http.client.HTTPException, OSError) as error:  # cut off mid-download
        raise _unreachable(name, error) from None


@contextmanager
def _written_whole(target: Path) -> Iterator[IO[bytes]]:
    """A file written next to `target` and renamed onto it when the block ends without an
    error; on any error (a refusal, a cut connection, a full disk, Ctrl-C) it is deleted, and
    so is the attachments folder when nothing else is in it."""
    descriptor, name = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=".partial"
    )
    partial = Path(name)
    try:
        with os.fdopen(descriptor, "wb") as out:
            yield out
        partial.replace(target)
    except BaseException:
        partial.unlink(missing_ok=True)
        with suppress(OSError):
            target.parent.rmdir()
        raise


def _too_large(name: str, max_bytes: int) -> AttachmentRefused:
    limit = f"{max_bytes // MiB} MiB" if max_bytes >= MiB else f"{max_bytes:,} bytes"
    return AttachmentRefused(f"The attachment {name} is larger than {limit}.")


def _unreachable(name: str, error: BaseException | str) -> AttachmentUnavailable:
    reason = getattr(error, "reason", error)
    return AttachmentUnavailable(
        f"The attachment {name} could not be downloaded from Slack ({reason}); "
        "try again in a moment."
    )
