"""A Slack Web API emulator on 127.0.0.1, for tests that must not reach slack.com.

It answers the Web API methods the bot calls with Slack-shaped JSON over real HTTP, so
`slack_sdk.WebClient` and Bolt run unchanged. Every call is recorded, and the state the calls
change (messages after their edits, uploaded files, views) can be inspected.

    users = {"U1": {"real_name": "Ada Lovelace", "email": "ada@example.com"}}
    with SlackApiEmulator(users=users, usergroups={"S1": ["U1"]}) as slack:
        app = App(client=WebClient(token=slack.bot_token, base_url=slack.base_url),
                  signing_secret="secret")
        attached = slack.add_file("people.csv", b"id,name\\n1,Ada\\n")  # goes into an event
        ...  # post a signed event naming `attached` (see tests/fakes/slack_requests.py)
        slack.wait_for("files.completeUploadExternal")
        assert slack.uploaded_files()[0].content.startswith(b"CREATE TABLE")

Methods: auth.test, chat.postMessage, chat.update, chat.postEphemeral, chat.getPermalink,
conversations.open (a DM with one user: `D<user id>`), reactions.add and .remove,
views.open, views.publish, users.info, usergroups.users.list, files.getUploadURLExternal (+ the
upload URL it hands out) and files.completeUploadExternal; any other method answers
`unknown_method`. A token other than `bot_token` gets `invalid_auth`; `rate_limit(method)` makes
the next calls answer HTTP 429 with `Retry-After`, as Slack does, and `fail(method, error)` makes
them answer `{"ok": false, "error": error}`. Attached files are served at their `url_private*`
only to the bot token (401 otherwise). To emulate another method, add `_api_<method, dots as
underscores>`.

Channels: the bot is a member of every channel until `bot_leaves(channel)`; then, as Slack does
for a bot token with `chat:write` only, chat.postMessage, chat.postEphemeral and reactions.*
there answer `not_in_channel`. DMs (`D…`) always accept the bot.

Slash commands: `response_url(...)` is a URL of this emulator that records what the bot POSTs
to it (`responses()`), as Slack shows such a response to the person who typed the command.
"""

from __future__ import annotations

import email.parser
import email.policy
import http.server
import itertools
import json
import mimetypes
import re
import threading
import time
import urllib.parse
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field, replace
from typing import Any

from tests.fakes.local_http import start_local_server, stop_local_server

BOT_ID = "B0001"
WORKSPACE_URL = "https://emulated-workspace.slack.com/"
APP_ID = "A0001"
_EMOJI_NAME = re.compile(r"[a-z0-9_+\-']{1,100}")  # an emoji name, without colons
_JSON_ARGS = ("blocks", "attachments", "view", "files", "metadata")  # JSON strings in form bodies


@dataclass(frozen=True)
class Call:
    """One request to `/api/<method>`; `args` merges query, body and decoded JSON arguments."""

    method: str
    args: dict[str, Any]
    headers: dict[str, str]  # names in lower case
    at: float  # time.time()
    rate_limited: bool = False


@dataclass(frozen=True)
class Message:
    """A message the bot posted, as it stands after any chat.update."""

    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)
    thread_ts: str | None = None
    posted_blocks: list[dict[str, Any]] = field(default_factory=list)
    """The blocks as first posted, before any chat.update (an old version's buttons)."""


@dataclass(frozen=True)
class UploadedFile:
    """A file shared by files.completeUploadExternal, with the bytes sent to its upload URL."""

    file_id: str
    title: str
    filename: str
    content: bytes
    channel: str | None
    thread_ts: str | None
    initial_comment: str | None = None


class _SlackError(Exception):
    """Answered as `{"ok": false, "error": <the message>}`."""


def _require(args: dict[str, Any], name: str, error: str = "invalid_arguments") -> Any:
    if args.get(name) in (None, ""):
        raise _SlackError(error)
    return args[name]


class SlackApiEmulator:
    """A real HTTP server playing the Slack Web API; use as a context manager."""

    def __init__(
        self,
        *,
        bot_token: str = "xoxb-test-token",
        bot_user_id: str = "UBOT",
        team_id: str = "T0001",
        users: dict[str, dict[str, str]] | None = None,
        usergroups: dict[str, list[str]] | None = None,
        app_token: str = "xapp-1-A0001-test",
        socket_url: str | None = None,
    ) -> None:
        self.bot_token, self.bot_user_id, self.team_id = bot_token, bot_user_id, team_id
        self.app_token, self.socket_url = app_token, socket_url
        self.users = dict(users or {})
        self.usergroups = dict(usergroups or {})
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._ts_counter = itertools.count(1)  # never reset, so ts stay unique and increasing
        self._attached: dict[str, tuple[str, bytes, str]] = {}  # file id -> name, bytes, mimetype
        self._httpd: http.server.ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.reset()

    def reset(self) -> None:
        """Forget calls, messages, uploads, views and pending rate limits (users and attached
        files stay)."""
        with self._lock:
            self._calls: list[Call] = []
            self._messages: dict[tuple[str, str], Message] = {}
            self._ephemerals: list[dict[str, Any]] = []
            self._opened: list[dict[str, Any]] = []
            self._published: list[dict[str, Any]] = []
            self._pending_uploads: dict[str, dict[str, Any]] = {}
            self._uploaded: list[UploadedFile] = []
            self._rate_limits: dict[str, list[int]] = {}
            self._failures: dict[str, list[Any]] = {}  # method -> [times, error]
            self._left: set[str] = set()  # channels the bot is not a member of
            self._reactions: dict[tuple[str, str], list[str]] = {}
            self._responses: list[dict[str, Any]] = []

    # setup -------------------------------------------------------------------------------
    def add_file(self, name: str, content: bytes, *, mimetype: str = "text/csv") -> dict[str, Any]:
        """A file someone attached: the Slack file object to put in an event's `files`."""
        with self._lock:
            file_id = f"F{next(self._ids):08d}"
            self._attached[file_id] = (name, content, mimetype)
        return self._file_object(file_id, name, name, content, mimetype)

    def remove_file(self, file_id: str) -> None:
        """The file is deleted in Slack: downloading it answers HTTP 404 from now on."""
        with self._lock:
            del self._attached[file_id]

    def rate_limit(self, method: str, times: int = 1, retry_after: int = 1) -> None:
        """The next `times` calls of `method` answer HTTP 429 with `Retry-After: retry_after`."""
        with self._lock:
            self._rate_limits[method] = [times, retry_after]

    def fail(self, method: str, error: str, times: int = 1) -> None:
        """The next `times` calls of `method` answer `{"ok": false, "error": error}`."""
        with self._lock:
            self._failures[method] = [times, error]

    def bot_leaves(self, channel: str) -> None:
        """The bot is no longer a member of `channel` (or never was)."""
        with self._lock:
            self._left.add(channel)

    def response_url(self, name: str = "1") -> str:
        """A slash command's `response_url` that records what is POSTed to it."""
        return f"{self.root_url}/commands/{self.team_id}/{name}/emulated"

    # inspection --------------------------------------------------------------------------
    def reactions(self, channel: str, ts: str) -> list[str]:
        """The reaction names the bot added to the message `ts` in `channel`."""
        with self._lock:
            return list(self._reactions.get((channel, ts), []))

    def responses(self) -> list[dict[str, Any]]:
        """What the bot POSTed to response URLs, each with the `path` it was sent to."""
        with self._lock:
            return list(self._responses)

    def calls(self, method: str | None = None) -> list[Call]:
        with self._lock:
            return [c for c in self._calls if method is None or c.method == method]

    def messages(self, channel: str | None = None) -> list[Message]:
        with self._lock:
            return [m for m in self._messages.values() if channel is None or m.channel == channel]

    def uploaded_files(self) -> list[UploadedFile]:
        with self._lock:
            return list(self._uploaded)

    def ephemerals(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._ephemerals)

    def opened_views(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._opened)

    def published_views(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._published)

    def wait_for(
        self,
        method: str,
        predicate: Callable[[Call], object] = lambda call: True,
        *,
        timeout: float = 10.0,
    ) -> Call:
        """The first recorded call of `method` matching `predicate`, waiting up to `timeout`
        (rate-limited calls count too: test `call.rate_limited` to skip them)."""
        deadline = time.monotonic() + timeout
        while True:
            for call in self.calls(method):
                if predicate(call):
                    return call
            if time.monotonic() >= deadline:
                break
            time.sleep(0.02)
        seen = [f"  {c.method} {json.dumps(c.args, default=str)[:300]}" for c in self.calls()]
        raise AssertionError(
            f"no matching {method} call within {timeout:g}s; calls seen:\n"
            + ("\n".join(seen) or "  (none)")
        )

    # lifecycle ---------------------------------------------------------------------------
    @property
    def root_url(self) -> str:
        assert self._httpd is not None, "the emulator is not running"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    @property
    def base_url(self) -> str:
        """What `WebClient(base_url=...)` takes."""
        return f"{self.root_url}/api/"

    def start(self) -> SlackApiEmulator:
        handler = type("Handler", (_Handler,), {"emulator": self})
        self._httpd, self._thread = start_local_server(handler)
        return self

    def close(self) -> None:
        stop_local_server(self._httpd, self._thread)
        self._httpd = self._thread = None

    def __enter__(self) -> SlackApiEmulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # serving (called by the handler threads) ---------------------------------------------
    def _serve_api(
        self, method: str, args: dict[str, Any], headers: dict[str, str]
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        bearer = headers.get("authorization", "").removeprefix("Bearer ").strip()
        with self._lock:
            limit = self._rate_limits.get(method)
            limited = limit is not None and limit[0] > 0
            self._calls.append(Call(method, args, headers, time.time(), limited))
            if limit is not None and limited:
                limit[0] -= 1
                retry = {"Retry-After": str(limit[1])}
                return 429, {"ok": False, "error": "ratelimited"}, retry
            token = self.app_token if method == "apps.connections.open" else self.bot_token
            if (bearer or args.get("token")) != token:
                return 200, {"ok": False, "error": "invalid_auth"}, {}
            failure = self._failures.get(method)
            if failure is not None and failure[0] > 0:
                failure[0] -= 1
                return 200, {"ok": False, "error": failure[1]}, {}
            answer = getattr(self, "_api_" + method.replace(".", "_"), None)
            if answer is None:
                return 200, {"ok": False, "error": "unknown_method"}, {}
            try:
                return 200, {"ok": True, **answer(args)}, {}
            except _SlackError as error:
                return 200, {"ok": False, "error": str(error)}, {}

    def _serve_response(self, path: str, raw: bytes) -> int:
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            return 400
        with self._lock:
            self._responses.append({"path": path, **body})
        return 200

    def _serve_upload(self, file_id: str, content: bytes) -> int:
        with self._lock:
            if file_id not in self._pending_uploads:
                return 404
            self._pending_uploads[file_id]["content"] = content
            return 200

    def _serve_file(self, path: str, headers: dict[str, str]) -> tuple[int, bytes, str]:
        """GET /files-pri/<team>-<id>/[download/]<name>, for the bot token only."""
        parts = path.removeprefix("/files-pri/").split("/")
        file_id = parts[0].removeprefix(f"{self.team_id}-")
        with self._lock:
            attached = self._attached.get(file_id)
        if attached is None or urllib.parse.unquote(parts[-1]) != attached[0]:
            return 404, b"file not found", "text/plain"
        if headers.get("authorization") != f"Bearer {self.bot_token}":
            return 401, b"not authorized", "text/plain"
        return 200, attached[1], attached[2]

    # the Web API: `_api_<method with dots as underscores>`, called with the lock held -----
    def _next_ts(self) -> str:
        micros = 1_700_000_000_000_000 + next(self._ts_counter) * 100
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _message_json(self, message: Message) -> dict[str, Any]:
        shape = {"type": "message", "user": self.bot_user_id, "bot_id": BOT_ID, "app_id": APP_ID}
        shape |= {"team": self.team_id, "text": message.text, "ts": message.ts}
        if message.blocks:
            shape["blocks"] = message.blocks
        if message.thread_ts:
            shape["thread_ts"] = message.thread_ts
        return shape

    def _api_apps_connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        """Socket Mode: where to connect (a SlackSocketServer), for the app-level token."""
        if self.socket_url is None:
            raise _SlackError("socket_mode_not_enabled")
        return {"url": self.socket_url}

    def _api_auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": "https://emulated-workspace.slack.com/",
            "team": "Emulated Workspace",
            "user": "importbot",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "is_enterprise_install": False,
        }

    def _member_of(self, channel: str) -> None:
        if channel in self._left:
            raise _SlackError("not_in_channel")

    def _api_chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = _require(args, "channel", "channel_not_found")
        self._member_of(channel)
        if not (args.get("text") or args.get("blocks") or args.get("attachments")):
            raise _SlackError("no_text")
        thread_ts = str(args["thread_ts"]) if args.get("thread_ts") else None
        text, blocks = args.get("text") or "", args.get("blocks") or []
        message = Message(channel, self._next_ts(), text, blocks, thread_ts, posted_blocks=blocks)
        self._messages[(channel, message.ts)] = message
        return {"channel": channel, "ts": message.ts, "message": self._message_json(message)}

    def _api_chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        key = (str(args.get("channel")), str(args.get("ts")))
        if key not in self._messages:
            raise _SlackError("message_not_found")
        changes = {name: args[name] for name in ("text", "blocks") if name in args}
        message = self._messages[key] = replace(self._messages[key], **changes)
        shape = self._message_json(message)
        return {"channel": key[0], "ts": key[1], "text": message.text, "message": shape}

    def _api_chat_getPermalink(self, args: dict[str, Any]) -> dict[str, Any]:
        channel, ts = _require(args, "channel", "channel_not_found"), _require(args, "message_ts")
        if (channel, str(ts)) not in self._messages:
            raise _SlackError("message_not_found")
        thread = self._messages[(channel, str(ts))].thread_ts
        link = (
            f"https://emulated-workspace.slack.com/archives/{channel}/p{str(ts).replace('.', '')}"
        )
        return {"channel": channel, "permalink": link + (f"?thread_ts={thread}" if thread else "")}

    def _api_conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        """A direct message with one user: `D<user id>` (DMs always accept the bot)."""
        users = str(_require(args, "users", "users_list_not_supplied")).split(",")
        if len(users) != 1 or users[0] not in self.users:
            raise _SlackError("user_not_found")
        return {"channel": {"id": f"D{users[0]}"}}

    def _api_chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        self._member_of(_require(args, "channel", "channel_not_found"))
        _require(args, "user", "user_not_in_channel")
        message_ts = self._next_ts()
        self._ephemerals.append({**args, "message_ts": message_ts})
        return {"message_ts": message_ts}

    def _api_reactions_add(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = _require(args, "channel", "channel_not_found")
        ts, name = _require(args, "timestamp", "no_item_specified"), _require(args, "name")
        self._member_of(channel)
        if not _EMOJI_NAME.fullmatch(str(name)):
            raise _SlackError("invalid_name")
        added = self._reactions.setdefault((channel, str(ts)), [])
        if name in added:
            raise _SlackError("already_reacted")
        added.append(name)
        return {}

    def _api_reactions_remove(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = _require(args, "channel", "channel_not_found")
        ts, name = _require(args, "timestamp", "no_item_specified"), _require(args, "name")
        self._member_of(channel)
        added = self._reactions.get((channel, str(ts)), [])
        if name not in added:
            raise _SlackError("no_reaction")
        added.remove(name)
        return {}

    def _view_json(self, view: dict[str, Any]) -> dict[str, Any]:
        view_id = f"V{next(self._ids):08d}"
        shape = {"id": view_id, "team_id": self.team_id, "app_id": APP_ID, "bot_id": BOT_ID}
        shape |= {"hash": f"{time.time():.0f}.{view_id}", "state": {"values": {}}}
        return view | shape | {"root_view_id": view_id, "previous_view_id": None}

    def _api_views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        trigger_id, view = _require(args, "trigger_id"), _require(args, "view")
        self._opened.append({"trigger_id": trigger_id, "view": view})
        return {"view": self._view_json(view)}

    def _api_views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        user_id, view = _require(args, "user_id"), _require(args, "view")
        self._published.append({"user_id": user_id, "view": view})
        return {"view": self._view_json(view)}

    def _api_users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user_id = args.get("user")
        if user_id == self.bot_user_id:
            info, is_bot = {"real_name": "Import Bot", "email": "", "name": "importbot"}, True
        elif user_id in self.users:
            info, is_bot = self.users[user_id], False
        else:
            raise _SlackError("user_not_found")
        name = info.get("name") or info.get("email", "").split("@")[0] or str(user_id).lower()
        profile = {"real_name": info.get("real_name", ""), "display_name": name}
        profile["email"] = info.get("email", "")
        user = {"id": user_id, "team_id": self.team_id, "name": name, "deleted": False}
        user |= {"real_name": profile["real_name"], "is_bot": is_bot, "profile": profile}
        return {"user": user}

    def _api_usergroups_users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        if args.get("usergroup") not in self.usergroups:
            raise _SlackError("no_such_subteam")
        return {"users": list(self.usergroups[args["usergroup"]])}

    def _api_files_getUploadURLExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        filename, length = _require(args, "filename"), _require(args, "length")
        file_id = f"F{next(self._ids):08d}"
        self._pending_uploads[file_id] = {"filename": filename, "length": int(length)}
        return {"upload_url": f"{self.root_url}/upload/v1/{file_id}", "file_id": file_id}

    def _api_files_completeUploadExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        entries = _require(args, "files")
        pending = [self._pending_uploads.get(str(entry.get("id"))) for entry in entries]
        if not all(p is not None and "content" in p for p in pending):
            raise _SlackError("file_not_found")
        channel = args.get("channel_id") or (args.get("channels") or "").split(",")[0] or None
        thread_ts = str(args["thread_ts"]) if args.get("thread_ts") else None
        comment, shared = args.get("initial_comment"), []
        for entry, upload in zip(entries, pending, strict=True):
            assert upload is not None
            file_id, name, content = entry["id"], upload["filename"], upload["content"]
            title = entry.get("title") or name
            mimetype = mimetypes.guess_type(name)[0] or "application/octet-stream"
            self._attached[file_id] = (name, content, mimetype)  # downloadable, like Slack's
            uploaded = UploadedFile(file_id, title, name, content, channel, thread_ts, comment)
            self._uploaded.append(uploaded)
            shared.append(self._file_object(file_id, name, title, content, mimetype))
        return {"files": shared}

    def _file_object(
        self, file_id: str, name: str, title: str, content: bytes, mimetype: str
    ) -> dict[str, Any]:
        base = f"{self.root_url}/files-pri/{self.team_id}-{file_id}"
        quoted = urllib.parse.quote(name)
        extension = name.rsplit(".", 1)[-1].lower() if "." in name else "binary"
        return {
            "id": file_id,
            "name": name,
            "title": title,
            "mimetype": mimetype,
            "filetype": {"txt": "text"}.get(extension, extension),
            "size": len(content),
            "url_private": f"{base}/{quoted}",
            "url_private_download": f"{base}/download/{quoted}",
        }


def _parse_args(query: str, content_type: str, raw: bytes) -> dict[str, Any]:
    """Arguments from the query string and a form, multipart or JSON body."""
    args: dict[str, Any] = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
    kind = content_type.split(";")[0].strip().lower()
    if kind == "application/json":
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = {"unparsed": raw.decode(errors="replace")}
        args.update(body if isinstance(body, dict) else {"unparsed": body})
    elif kind == "multipart/form-data":
        args.update(_multipart_fields(content_type, raw))
    elif raw:
        args.update(urllib.parse.parse_qsl(raw.decode(errors="replace"), keep_blank_values=True))
    for name in _JSON_ARGS:
        if isinstance(args.get(name), str):
            with suppress(ValueError):
                args[name] = json.loads(args[name])
    return args


def _multipart_fields(content_type: str, raw: bytes) -> dict[str, Any]:
    """Form fields of a multipart body: text for plain fields, bytes for file parts."""
    head = f"Content-Type: {content_type}\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + raw)
    fields: dict[str, Any] = {}
    for part in message.iter_parts():  # type: ignore[attr-defined]
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        fields[name] = payload if part.get_filename() else payload.decode(errors="replace")
    return fields


class _Handler(http.server.BaseHTTPRequestHandler):
    emulator: SlackApiEmulator
    server_version = "SlackApiEmulator/1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self._route(b"")

    def do_POST(self) -> None:
        self._route(self.rfile.read(int(self.headers.get("Content-Length") or 0)))

    def _route(self, raw: bytes) -> None:
        url = urllib.parse.urlsplit(self.path)
        headers = {name.lower(): value for name, value in self.headers.items()}
        content_type = headers.get("content-type", "")
        if url.path.startswith("/api/"):
            args = _parse_args(url.query, content_type, raw)
            method = url.path.removeprefix("/api/")
            status, payload, extra = self.emulator._serve_api(method, args, headers)
            self._send(status, json.dumps(payload).encode(), "application/json", extra)
        elif url.path.startswith("/commands/") and self.command == "POST":
            status = self.emulator._serve_response(url.path, raw)
            self._send(status, b"ok" if status == 200 else b"invalid_payload", "text/plain")
        elif url.path.startswith("/upload/v1/") and self.command == "POST":
            if content_type.lower().startswith("multipart/form-data"):
                parts = _multipart_fields(content_type, raw)
                raw = next((v for v in parts.values() if isinstance(v, bytes)), b"")
            status = self.emulator._serve_upload(url.path.rsplit("/", 1)[-1], raw)
            self._send(status, f"OK - {len(raw)}".encode() if status == 200 else b"", "text/plain")
        elif url.path.startswith("/files-pri/") and self.command == "GET":
            self._send(*self.emulator._serve_file(url.path, headers))
        else:
            self._send(404, b"not found", "text/plain")

    def _send(
        self, status: int, data: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        with suppress(BrokenPipeError, ConnectionResetError):
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
