"""Downloads against a real HTTP server on 127.0.0.1; refused URLs are checked without traffic."""

from __future__ import annotations

import base64
import ipaddress
import socket
import ssl
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from agents.errors import DownloadFailed, UnsafeUrl
from agents.sources.url_fetch import address_is_public, download, redact_url, safe_file_name
from tests.agents.http_fixtures import (
    LocalServer,
    local_server,
    recorded_connections,
    redirect,
    send_body,
    send_chunked,
    write_self_signed_certificate,
)

CSV = b"id,name\n1,Ada\n2,Grace\n"
LOOPBACK_ONLY = (ipaddress.ip_network("127.0.0.1/32"),)


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with local_server() as running:
        running.routes["/a.csv"] = lambda handler: send_body(handler, CSV)
        yield running


def fetch(url: str, dest: Path, **overrides: object) -> Path:
    options: dict = {"max_bytes": 1024 * 1024, "timeout_seconds": 5.0, "allow_private": True}
    options.update(overrides)
    return download(url, dest_dir=dest, **options).file


def files_under(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file()] if folder.exists() else []


# -- allowed downloads ---------------------------------------------------------------------
def test_download_when_private_addresses_are_allowed(server, tmp_path):
    result = download(
        server.url("/a.csv"),
        dest_dir=tmp_path,
        max_bytes=1024,
        timeout_seconds=5,
        allow_private=True,
    )
    assert result.file.read_bytes() == CSV
    assert result.file.name == "a.csv"
    assert result.file.is_relative_to(tmp_path)
    assert result.url == server.url("/a.csv")
    assert not list(tmp_path.rglob("*.part"))


def test_same_url_refused_by_default_without_any_request(server, tmp_path):
    with recorded_connections() as connections, pytest.raises(UnsafeUrl, match=r"127\.0\.0\.1"):
        download(server.url("/a.csv"), dest_dir=tmp_path, max_bytes=1024, timeout_seconds=5)
    assert connections == []
    assert server.requests == []


def test_connects_to_the_checked_address_and_keeps_the_host_header(server, tmp_path):
    addresses = {info[4][0] for info in socket.getaddrinfo("localhost", None)}
    if addresses != {"127.0.0.1"}:
        pytest.skip("localhost resolves to more than 127.0.0.1 here")
    with recorded_connections() as connections:
        fetch(server.url("/a.csv", host="localhost"), tmp_path)
    assert connections == [("127.0.0.1", server.port)]
    assert server.requests[0].headers["Host"] == f"localhost:{server.port}"


def test_follows_a_redirect_and_names_the_file_after_the_target(server, tmp_path):
    server.routes["/latest"] = redirect("/a.csv")
    file = fetch(server.url("/latest"), tmp_path)
    assert (file.name, file.read_bytes()) == ("a.csv", CSV)


def test_file_without_extension_takes_one_from_the_content_type(server, tmp_path):
    server.routes["/export"] = lambda h: send_body(h, CSV, headers=[("Content-Type", "text/csv")])
    assert fetch(server.url("/export"), tmp_path).name == "export.csv"


def test_https_with_a_trusted_certificate(tmp_path):
    paths = write_self_signed_certificate(tmp_path)
    if paths is None:
        pytest.skip("the openssl command is not installed")
    cert, key = paths
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(cert, key)
    with local_server(tls=server_tls) as tls_server:
        tls_server.routes["/a.csv"] = lambda handler: send_body(handler, CSV)
        trusted = ssl.create_default_context(cafile=str(cert))
        file = fetch(tls_server.url("/a.csv"), tmp_path / "ok", tls_context=trusted)
        assert file.read_bytes() == CSV
        with pytest.raises(DownloadFailed, match="TLS"):
            fetch(tls_server.url("/a.csv"), tmp_path / "untrusted")  # system CAs only


# -- refused before any connection ---------------------------------------------------------
@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.1/x.csv",
        "http://169.254.169.254/latest",
        "http://[::1]/x",
        "http://0.0.0.0/",
        "http://0/",
        "http://2130706433/x.csv",  # 127.0.0.1 written as one number
        "http://[::ffff:10.0.0.1]/x.csv",
        "http://[::ffff:127.0.0.1]/x.csv",
        "http://[fe80::1]/x.csv",
        "http://[fd00::1]/x.csv",
        "http://224.0.0.1/x.csv",
        "http://100.64.0.1/x.csv",
        "https://192.168.1.10/x.csv",
        "ftp://10.0.0.1/x.csv",
        "file:///etc/passwd",
        "gopher://10.0.0.1/",
        "http:///x.csv",
    ],
)
def test_refused_without_a_connection_attempt(url, tmp_path):
    with recorded_connections() as connections, pytest.raises(UnsafeUrl):
        download(url, dest_dir=tmp_path, max_bytes=1024, timeout_seconds=1)
    assert connections == []
    assert files_under(tmp_path) == []


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2606:4700:4700::1111", True),
        ("::ffff:8.8.8.8", True),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.0.1", False),
        ("127.0.0.2", False),
        ("0.0.0.0", False),
        ("255.255.255.255", False),
        ("224.0.0.251", False),
        ("240.0.0.1", False),
        ("100.64.0.1", False),
        ("::", False),
        ("::1", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("ff02::1", False),
        ("::ffff:192.168.1.1", False),
        ("2002:c0a8:101::", False),  # 6to4 around 192.168.1.1
        ("64:ff9b::a00:1", False),  # NAT64 around 10.0.0.1
    ],
)
def test_address_classes(address, public):
    assert address_is_public(ipaddress.ip_address(address)) is public


def test_redirect_to_a_private_address_is_refused(server, tmp_path):
    server.routes["/hop"] = redirect("http://10.0.0.1/x.csv")
    with recorded_connections() as connections, pytest.raises(UnsafeUrl, match=r"10\.0\.0\.1"):
        fetch(server.url("/hop"), tmp_path, allow_private=False, trusted_networks=LOOPBACK_ONLY)
    assert connections == [("127.0.0.1", server.port)]


def test_redirect_to_another_scheme_is_refused(server, tmp_path):
    server.routes["/hop"] = redirect("file:///etc/passwd")
    with pytest.raises(UnsafeUrl, match="only http"):
        fetch(server.url("/hop"), tmp_path)


def test_too_many_redirects(server, tmp_path):
    server.routes["/loop"] = redirect("/loop")
    with pytest.raises(DownloadFailed, match="more than 5 redirects"):
        fetch(server.url("/loop"), tmp_path)
    assert len(server.requests) == 6


def test_credentials_are_not_sent_to_another_origin(server, tmp_path):
    with local_server() as other:
        other.routes["/b.csv"] = lambda handler: send_body(handler, CSV)
        server.routes["/hop"] = redirect(other.url("/b.csv"))
        url = server.url("/hop").replace("://", "://u:secret@")
        fetch(url, tmp_path)
        assert "Authorization" in server.requests[0].headers
        assert "Authorization" not in other.requests[0].headers


# -- failures ------------------------------------------------------------------------------
def test_not_found_names_the_status(server, tmp_path):
    with pytest.raises(DownloadFailed, match="HTTP 404"):
        fetch(server.url("/missing.csv"), tmp_path)
    assert files_under(tmp_path) == []


def test_oversize_by_content_length(server, tmp_path):
    server.routes["/big.csv"] = lambda handler: send_body(handler, b"x" * 5000)
    with pytest.raises(DownloadFailed, match=r"more than the 1\.0 KiB download limit"):
        fetch(server.url("/big.csv"), tmp_path, max_bytes=1024)
    assert files_under(tmp_path) == []


def test_oversize_while_streaming_removes_the_partial_file(server, tmp_path):
    server.routes["/endless.csv"] = lambda handler: send_chunked(handler, [b"y" * 1000] * 200)
    with pytest.raises(DownloadFailed, match=r"larger than the 4\.9 KiB download limit"):
        fetch(server.url("/endless.csv"), tmp_path, max_bytes=5000)
    assert files_under(tmp_path) == []


def test_timeout(server, tmp_path):
    def slow(handler):
        server.stopping.wait(3)
        send_body(handler, CSV)

    server.routes["/slow.csv"] = slow
    started = time.monotonic()
    with pytest.raises(DownloadFailed, match="time limit"):
        fetch(server.url("/slow.csv"), tmp_path, timeout_seconds=0.2)
    assert time.monotonic() - started < 1
    assert files_under(tmp_path) == []


# -- names and secrets ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("disposition", "name"),
    [
        ('attachment; filename="../../etc/passwd.csv"', "passwd.csv"),
        ('attachment; filename="..\\\\..\\\\win.csv"', "win.csv"),
        ("attachment; filename*=UTF-8''..%2F..%2F.hidden.csv", "hidden.csv"),
        ('attachment; filename="/abs/people 2024.csv"', "people_2024.csv"),
        ('attachment; filename=".."', "download"),
    ],
)
def test_content_disposition_name_is_sanitised(server, tmp_path, disposition, name):
    headers = [("Content-Disposition", disposition)]
    server.routes["/get"] = lambda handler: send_body(handler, CSV, headers=headers)
    file = fetch(server.url("/get"), tmp_path)
    assert file.name == name
    assert file.parent.parent == tmp_path


@pytest.mark.parametrize(
    ("raw", "name"),
    [("a.csv", "a.csv"), ("", "download"), ("...", "download"), ("x/y\\z.tsv", "z.tsv")],
)
def test_safe_file_name(raw, name):
    assert safe_file_name(raw) == name


def test_long_names_keep_their_extension():
    name = safe_file_name("n" * 300 + ".csv.gz")
    assert len(name) == 120
    assert name.endswith(".csv.gz")


def test_secrets_are_redacted_but_credentials_are_used(server, tmp_path):
    url = f"http://u:secret@127.0.0.1:{server.port}/a.csv?token=abc"
    result = download(url, dest_dir=tmp_path, max_bytes=1024, timeout_seconds=5, allow_private=True)
    assert result.url == f"http://***@127.0.0.1:{server.port}/a.csv?token=***"
    assert server.requests[0].path == "/a.csv?token=abc"
    expected = "Basic " + base64.b64encode(b"u:secret").decode()
    assert server.requests[0].headers["Authorization"] == expected


def test_errors_do_not_reveal_secrets(server, tmp_path):
    with pytest.raises(DownloadFailed) as failure:
        fetch(f"http://u:secret@127.0.0.1:{server.port}/missing.csv?token=abc&sig", tmp_path)
    assert "secret" not in str(failure.value)
    assert "abc" not in str(failure.value)
    assert "sig" not in str(failure.value)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://example.com/a.csv", "https://example.com/a.csv"),
        ("https://user@example.com:8443/a.csv", "https://***@example.com:8443/a.csv"),
        (
            "https://example.com/a.csv?x=1&key=s3cr3t#frag",
            "https://example.com/a.csv?x=***&key=***",
        ),
        ("http://[::1]:8080/a", "http://[::1]:8080/a"),
    ],
)
def test_redact_url(url, shown):
    assert redact_url(url) == shown
