"""Time for the Slack bot to acknowledge 100 concurrent signed events.

Starts `importbot serve` (HTTP mode) against a local Slack Web API emulator and the real Redis,
then fires 100 signed `app_mention` events at once (each a new import request: verified,
deduplicated, recorded as a job and enqueued) and prints p50 / p99 time to the HTTP 200, next to
the same burst of `GET /healthz` (the server's own floor, measured in the same run).
Target: p99 under 300 ms.

    .venv/bin/python bench/slack_ack.py [--events 100] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import redis  # noqa: E402

from dolt.embedded.loader import child_environment  # noqa: E402
from tests.fakes import slack_requests as slack  # noqa: E402
from tests.fakes.slack_api import SlackApiEmulator  # noqa: E402

REDIS_URL = "redis://127.0.0.1:6379/11"
SECRET = "bench-signing-secret-5d1e"
TOKEN = "xoxb-bench-token"


def burst(count: int, send) -> list[float]:
    """`count` requests released together; each one's seconds to its answer."""
    gate = threading.Barrier(count)
    times: list[float] = [0.0] * count

    def one(index: int) -> None:
        gate.wait()
        times[index] = send(index)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(times)


def percentile(values: list[float], share: float) -> float:
    return values[min(len(values) - 1, round(share * (len(values) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    redis.Redis.from_url(REDIS_URL).flushdb()
    work = Path(tempfile.mkdtemp(prefix="slack-ack-"))
    users = {
        f"U{i:04d}": {"real_name": f"Person {i}", "email": f"p{i}@example.com"}
        for i in range(args.events)
    }
    with SlackApiEmulator(bot_token=TOKEN, users=users) as emulator:
        env = {
            **child_environment(os.environ),  # libdoltlite preloaded: `python -c` cannot re-exec
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": emulator.base_url,
            "IMPORTBOT_REDIS_URL": REDIS_URL,
            "IMPORTBOT_DOLT_URL": f"doltlite:{work / 'dbs'}",
        }
        port = free_port()
        server = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from bot.entrypoints.cli import main; main()",
                "serve",
                "--port",
                str(port),
                "--host",
                "127.0.0.1",
            ],
            cwd=work,
            env=env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=open(work / "serve.log", "wb"),  # noqa: SIM115
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_ready(base)
            run(base, args.events, args.rounds)
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
    jobs = len(redis.Redis.from_url(REDIS_URL).keys("importbot:job:*"))
    print(f"jobs recorded: {jobs} (one per event; every delivery was new)")
    redis.Redis.from_url(REDIS_URL).flushdb()


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_ready(base: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the bot did not start")


def run(base: str, count: int, rounds: int) -> None:
    def health(_: int) -> float:
        started = time.perf_counter()
        with urllib.request.urlopen(f"{base}/healthz", timeout=30) as answer:
            answer.read()
        return time.perf_counter() - started

    all_events: list[float] = []
    all_health: list[float] = []
    for round_number in range(rounds):

        def event(index: int, round_number=round_number) -> float:
            ts = f"17000{round_number:02d}{index:04d}.000100"
            mention = slack.app_mention(
                user=f"U{index:04d}",
                channel="CBENCH",
                text=f"<@UBOT> import data/file{index}.csv into bench",
                ts=ts,
            )
            body = slack.json_body(slack.event_callback(mention, event_id=f"Ev{ts}"))
            status, _, seconds = slack.post_signed(
                f"{base}/slack/events", body, secret=SECRET, content_type=slack.JSON
            )
            assert status == 200, status
            return seconds

        all_health += burst(count, health)
        this_round = burst(count, event)
        all_events += this_round
        print(
            f"  round {round_number + 1}: p50 {percentile(this_round, 0.5) * 1000:.1f} ms, "
            f"p99 {percentile(this_round, 0.99) * 1000:.1f} ms"
        )
        time.sleep(1.0)  # let the listeners finish recording before the next burst
    all_events.sort()
    all_health.sort()
    ms = 1000
    print(f"{count} concurrent signed events x {rounds} rounds, time to acknowledge:")
    print(
        f"  events : p50 {percentile(all_events, 0.5) * ms:6.1f} ms   "
        f"p99 {percentile(all_events, 0.99) * ms:6.1f} ms   max {all_events[-1] * ms:6.1f} ms"
    )
    print(
        f"  healthz: p50 {percentile(all_health, 0.5) * ms:6.1f} ms   "
        f"p99 {percentile(all_health, 0.99) * ms:6.1f} ms   (same burst, no Slack work)"
    )
    print(
        f"  ratio p99 events / healthz: "
        f"{percentile(all_events, 0.99) / percentile(all_health, 0.99):.2f}"
    )
    verdict = "meets" if percentile(all_events, 0.99) < 0.3 else "misses"
    print(f"  target p99 < 300 ms: {verdict}; mean {statistics.mean(all_events) * ms:.1f} ms")


if __name__ == "__main__":
    main()
