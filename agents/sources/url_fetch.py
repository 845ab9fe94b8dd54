"""Download an http(s) URL to a local file without letting it reach private networks.

Every host is resolved once with `socket.getaddrinfo`; the download is refused when any of its
addresses is private, loopback, link-local, multicast, reserved or unspecified (unless private
addresses are allowed), and the connection then goes to one of exactly those checked addresses,
so a second DNS answer cannot point it elsewhere (DNS rebinding). The Host header and the TLS
server name stay the URL's host. Redirects are followed by hand, each target checked the same
way. The body is streamed to disk in chunks under a byte cap and an overall deadline; a
download that fails leaves no partial file behind.

Proxy environment variables are ignored on purpose: the checked address is the one connected to.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import ipaddress
import logging
import os
import re
import socket
import ssl
import time
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from urllib.parse import quote, unquote, urljoin, urlsplit

from agents.errors import DownloadFailed, SourceNotFound, UnsafeUrl
from agents.sources.sizes import format_size

logger = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

ALLOWED_SCHEMES = ("http", "https")
MAX_REDIRECTS = 5
CHUNK_BYTES = 64 * 1024
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
DEFAULT_FILE_NAME = "download"

# Used only when the name taken from the response has no extension at all.
_SUFFIX_BY_CONTENT_TYPE = {
    "text/csv": ".csv",
    "text/tab-separated-values": ".tsv",
    "text/plain": ".txt",
    "application/json": ".json",
    "application/x-ndjson": ".ndjson",
    "application/jsonl": ".jsonl",
    "application/vnd.apache.parquet": ".parquet",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/zip": ".zip",
}
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_URL_SAFE = "/%:@!$&'()*+,;=-._~"  # already-escaped URLs pass through unchanged


@dataclass(frozen=True)
class Download:
    """A finished download: `url` is safe to show (secrets redacted), `file` is on disk;
    `etag` and `last_modified` are the response's headers of those names, when it sent them."""

    url: str
    file: Path
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class CheckedUrl:
    """Where to connect for a URL that passed the checks: only to one of `addresses`."""

    scheme: str
    host: str
    port: int
    request_path: str
    addresses: tuple[str, ...]


def redact_url(url: str) -> str:
    """`url` with its user:password replaced by `***` and every query value by `***`."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = ("***@" if "@" in parts.netloc else "") + host + (f":{port}" if port else "")
    shown = f"{parts.scheme}://{netloc}{parts.path}" if parts.scheme else parts.path
    if parts.query:
        pieces = [
            piece.split("=", 1)[0] + "=***" if "=" in piece else "***"
            for piece in parts.query.split("&")
            if piece
        ]
        shown += "?" + "&".join(pieces)
    return shown


def address_is_public(address: IPAddress) -> bool:
    """Whether `address` is a globally routable unicast address (IPv4 embedded in IPv6 too)."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return address_is_public(embedded)
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def safe_file_name(raw: str) -> str:
    """A plain file name from `raw`: no directories, no hidden dot, only [A-Za-z0-9._-]."""
    name = raw.replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", name).lstrip("._-")
    if len(name) > 120:
        suffix = "".join(Path(name).suffixes[-2:])[-20:]
        name = name[: 120 - len(suffix)] + suffix
    return name or DEFAULT_FILE_NAME


def check_url(
    url: str, *, allow_private: bool = False, trusted_networks: Sequence[IPNetwork] = ()
) -> CheckedUrl:
    """Parse `url` and resolve its host; raise UnsafeUrl unless every address may be reached.

    `trusted_networks` are private networks reachable even when `allow_private` is false.
    """
    shown = redact_url(url)
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        raise UnsafeUrl(
            f"{shown}: only http:// and https:// URLs can be imported"
            f" (got {scheme + ':' if scheme else 'no scheme'})."
        )
    try:
        port = parts.port or (443 if scheme == "https" else 80)
        host = (parts.hostname or "").encode("idna").decode("ascii")
    except (ValueError, UnicodeError) as exc:
        raise UnsafeUrl(f"{shown}: the host or port is not valid.") from exc
    if not host:
        raise UnsafeUrl(f"{shown}: the URL has no host.")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise SourceNotFound(f"{shown}: the host {host} could not be resolved.") from exc
    addresses = tuple(dict.fromkeys(str(info[4][0]).split("%", 1)[0] for info in infos))
    for text in addresses:
        address = ipaddress.ip_address(text)
        if allow_private or address_is_public(address):
            continue
        if any(address in network for network in trusted_networks):
            continue
        raise UnsafeUrl(
            f"{shown}: {host} resolves to {address}, a private, loopback or otherwise"
            " non-public address. Downloads from such addresses are refused; set"
            " IMPORTBOT_ALLOW_PRIVATE_URLS=1 to allow them."
        )
    path = quote(parts.path or "/", safe=_URL_SAFE)
    if parts.query:
        path += "?" + quote(parts.query, safe=_URL_SAFE + "?")
    return CheckedUrl(scheme, host, port, path, addresses)


def download(
    url: str,
    *,
    dest_dir: Path,
    max_bytes: int,
    timeout_seconds: float,
    allow_private: bool = False,
    trusted_networks: Sequence[IPNetwork] = (),
    tls_context: ssl.SSLContext | None = None,
) -> Download:
    """Fetch `url` into a file under `dest_dir` (a subdirectory per URL) and return it.

    `timeout_seconds` bounds the whole download, redirects included. Raises UnsafeUrl (scheme
    or address refused), SourceNotFound (unknown host) or DownloadFailed (status, size, time,
    connection), each naming the redacted URL.
    """
    shown = redact_url(url)
    deadline = _Deadline(shown, timeout_seconds)
    authorization = _basic_authorization(url)
    current = url
    for _ in range(MAX_REDIRECTS + 1):
        target = check_url(current, allow_private=allow_private, trusted_networks=trusted_networks)
        # Credentials go only to the origin they were written for.
        auth = authorization if _origin(current) == _origin(url) else None
        connection = _connect(target, deadline=deadline, shown=shown, tls_context=tls_context)
        try:
            response = _get(connection, target, auth=auth, deadline=deadline, shown=shown)
            if response.status in REDIRECT_STATUSES:
                location = response.getheader("Location")
                if not location:
                    raise DownloadFailed(
                        f"{shown}: redirect ({response.status}) without a Location."
                    )
                current = urljoin(current, location.strip())
                logger.info("%s redirects to %s", shown, redact_url(current))
                continue
            if not 200 <= response.status < 300:
                raise DownloadFailed(
                    f"{shown}: the server answered HTTP {response.status} {response.reason}."
                )
            name = _file_name(response, final_url=current, first_url=url)
            folder = dest_dir / hashlib.sha256(url.encode()).hexdigest()[:16]
            file = _save(response, connection, folder / name, max_bytes, deadline, shown)
            return Download(
                url=shown,
                file=file,
                etag=response.getheader("ETag"),
                last_modified=response.getheader("Last-Modified"),
            )
        finally:
            connection.close()
    raise DownloadFailed(f"{shown}: more than {MAX_REDIRECTS} redirects; giving up.")


class _Deadline:
    """One time limit for a whole download, handed to every socket operation as it goes."""

    def __init__(self, shown: str, seconds: float) -> None:
        self.shown = shown
        self.seconds = seconds
        self.at = time.monotonic() + seconds

    def remaining(self) -> float:
        left = self.at - time.monotonic()
        if left <= 0:
            raise self.exceeded()
        return left

    def apply(self, connection: http.client.HTTPConnection) -> None:
        if connection.sock is not None:
            connection.sock.settimeout(self.remaining())

    def exceeded(self) -> DownloadFailed:
        return DownloadFailed(
            f"{self.shown}: the download took longer than the {self.seconds:g} s time limit."
        )


class _PinnedConnection(http.client.HTTPConnection):
    """An HTTP connection to one checked IP address; the Host header stays the URL's host."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedTLSConnection(_PinnedConnection):
    """HTTPS to one checked IP address; the certificate is verified for the URL's host."""

    default_port = 443

    def __init__(
        self, host: str, port: int, *, address: str, timeout: float, context: ssl.SSLContext
    ) -> None:
        super().__init__(host, port, address=address, timeout=timeout)
        self.context = context

    def connect(self) -> None:
        super().connect()
        self.sock = self.context.wrap_socket(self.sock, server_hostname=self.host)


def _connect(
    target: CheckedUrl, *, deadline: _Deadline, shown: str, tls_context: ssl.SSLContext | None
) -> _PinnedConnection:
    """Connect to the first checked address that answers."""
    failure: OSError | None = None
    for address in target.addresses:
        timeout = deadline.remaining()
        if target.scheme == "https":
            context = tls_context or ssl.create_default_context()
            connection: _PinnedConnection = _PinnedTLSConnection(
                target.host, target.port, address=address, timeout=timeout, context=context
            )
        else:
            connection = _PinnedConnection(
                target.host, target.port, address=address, timeout=timeout
            )
        try:
            connection.connect()
            return connection
        except TimeoutError as exc:
            connection.close()
            raise deadline.exceeded() from exc
        except ssl.SSLError as exc:
            connection.close()
            raise DownloadFailed(
                f"{shown}: the TLS handshake with {target.host} failed ({exc.reason or exc})."
            ) from exc
        except OSError as exc:
            connection.close()
            failure = exc
    reason = (failure.strerror or type(failure).__name__) if failure else "no address"
    raise DownloadFailed(f"{shown}: could not connect to {target.host} ({reason}).") from failure


def _get(
    connection: _PinnedConnection,
    target: CheckedUrl,
    *,
    auth: str | None,
    deadline: _Deadline,
    shown: str,
) -> http.client.HTTPResponse:
    headers = {"User-Agent": "dolt-import-bot", "Accept-Encoding": "identity"}
    if auth:
        headers["Authorization"] = auth
    try:
        deadline.apply(connection)
        connection.request("GET", target.request_path, headers=headers)
        deadline.apply(connection)
        return connection.getresponse()
    except TimeoutError as exc:
        raise deadline.exceeded() from exc
    except (OSError, http.client.HTTPException) as exc:
        raise DownloadFailed(f"{shown}: the request failed ({type(exc).__name__}).") from exc


def _save(
    response: http.client.HTTPResponse,
    connection: _PinnedConnection,
    file: Path,
    max_bytes: int,
    deadline: _Deadline,
    shown: str,
) -> Path:
    """Stream the body to `file` through a `.part` file that is removed on any failure."""
    limit = f"the {format_size(max_bytes)} download limit"
    declared = (response.getheader("Content-Length") or "").strip()
    if declared.isdigit() and int(declared) > max_bytes:
        raise DownloadFailed(f"{shown} is {format_size(int(declared))}, more than {limit}.")
    file.parent.mkdir(parents=True, exist_ok=True)
    partial = file.with_name(file.name + ".part")
    received = 0
    try:
        with partial.open("wb") as out:
            while True:
                deadline.apply(connection)
                chunk = response.read(CHUNK_BYTES)
                if not chunk:
                    break
                received += len(chunk)
                if received > max_bytes:
                    raise DownloadFailed(f"{shown} is larger than {limit}; download stopped.")
                out.write(chunk)
        os.replace(partial, file)
    except TimeoutError as exc:
        partial.unlink(missing_ok=True)
        raise deadline.exceeded() from exc
    except (OSError, http.client.HTTPException) as exc:
        partial.unlink(missing_ok=True)
        raise DownloadFailed(f"{shown}: the download broke off ({type(exc).__name__}).") from exc
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    logger.info("downloaded %s (%d bytes) to %s", shown, received, file)
    return file


def _file_name(response: http.client.HTTPResponse, *, final_url: str, first_url: str) -> str:
    """Content-Disposition's filename, else the URL path's last segment; sanitised."""
    disposition = response.getheader("Content-Disposition")
    raw = ""
    if disposition:
        message = Message()
        message["Content-Disposition"] = disposition
        raw = message.get_filename() or ""
    for url in (final_url, first_url):
        if raw:
            break
        raw = unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1])
    name = safe_file_name(raw)
    if not Path(name).suffix:
        content_type = (response.getheader("Content-Type") or "").split(";")[0].strip().lower()
        name += _SUFFIX_BY_CONTENT_TYPE.get(content_type, "")
    return name


def _basic_authorization(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.username is None:
        return None
    pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
    return "Basic " + base64.b64encode(pair.encode()).decode("ascii")


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    return parts.scheme.lower(), (parts.hostname or "").lower(), port
