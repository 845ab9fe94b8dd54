"""Least privilege, stated (issue 15, point 11): the Web API methods the code calls are the ones
`bot/slack/surface.py` lists, and the bot scopes are exactly what those methods, the events, the
slash command and the listed extra needs require — no more."""

from __future__ import annotations

import ast
from pathlib import Path

from slack_sdk import WebClient

from bot.slack import surface
from tests.fakes.slack_api import SlackApiEmulator
from tests.test_deployment import SCOPE_OF_EVENT

ROOT = Path(__file__).resolve().parents[2]
_COMPOSITE = {  # slack_sdk helpers that call several methods
    "files_upload_v2": {"files.getUploadURLExternal", "files.completeUploadExternal"},
}


def _called_methods() -> dict[str, list[str]]:
    """Web API methods called (or passed on) as `<something>.client.<method>` or
    `client.<method>` in bot/ and workers/, each with where."""
    found: dict[str, list[str]] = {}
    for path in sorted([*(ROOT / "bot").rglob("*.py"), *(ROOT / "workers").rglob("*.py")]):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Attribute):
                continue
            owner = node.value
            named = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
            name = node.attr
            if named != "client" or not callable(getattr(WebClient, name, None)):
                continue
            for method in _COMPOSITE.get(name, {name.replace("_", ".")}):
                found.setdefault(method, []).append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_the_surface_lists_every_web_api_method_the_code_calls():
    called = _called_methods()
    assert set(called) == set(surface.WEB_API_METHODS), (
        f"called but not listed: {sorted(set(called) - set(surface.WEB_API_METHODS))}; "
        f"listed but not called: {sorted(set(surface.WEB_API_METHODS) - set(called))}"
    )


def test_the_scopes_are_exactly_what_the_methods_events_and_command_need():
    needed = {scope for scope in surface.WEB_API_METHODS.values() if scope}
    needed |= {SCOPE_OF_EVENT[e] for e in surface.BOT_EVENTS if e in SCOPE_OF_EVENT}
    needed |= {"commands"} if surface.SLASH_COMMANDS else set()
    needed |= set(surface.SCOPES_WITHOUT_A_METHOD)
    assert needed == surface.BOT_SCOPES
    assert "reactions:write" in surface.BOT_SCOPES  # the outcome on the request message


def test_the_emulator_answers_every_method_the_bot_uses():
    for method in surface.WEB_API_METHODS:
        assert hasattr(SlackApiEmulator, "_api_" + method.replace(".", "_")), method
