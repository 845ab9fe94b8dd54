"""The Bolt app: verifies every request (signature, 5-minute replay window, this workspace and
this app), deduplicates event deliveries, acknowledges at once and hands the payload to
`SlackIntake`. Served over HTTP (`/slack/events`, `/healthz`) by a threaded WSGI server, or
over Socket Mode."""

from __future__ import annotations

import json
import logging
import re
import socketserver
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from slack_bolt import Ack, App, BoltContext, BoltRequest, BoltResponse, Respond
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.authorization import AuthorizeResult

from bot.slack.failures import tell_about_failure, telling_on_failure
from bot.slack.help_words import asks_for_help
from bot.slack.intake import DAY, SlackIntake
from bot.slack.messages.actions import (
    CHANGES_MODAL_CALLBACK,
    EDIT_REQUEST_MODAL_CALLBACK,
    NEW_IMPORT_MODAL_CALLBACK,
)
from bot.slack.surface import EVENTS_PATH, HEALTH_PATH
from workers.health import Report
from workers.redis_store import RedisJobStore

if TYPE_CHECKING:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

log = logging.getLogger(__name__)


def build_app(intake: SlackIntake, *, signing_secret: str) -> App:
    identity = AuthorizeResult(
        enterprise_id=None,
        team_id=intake.team_id,
        bot_user_id=intake.bot_user_id,
        bot_id=intake.bot_id,
        bot_token=intake.client.token,
    )
    app = App(
        client=intake.client,
        signing_secret=signing_secret,
        token_verification_enabled=False,
        process_before_response=False,
        # One workspace: who the bot is was read once at start (auth.test), not per request.
        authorize=lambda **_: identity,
        listener_executor=ThreadPoolExecutor(max_workers=4, thread_name_prefix="listener"),
    )

    app.use(for_this_app_only(team_id=intake.team_id, app_id=intake.app_id))

    def first_delivery(body: dict[str, Any]) -> bool:
        event_id = body.get("event_id")
        return not event_id or intake.store.claim(f"slack:event:{event_id}", ttl_seconds=DAY)

    @app.event("app_mention")
    def mention(body: dict[str, Any]) -> None:
        if first_delivery(body):
            intake.on_event(body)

    @app.event("message")
    def message(body: dict[str, Any]) -> None:
        if first_delivery(body):
            intake.on_event(body)

    @app.event("app_home_opened")
    def home(body: dict[str, Any]) -> None:
        if first_delivery(body) and body["event"].get("tab", "home") == "home":
            intake.on_home(body["event"]["user"])

    # After an ack, what raises is told to the person here, not left to Bolt: Bolt forgets an
    # ack whose listener raises within ~10 ms, and Slack then sees a 404 after 3 s.
    @app.command("/import")
    def command(ack: Ack, command: dict[str, Any], respond: Respond) -> None:
        if asks_for_help(command.get("text") or ""):  # `/import help`, `/import`: the card
            card = intake.help_card()
            ack(text=card.text, blocks=card.blocks, response_type="ephemeral")
            return
        ack("Working on it — I will answer in a thread.")
        with telling_on_failure(command, client=intake.client, respond=respond):
            intake.on_command(command)

    @app.action(re.compile(".*"))
    def action(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        with telling_on_failure(body, client=intake.client):
            intake.on_action(body)

    @app.view(CHANGES_MODAL_CALLBACK)
    @app.view(EDIT_REQUEST_MODAL_CALLBACK)
    def changes(ack: Ack, body: dict[str, Any]) -> None:
        errors = intake.view_errors(body)  # answered in the modal, which stays open
        if errors:
            ack(response_action="errors", errors=errors)
            return
        ack()
        with telling_on_failure(body, client=intake.client):
            intake.on_view_submission(body)

    @app.view(NEW_IMPORT_MODAL_CALLBACK)
    def new_import(ack: Ack, body: dict[str, Any]) -> None:
        errors = intake.new_import_errors(body)  # an empty request: said in the modal
        if errors:
            ack(response_action="errors", errors=errors)
            return
        ack()
        with telling_on_failure(body, client=intake.client):
            intake.on_new_import(body)

    @app.error
    def failed(error: Exception, body: dict[str, Any], respond: Respond | None) -> None:
        """Whatever else a listener raised: the person is told (see `bot.slack.failures`)."""
        tell_about_failure(error, body, client=intake.client, respond=respond)

    return app


def for_this_app_only(*, team_id: str | None, app_id: str | None) -> Callable[..., Any]:
    """A global middleware: a request (event, click, modal, slash command) labelled with
    another workspace or another app is refused before any listener sees it — over HTTP with
    403, over Socket Mode acknowledged and dropped (unacknowledged, Slack would send it again).
    The app id is checked when auth.test named it."""

    def check(
        request: BoltRequest, context: BoltContext, body: dict[str, Any], next: Callable[[], None]
    ) -> BoltResponse | None:
        foreign = foreign_label(
            team_id=context.team_id,
            app_id=body.get("api_app_id"),
            ours=(team_id, app_id),
        )
        if foreign:
            log.warning("refused a %s request: %s", body.get("type", "Slack"), foreign)
            return BoltResponse(status=200 if request.mode == "socket_mode" else 403, body="")
        next()
        return None

    return check


def foreign_label(
    *, team_id: str | None, app_id: str | None, ours: tuple[str | None, str | None]
) -> str:
    """What in a request says it is for another workspace or app ('' when nothing does)."""
    our_team, our_app = ours
    if team_id != our_team:
        return f"workspace {team_id or '(none)'} is not {our_team}"
    if our_app is not None and app_id != our_app:
        return f"app {app_id or '(none)'} is not {our_app}"
    return ""


class _ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
    request_queue_size = 512


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        log.debug("%s %s", self.address_string(), format % args)


def wsgi_app(app: App, *, health: Callable[[], Report] | None = None) -> WSGIApplication:
    """`health`: the checks `/healthz` runs on each request (200 when every needed part
    answers, else 503 naming what is down); without it `/healthz` says only that the process
    answers."""
    handler = SlackRequestHandler(app)

    def application(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == HEALTH_PATH:
            return _health(health, start_response)
        if path == EVENTS_PATH and environ.get("REQUEST_METHOD") == "POST":
            return handler(environ, start_response)
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]

    return application


def _health(health: Callable[[], Report] | None, start_response: StartResponse) -> list[bytes]:
    if health is None:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]
    report = health()
    if not report.ok:
        log.warning(
            "unhealthy: %s",
            "; ".join(f"{c.name}: {c.detail}" for c in report.checks if c.needed and not c.ok),
        )
    status = "200 OK" if report.ok else "503 Service Unavailable"
    start_response(status, [("Content-Type", "application/json")])
    return [json.dumps(report.summary()).encode()]


def warm_up(intake: SlackIntake) -> None:
    """Open the Redis and broker connections before the first request needs them."""
    assert isinstance(intake.store, RedisJobStore), "the Slack bot keeps its jobs in Redis"
    intake.store.redis.ping()
    with intake.scheduler.app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=3)


def http_server(
    app: App,
    *,
    host: str = "0.0.0.0",
    port: int = 3000,
    health: Callable[[], Report] | None = None,
) -> WSGIServer:
    """A threaded HTTP server for the app; `serve_forever()` it (port 0 picks a free one).
    `health`: what `/healthz` checks (see `wsgi_app`)."""
    return make_server(
        host,
        port,
        wsgi_app(app, health=health),
        server_class=_ThreadingWSGIServer,
        handler_class=_QuietHandler,
    )


def socket_mode_handler(app: App, *, app_token: str) -> SocketModeHandler:
    """Socket Mode: `.start()` blocks; `.connect()` connects and returns (tests)."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    return SocketModeHandler(app, app_token)
