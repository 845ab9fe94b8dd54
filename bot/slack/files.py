"""Files people attach to a request: downloaded with the bot token, from Slack's file host
only, into the job's folder, within a size limit."""

from __future__ import annotations

import re
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
    with opener.open(request, timeout=60) as response, target.open("wb") as out:
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
