"""Files people attach to a request: downloaded with the bot token, from Slack's file host
only, into the job's folder, within a size limit."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from email.message import Message
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

from agents.errors import SourceError

MAX_ATTACHMENT_BYTES = 512 * 1024 * 1024
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


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


def download_attachment(
    url: str,
    name: str,
    *,
    folder: Path,
    token: str,
    hosts: frozenset[str],
    max_bytes: int = MAX_ATTACHMENT_BYTES,
) -> Path:
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or parts.hostname not in hosts:
        raise AttachmentRefused(
            f"The attachment {name} is not on Slack's file host; only files shared in Slack "
            "are downloaded."
        )
    if parts.scheme == "http" and parts.hostname != "127.0.0.1":
        raise AttachmentRefused(f"The attachment {name} must be fetched over HTTPS.")
    folder = folder / "attachments"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / safe_name(name)
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    opener = urllib.request.build_opener(_NoRedirects)
    try:
        response = opener.open(request, timeout=60)
    except urllib.error.HTTPError as error:
        raise AttachmentUnavailable(_unavailable(name, error)) from None
    except (urllib.error.URLError, TimeoutError) as error:
        reason = getattr(error, "reason", error)
        raise AttachmentUnavailable(
            f"The attachment {name} could not be downloaded from Slack ({reason}); "
            "try again in a moment."
        ) from None
    with response, target.open("wb") as out:
        if "text/html" in (response.headers.get("Content-Type") or ""):
            raise AttachmentRefused(
                f"Slack answered with a login page for {name}: the app needs the files:read scope."
            )
        total = 0
        while chunk := response.read(1 << 20):
            total += len(chunk)
            if total > max_bytes:
                raise AttachmentRefused(
                    f"The attachment {name} is larger than {max_bytes // 2**20} MiB."
                )
            out.write(chunk)
    return target
