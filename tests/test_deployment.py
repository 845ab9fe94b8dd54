"""The deployment keeps its promises.

The Slack manifest asks for exactly what the bot uses (bot/slack/surface.py); docker-compose.yml is
valid with `.env.example`, refuses to start without DOLT_ROOT_PASSWORD and holds no secret itself;
`.env.example` documents every variable; the image runs unprivileged from the pinned set; the
setup guide names what the files define.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from bot.slack import surface as slack_surface

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = ROOT / "slack-manifest.yml"
COMPOSE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
DOCKERFILE = ROOT / "Dockerfile"
SETUP_GUIDE = ROOT / "README.md"  # its section "Running the Slack bot"

PLACEHOLDER_URL = "https://YOUR-HOST" + slack_surface.EVENTS_PATH

# Every variable the app reads in production (the bot's and the workers' settings).
APP_VARIABLES = (
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_APP_TOKEN",
    "SLACK_API_URL",
    "IMPORTBOT_DOLT_URL",
    "IMPORTBOT_REDIS_URL",
    "IMPORTBOT_JOBS_DIR",
    "IMPORTBOT_DATA_ROOTS",
    "IMPORTBOT_ALLOW_PRIVATE_URLS",
    "IMPORTBOT_IMPORTERS",
    "IMPORTBOT_MERGERS",
    "IMPORTBOT_REQUIRE_SECOND_APPROVER",
    "IMPORTBOT_BROADCAST_OUTCOME",
    "IMPORTBOT_NOTIFY_MERGERS",
    "IMPORTBOT_REMIND_AFTER",
    "IMPORTBOT_EXPIRE_AFTER",
    "IMPORTBOT_LLM",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "IMPORTBOT_MODELS",
)
# Scopes that events and the slash command need (docs.slack.dev/reference/events/<event>).
SCOPE_OF_EVENT = {
    "app_mention": "app_mentions:read",
    "message.im": "im:history",
    "message.channels": "channels:history",
    "message.groups": "groups:history",
}

SECRET_NAME = re.compile(r"PASSWORD|PASSWD|SECRET|TOKEN|API_KEY|PRIVATE_KEY", re.IGNORECASE)
SECRET_VALUE = re.compile(
    r"\bx(?:ox[abeoprs]|app)-[A-Za-z0-9-]+"  # Slack bot, user, app-level tokens
    r"|\bsk-[A-Za-z0-9_-]{8,}"  # OpenAI-style keys
    r"|-----BEGIN [A-Z ]*PRIVATE KEY-----"
)
URL_PASSWORD = re.compile(r"://[^/:@\s]+:([^@\s]+)@")
# `${NAME}` or `${NAME:?message}` / `${NAME?message}`: no default, so nothing literal.
ONLY_A_REFERENCE = re.compile(r"^\$\{[A-Za-z_][A-Za-z0-9_]*(?::?\?[^}]*)?\}$")
REFERENCE = re.compile(r"(?<!\$)\$(?:\{([A-Za-z_][A-Za-z0-9_]*)|([A-Za-z_][A-Za-z0-9_]*))")
ASSIGNMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$")


# --- the Slack manifest ---


@pytest.fixture(scope="module")
def manifest() -> dict:
    return yaml.safe_load(MANIFEST.read_text())


def test_manifest_bot_scopes_are_exactly_the_surfaces(manifest):
    scopes = manifest["oauth_config"]["scopes"]["bot"]
    assert len(scopes) == len(set(scopes)), "a scope is listed twice"
    assert set(scopes) == slack_surface.BOT_SCOPES
    assert "user" not in manifest["oauth_config"]["scopes"], "the bot needs no user scopes"


def test_manifest_events_are_exactly_the_surfaces(manifest):
    events = manifest["settings"]["event_subscriptions"]["bot_events"]
    assert len(events) == len(set(events))
    assert set(events) == slack_surface.BOT_EVENTS
    assert "user_events" not in manifest["settings"]["event_subscriptions"]


def test_manifest_slash_commands_are_exactly_the_surfaces(manifest):
    commands = manifest["features"]["slash_commands"]
    assert {c["command"]: c["description"] for c in commands} == slack_surface.SLASH_COMMANDS
    for command in commands:
        assert command["command"].startswith("/") and len(command["command"]) <= 32
        assert command["url"] == PLACEHOLDER_URL


def test_every_request_url_is_the_one_events_path(manifest):
    settings = manifest["settings"]
    assert settings["event_subscriptions"]["request_url"] == PLACEHOLDER_URL
    assert settings["interactivity"] == {"is_enabled": True, "request_url": PLACEHOLDER_URL}


def test_manifest_settings(manifest):
    settings = manifest["settings"]
    assert settings["socket_mode_enabled"] is False
    assert settings["org_deploy_enabled"] is False
    assert settings["token_rotation_enabled"] is False
    features = manifest["features"]
    assert features["bot_user"]["always_online"] is True
    assert features["app_home"]["home_tab_enabled"] is True
    assert features["app_home"]["messages_tab_enabled"] is True
    assert features["app_home"].get("messages_tab_read_only_enabled", False) is False


def test_manifest_respects_slacks_field_limits(manifest):
    # Limits from Slack's manifest reference (node-slack-sdk's Manifest type documents them).
    assert set(manifest) <= {
        "_metadata",
        "display_information",
        "features",
        "oauth_config",
        "settings",
    }
    info = manifest["display_information"]
    assert 0 < len(info["name"]) <= 35
    assert len(info["description"]) <= 140
    assert 174 <= len(info["long_description"]) <= 4000
    assert re.fullmatch(r"#[0-9a-fA-F]{3}(?:[0-9a-fA-F]{3})?", info["background_color"])
    assert re.fullmatch(r"[a-z0-9._-]{1,80}", manifest["features"]["bot_user"]["display_name"])


def test_the_scopes_cover_the_events_and_the_command():
    for event in slack_surface.BOT_EVENTS:
        if event in SCOPE_OF_EVENT:
            assert SCOPE_OF_EVENT[event] in slack_surface.BOT_SCOPES, event
    if slack_surface.SLASH_COMMANDS:
        assert "commands" in slack_surface.BOT_SCOPES
    if "users:read.email" in slack_surface.BOT_SCOPES:
        assert "users:read" in slack_surface.BOT_SCOPES  # Slack grants it only with users:read
    for scope in slack_surface.BOT_SCOPES:
        assert re.fullmatch(r"[a-z_]+(?:\.[a-z_]+)*:[a-z_]+(?:\.[a-z_]+)*|commands", scope), scope


# --- docker-compose.yml, read as data ---


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


@pytest.fixture(scope="module")
def env_example() -> dict[str, str]:
    return parse_env_file(ENV_EXAMPLE.read_text())


def test_every_service_has_a_healthcheck(compose):
    assert set(compose["services"]) == {"dolt", "redis", "worker", "bot"}
    for name, service in compose["services"].items():
        check = service.get("healthcheck")
        assert check and not check.get("disable"), f"{name} has no healthcheck"
        assert check["test"] and check["test"] != ["NONE"], name


def test_redis_keeps_an_append_only_file(compose):
    redis = compose["services"]["redis"]
    command = redis["command"]
    command = command.split() if isinstance(command, str) else command
    assert " ".join(command).startswith("redis-server ")
    assert _option(command, "--appendonly") == "yes"
    assert _option(command, "--appendfsync") == "everysec"
    assert any(volume.endswith(":/data") for volume in redis["volumes"])


def test_images_are_pinned(compose):
    dolt = compose["services"]["dolt"]["image"]
    assert re.fullmatch(r"dolthub/dolt-sql-server:\d+\.\d+\.\d+", dolt), dolt
    redis = compose["services"]["redis"]["image"]
    assert redis.startswith("redis:7"), redis
    dolt_service = compose["services"]["dolt"]
    assert any(volume.endswith(":/var/lib/dolt") for volume in dolt_service["volumes"])
    assert dolt_service["environment"]["DOLT_ROOT_HOST"] == "%"


def test_only_the_bot_publishes_a_port(compose):
    published = {name: s.get("ports", []) for name, s in compose["services"].items()}
    assert published == {"dolt": [], "redis": [], "worker": [], "bot": ["3000:3000"]}


def test_the_bot_and_the_worker_run_the_documented_commands(compose):
    worker, bot = compose["services"]["worker"], compose["services"]["bot"]
    assert worker["command"] == ["worker", "--queues", "stages,server", "--concurrency", "2"]
    assert bot["command"] == ["serve", "--port", "3000"]
    for service in (worker, bot):
        assert service["build"] == "."
        assert service["env_file"] in (".env", [".env"])
    jobs_dir = worker["environment"]["IMPORTBOT_JOBS_DIR"]
    assert bot["environment"]["IMPORTBOT_JOBS_DIR"] == jobs_dir
    jobs_volumes = [v for v in worker["volumes"] if v.endswith(":" + jobs_dir)]
    assert jobs_volumes and jobs_volumes[0] in bot["volumes"], "bot and worker share the jobs"
    data_roots = worker["environment"]["IMPORTBOT_DATA_ROOTS"].split(":")
    for root in data_roots:
        assert any(v.endswith(f":{root}:ro") for v in worker["volumes"]), f"{root} read-only"


def test_the_healthchecks_ask_the_right_things(compose):
    services = compose["services"]
    bot_check = " ".join(services["bot"]["healthcheck"]["test"])
    assert f"127.0.0.1:3000{slack_surface.HEALTH_PATH}" in bot_check
    worker_check = " ".join(services["worker"]["healthcheck"]["test"])
    assert "celery -A workers.celery_app inspect ping" in worker_check
    assert "celery@$$HOSTNAME" in worker_check  # `$$`: the container's shell expands it
    assert "redis-cli" in services["redis"]["healthcheck"]["test"]
    assert "select 1" in " ".join(services["dolt"]["healthcheck"]["test"])


def test_start_order_waits_for_health(compose):
    services = compose["services"]
    assert services["worker"]["depends_on"] == {
        "dolt": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
    }
    bot_needs = services["bot"]["depends_on"]
    assert bot_needs["redis"] == {"condition": "service_healthy"}
    assert "worker" in bot_needs


def test_compose_holds_no_literal_secret(compose):
    assert literal_secrets(compose) == []
    # Nothing in the raw text either (comments included).
    assert not SECRET_VALUE.search(COMPOSE.read_text())


@pytest.mark.parametrize(
    "service",
    [
        {"environment": {"DOLT_ROOT_PASSWORD": "hunter2"}},
        {"environment": ["SLACK_SIGNING_SECRET=abc123"]},
        {"environment": {"SLACK_BOT_TOKEN": "${SLACK_BOT_TOKEN:-xoxb-1-2-abc}"}},
        {"environment": {"IMPORTBOT_DOLT_URL": "mysql://root:hunter2@dolt:3306"}},
        {"command": ["serve", "--token", "xoxb-123-456-abcdef"]},
    ],
)
def test_the_secret_check_catches_literals(service):
    assert literal_secrets({"services": {"x": service}}) != []


def test_env_example_lists_every_variable_compose_references(env_example):
    referenced = {a or b for a, b in REFERENCE.findall(COMPOSE.read_text())}
    assert "DOLT_ROOT_PASSWORD" in referenced
    assert referenced - set(env_example) == set()


# --- .env.example ---


def test_env_example_documents_every_app_variable(env_example):
    assert set(APP_VARIABLES) - set(env_example) == set()
    lines = ENV_EXAMPLE.read_text().splitlines()
    assignments = [i for i, line in enumerate(lines) if ASSIGNMENT.match(line)]
    names = [ASSIGNMENT.match(lines[i]).group(1) for i in assignments]
    assert len(names) == len(set(names)), "a variable is set twice"
    for i in assignments:
        assert i > 0 and lines[i - 1].startswith("# "), f"no comment above {lines[i]!r}"


def test_env_example_secrets_are_obvious_placeholders(env_example):
    for name, value in env_example.items():
        if SECRET_NAME.search(name):
            assert "your" in value.lower(), f"{name}={value!r} does not look like a placeholder"
        password = URL_PASSWORD.search(value)
        if password:
            assert "your" in password.group(1).lower(), name
    assert env_example["SLACK_BOT_TOKEN"].startswith("xoxb-")
    assert env_example["SLACK_APP_TOKEN"].startswith("xapp-")


# --- docker-compose itself ---


@pytest.fixture(scope="module")
def docker_compose() -> str:
    executable = shutil.which("docker-compose")
    if executable is None:
        pytest.fail(
            "docker-compose is not installed, so docker-compose.yml cannot be checked: "
            "run `apt-get install -y docker-compose` (scripts/ensure-services.sh does it when "
            "apt-get is usable).",
            pytrace=False,
        )
    return executable


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """docker-compose.yml with `.env.example` as its `.env`, in a directory of its own."""
    shutil.copy(COMPOSE, tmp_path / "docker-compose.yml")
    shutil.copy(ENV_EXAMPLE, tmp_path / ".env")
    return tmp_path


def run_compose(executable: str, project: Path, *args: str) -> subprocess.CompletedProcess:
    # A clean environment: the values come from the project's .env only.
    environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(project)}
    return subprocess.run(
        [executable, "--project-name", "importbot-test", *args],
        cwd=project,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_compose_accepts_the_example_environment(docker_compose, project):
    result = run_compose(docker_compose, project, "config", "-q")
    assert result.returncode == 0, result.stderr


def test_compose_builds_the_dolt_url_from_the_password(docker_compose, project, env_example):
    result = run_compose(docker_compose, project, "config")
    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]
    password = env_example["DOLT_ROOT_PASSWORD"]
    assert services["dolt"]["environment"]["DOLT_ROOT_PASSWORD"] == password
    for name in ("worker", "bot"):
        environment = services[name]["environment"]
        assert environment["IMPORTBOT_DOLT_URL"] == f"mysql://root:{password}@dolt:3306"
        assert environment["SLACK_BOT_TOKEN"] == env_example["SLACK_BOT_TOKEN"]  # env_file


def test_compose_refuses_to_start_without_the_dolt_password(docker_compose, project):
    env_file = project / ".env"
    kept = [
        line
        for line in env_file.read_text().splitlines()
        if not line.startswith("DOLT_ROOT_PASSWORD=")
    ]
    env_file.write_text("\n".join(kept) + "\n")
    result = run_compose(docker_compose, project, "config", "-q")
    assert result.returncode != 0
    assert "set DOLT_ROOT_PASSWORD in .env" in result.stdout + result.stderr


# --- the image ---


@pytest.fixture(scope="module")
def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    instructions = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, arguments = line.partition(" ")
            instructions.append((keyword.upper(), " ".join(arguments.split())))
    return instructions


def test_the_image_runs_as_an_unprivileged_user(dockerfile):
    users = [arguments for keyword, arguments in dockerfile if keyword == "USER"]
    assert users, "no USER: the image would run as root"
    assert users[-1].split(":")[0] not in ("root", "0")


def test_the_image_installs_the_pinned_set_without_extras(dockerfile):
    assert dockerfile[0][0] == "FROM" and dockerfile[0][1].startswith("python:3.11-slim")
    installs = [a for k, a in dockerfile if k == "RUN" and "pip install" in a]
    assert len(installs) == 1
    install = installs[0]
    assert re.search(r"pip install (?:\S+ )*-c constraints\.txt (?:\S+ )*\.(?: |$)", install)
    assert "[dev" not in install and "[local" not in install and " -e " not in install
    assert ("ENTRYPOINT", '["importbot"]') in dockerfile


def test_the_image_copies_every_package_and_the_build_metadata(dockerfile):
    copied = " ".join(a for k, a in dockerfile if k in ("COPY", "ADD"))
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    for package in packages:
        assert re.search(rf"(?:^| ){package.rstrip('*')} ", copied), package
    for needed in ("pyproject.toml", "setup.py", "constraints.txt", pyproject["project"]["readme"]):
        assert needed in copied.split(), needed


def test_the_image_compiles_the_native_loader_and_drops_the_compiler(dockerfile):
    (install,) = [a for k, a in dockerfile if k == "RUN" and "pip install" in a]
    steps = install.split(" && ")
    compiler = next(i for i, step in enumerate(steps) if "install" in step and " gcc" in step)
    pip = next(i for i, step in enumerate(steps) if "pip install" in step)
    purge = next(i for i, step in enumerate(steps) if "purge" in step and "gcc" in step)
    assert compiler < pip < purge


# --- the setup guide ---


def test_the_setup_guide_names_what_the_files_define(compose):
    guide = SETUP_GUIDE.read_text()
    for needed in (
        "slack-manifest.yml",
        "YOUR-HOST",
        "docker-compose up -d --build",
        slack_surface.HEALTH_PATH,
        slack_surface.EVENTS_PATH,
        "socket_mode_enabled: true",
        "connections:write",
        "serve --socket",
        "IMPORTBOT_MERGERS",
        "IMPORTBOT_DATA_ROOTS",
        compose["services"]["dolt"]["image"].split(":")[1],
        *compose["volumes"],
    ):
        assert needed in guide, needed


# --- helpers ---


def parse_env_file(text: str) -> dict[str, str]:
    values = {}
    for line in text.splitlines():
        match = ASSIGNMENT.match(line)
        if match:
            values[match.group(1)] = match.group(2)
    return values


def _option(command: list[str], name: str) -> str | None:
    return command[command.index(name) + 1] if name in command else None


def literal_secrets(compose: dict) -> list[str]:
    """Where compose data holds a secret itself instead of a `${VARIABLE}` reference."""
    found = []
    for where, name, value in _settings(compose):
        if SECRET_NAME.search(name) and not ONLY_A_REFERENCE.match(value):
            found.append(f"{where}: {name} is not a ${{VARIABLE}} reference")
        if SECRET_VALUE.search(value):
            found.append(f"{where}: a token in {value!r}")
        for password in URL_PASSWORD.findall(value):
            if not ONLY_A_REFERENCE.match(password):
                found.append(f"{where}: a password in the URL {name}")
    return found


def _settings(node: object, where: str = "") -> Iterator[tuple[str, str, str]]:
    """(path, name, value) for every scalar; `NAME=value` list items are split."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _settings(value, f"{where}.{key}" if where else str(key))
            if not isinstance(value, (dict, list)):
                yield where, str(key), "" if value is None else str(value)
    elif isinstance(node, list):
        for i, item in enumerate(node):
            if isinstance(item, (dict, list)):
                yield from _settings(item, f"{where}[{i}]")
            else:
                name, separator, value = str(item).partition("=")
                yield f"{where}[{i}]", name if separator else "", value if separator else name
