"""Attachments come only from Slack's file host (its host and port), with the bot token, within
a size limit; a download that fails leaves nothing on disk; repeated names are told apart."""

from __future__ import annotations

import http.server
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from agents.errors import SourceError
from bot.slack.files import (
    AttachmentRefused,
    AttachmentUnavailable,
    distinct_names,
    download_attachment,
    origin,
)
from tests.fakes.local_http import start_local_server, stop_local_server
from tests.fakes.slack_api import SlackApiEmulator

MiB = 1 << 20


def _download(url: str, folder: Path, *, name: str = "people.csv", **more):
    """From the host and port `url` names (the emulator's 127.0.0.1:<port>)."""
    hosts = frozenset({origin(url) or ""})
    return download_attachment(url, name, folder=folder, hosts=hosts, **more)


def _on_disk(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_a_file_from_the_allowed_host_is_downloaded_with_the_token(tmp_path):
    with SlackApiEmulator() as slack:
        attached = slack.add_file("people.csv", b"id\n1\n")
        url = attached["url_private_download"]
        # a hostile name never leaves the attachments folder
        path = _download(url, tmp_path, name="../../etc/people.csv", token="xoxb-test-token")
    assert path.read_bytes() == b"id\n1\n"
    assert path.parent == tmp_path / "attachments" and ".." not in path.name
    assert _on_disk(tmp_path) == ["attachments", "attachments/people.csv"]  # no partial left


def test_other_hosts_and_other_ports_of_slacks_host_are_refused(tmp_path):
    slack_host = frozenset({"files.slack.com:443"})
    for url in (
        "https://evil.example/x.csv",
        "https://files.slack.com:8443/files-pri/T1-F1/x.csv",  # Slack's host, another port
        "https://files.slack.com:443@evil.example/x.csv",  # a user name that reads like it
        "https://files.slack.com:notaport/x.csv",
        "ftp://files.slack.com/x.csv",
    ):
        with pytest.raises(AttachmentRefused, match="not on Slack's file host"):
            download_attachment(url, "x.csv", folder=tmp_path, token="xoxb-t", hosts=slack_host)
    assert origin("https://files.slack.com/files-pri/T1-F1/x.csv") == "files.slack.com:443"
    assert origin("https://files.slack.com:443/x.csv") == "files.slack.com:443"
    with SlackApiEmulator() as slack, SlackApiEmulator() as other:
        url = slack.add_file("people.csv", b"id\n1\n")["url_private"]
        elsewhere = frozenset({origin(other.root_url) or ""})  # 127.0.0.1, another port
        with pytest.raises(AttachmentRefused, match="not on Slack's file host"):
            download_attachment(
                url, "people.csv", folder=tmp_path, token="xoxb-test-token", hosts=elsewhere
            )
    assert _on_disk(tmp_path) == []


def test_an_oversized_attachment_leaves_nothing_on_disk(tmp_path):
    with SlackApiEmulator() as slack:  # the size Slack says is over the limit
        attached = slack.add_file("big.csv", b"x" * 5000)
        with pytest.raises(AttachmentRefused, match="larger than"):
            _download(attached["url_private"], tmp_path, token="xoxb-test-token", max_bytes=1000)
    assert _on_disk(tmp_path) == []
    # no size said: refused once more than the limit has arrived (and been written)
    endless = _Streamed(body=b"x" * (3 * MiB), length=None)
    with _serving(endless) as url, pytest.raises(AttachmentRefused, match="larger than 2 MiB"):
        _download(url, tmp_path, token="t", max_bytes=2 * MiB)
    assert _on_disk(tmp_path) == []


def test_a_download_cut_off_or_answered_with_a_login_page_leaves_nothing_on_disk(tmp_path):
    cut_off = _Streamed(body=b"id\n" * MiB, length=10 * MiB)  # it hangs up at 3 of 10 MiB
    with (
        _serving(cut_off) as url,
        pytest.raises(AttachmentUnavailable, match=r"people\.csv .*only 3,145,728 of 10,485,760"),
    ):
        _download(url, tmp_path, token="t")
    assert _on_disk(tmp_path) == []
    login = _Streamed(body=b"<html>sign in</html>", content_type="text/html")
    with _serving(login) as url, pytest.raises(AttachmentRefused, match="login page"):
        _download(url, tmp_path, token="t")
    assert _on_disk(tmp_path) == []


def test_an_earlier_attachment_stays_when_a_later_one_is_refused(tmp_path):
    with SlackApiEmulator() as slack:
        kept = _download(
            slack.add_file("a.csv", b"id\n1\n")["url_private"], tmp_path, token="xoxb-test-token"
        )
        big = slack.add_file("b.csv", b"x" * 5000)["url_private"]
        with pytest.raises(AttachmentRefused):
            _download(big, tmp_path, name="b.csv", token="xoxb-test-token", max_bytes=1000)
    assert kept.read_bytes() == b"id\n1\n"
    assert _on_disk(tmp_path) == ["attachments", "attachments/people.csv"]


def test_repeated_attachment_names_are_told_apart_and_the_others_kept():
    names = ["people.csv", "People.csv", "people.csv", "a b.csv", "a_b.csv", "x.csv.gz", "x.csv.gz"]
    assert distinct_names(names) == [
        "people.csv",
        "People-2.csv",
        "people-3.csv",
        "a b.csv",
        "a_b-2.csv",
        "x.csv.gz",
        "x-2.csv.gz",
    ]
    assert distinct_names(["people-2.csv", "people.csv", "people.csv"]) == [
        "people-2.csv",
        "people.csv",
        "people-3.csv",
    ]


def test_an_attachment_deleted_in_slack_names_the_file_and_the_404(tmp_path):
    with SlackApiEmulator() as slack:
        attached = slack.add_file("people.csv", b"id\n1\n")
        slack.remove_file(attached["id"])
        with pytest.raises(AttachmentUnavailable) as raised:
            _download(attached["url_private_download"], tmp_path, token="xoxb-test-token")
    assert isinstance(raised.value, SourceError)  # the job fails with this message
    assert str(raised.value) == (
        "The attachment people.csv could not be downloaded: Slack answered HTTP 404 Not Found "
        "(the file was deleted, or is not shared where the app can see it). Attach it again."
    )
    assert _on_disk(tmp_path) == []


def test_a_refused_token_and_an_unreachable_host_name_the_file(tmp_path):
    with SlackApiEmulator() as slack:
        url = slack.add_file("people.csv", b"id\n1\n")["url_private_download"]
        with pytest.raises(AttachmentUnavailable, match=r"people\.csv .*HTTP 401"):
            _download(url, tmp_path, token="xoxb-wrong")
    with pytest.raises(AttachmentUnavailable, match=r"people\.csv could not be downloaded from"):
        _download(url, tmp_path, token="xoxb-test-token")  # the emulator has stopped
    assert _on_disk(tmp_path) == []


class _Streamed:
    """What a misbehaving file host answers: `body`, with a Content-Length of `length` (None:
    none, the body ends when the connection closes; larger than the body: cut off)."""

    def __init__(
        self, *, body: bytes, length: int | None = -1, content_type: str = "text/csv"
    ) -> None:
        self.body, self.content_type = body, content_type
        self.length = len(body) if length == -1 else length


@contextmanager
def _serving(answer: _Streamed) -> Iterator[str]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", answer.content_type)
            if answer.length is not None:
                self.send_header("Content-Length", str(answer.length))
            self.end_headers()
            self.wfile.write(answer.body)
            self.close_connection = True

    httpd, thread = start_local_server(Handler)
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/files-pri/T1-F1/people.csv"
    finally:
        stop_local_server(httpd, thread)
