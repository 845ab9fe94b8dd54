"""Bounded context: the prompt of each stage must not grow with the number of source rows.

Part 1 stages the same kind of file at 1k and at 1M rows, runs every LLM stage against a
recording OpenAI-compatible server (scripted with the baseline's own artifacts), and prints
the prompt tokens of each stage for both sizes (target: equal within 5%). Tokens are counted
by the local model's tokenizer when it is in the cache, else estimated (characters / 4).

Part 2 (with --model, needs `importbot model fetch` and the `local` extra) runs request (b)
end to end on the local model and prints the wall time and the tokens of each stage.

    .venv/bin/python bench/llm_context.py [--rows 1000000] [--model]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dolt.embedded.loader import load_sqlite3

load_sqlite3()

from agents import pipeline  # noqa: E402
from agents.artifacts import FollowUpQuestions, ImportRequest  # noqa: E402
from agents.llm.client import LlmClient, LlmSettings  # noqa: E402
from agents.sources.resolve import SourcePolicy  # noqa: E402
from agents.stages import ask as ask_stage  # noqa: E402
from agents.stages import plan as plan_stage  # noqa: E402
from agents.stages import schema as schema_stage  # noqa: E402
from agents.stages import understand as understand_stage  # noqa: E402
from dolt import open_server  # noqa: E402
from dolt.models import Author  # noqa: E402
from tests.fakes.openai_server import ScriptedOpenAI, prompt_tokens_for  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
FREE_TEXT = "Bring everything in the people file into the families database please"
REQUEST_B = (
    "Import all CSV files in examples/families into the database families. Create tables as needed."
)


def write_people(path: Path, rows: int) -> None:
    with path.open("w") as handle:
        handle.write("id,name,age,city\n")
        for i in range(rows):
            handle.write(f"{i},Person number {i},{18 + i % 70},City {i % 500}\n")


def stage_prompts(root: Path) -> dict[str, list[dict[str, str]]]:
    """The messages each stage sends for `root/people.csv`, recorded by a scripted server."""
    request = ImportRequest(sources=["people.csv"], database="families", summary="Import people.")
    with open_server(f"doltlite://{root / 'dbs'}") as server:
        database = server.database(name="families", create=True)
        inspection, staging = pipeline.inspect(
            request, database=database, policy=SourcePolicy(roots=(root,)), workdir=root / "job"
        )
        schema = pipeline.baseline_schema(request, inspection)
        plan = pipeline.plan(request, inspection, schema, staging=staging, database=database)
        with ScriptedOpenAI([request, FollowUpQuestions(), schema, plan]) as model:
            settings = LlmSettings(models=("recorder",), api_key="x", base_url=model.base_url)
            with LlmClient(settings) as llm:
                understand_stage.run(llm, text=FREE_TEXT)
                ask_stage.run(llm, request=request, inspection=inspection, baseline=schema)
                schema_stage.run(
                    llm,
                    request=request,
                    inspection=inspection,
                    database=database,
                    baseline=schema,
                )
                relations = {n: [c for c, _ in s.columns] for n, s in staging.relations.items()}
                plan_stage.run(
                    llm,
                    request=request,
                    inspection=inspection,
                    schema=schema,
                    target_schemas=pipeline.target_schemas(database, schema),
                    baseline=plan,
                    relations=relations,
                    duckdb=staging.duckdb,
                )
            stages = ("understand", "ask", "propose_schema", "plan")
            recorded = {
                stage: r.messages for stage, r in zip(stages, model.completions, strict=True)
            }
        staging.close()
        database.close()
    return recorded


def token_counter():
    """The local model's tokenizer when available, else characters / 4."""
    try:
        from agents.llm.local_model import (
            DEFAULT_MODEL,
            MODELS,
            LocalModelServer,
            cached_model,
            default_cache_dir,
        )
    except ImportError:
        return None, lambda messages: prompt_tokens_for(messages), "estimated (chars/4)"
    path = cached_model(MODELS[DEFAULT_MODEL], cache_dir=default_cache_dir(os.environ))
    if path is None:
        return None, lambda messages: prompt_tokens_for(messages), "estimated (chars/4)"
    server = LocalModelServer(path, n_ctx=2048)
    server.start()
    root = server.base_url.removesuffix("/v1")

    def count(messages) -> int:
        text = "\n".join(m["content"] for m in messages)
        body = json.dumps({"content": text}).encode()
        request = urllib.request.Request(
            f"{root}/tokenize", data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return len(json.load(response)["tokens"])

    return server, count, f"{path.name} tokenizer"


def part_one(rows: int) -> None:
    prompts = {}
    for size in (1_000, rows):
        root = Path(tempfile.mkdtemp(prefix="bench-llm-"))
        try:
            write_people(root / "people.csv", size)
            prompts[size] = stage_prompts(root)
        finally:
            shutil.rmtree(root, ignore_errors=True)
    server, count, how = token_counter()
    try:
        print(f"prompt tokens per stage ({how}):")
        print(f"{'stage':16} {'1k rows':>9} {f'{rows:,} rows':>14} {'ratio':>7}")
        for stage in prompts[1_000]:
            small, large = count(prompts[1_000][stage]), count(prompts[rows][stage])
            print(f"{stage:16} {small:>9,} {large:>14,} {large / small:>7.3f}")
    finally:
        if server is not None:
            server.stop()


def part_two() -> None:
    from agents.llm.local_model import (
        DEFAULT_MODEL,
        MODELS,
        LocalModelServer,
        cached_model,
        default_cache_dir,
    )

    path = cached_model(MODELS[DEFAULT_MODEL], cache_dir=default_cache_dir(os.environ))
    if path is None:
        print("part 2 skipped: the local model is not in the cache (importbot model fetch)")
        return
    root = Path(tempfile.mkdtemp(prefix="bench-llm-b-"))
    shutil.copytree(REPO / "examples", root / "examples")
    started = time.perf_counter()
    with LocalModelServer(path) as server:
        settings = LlmSettings(
            models=(server.model,), api_key="local", base_url=server.base_url, timeout_seconds=900
        )
        with LlmClient(settings) as llm, open_server(f"doltlite://{root / 'dbs'}") as dolt:
            ready = time.perf_counter()
            request = pipeline.understand(REQUEST_B, llm=llm)
            database = dolt.database(name=request.database, create=True)
            inspection, staging = pipeline.inspect(
                request,
                database=database,
                policy=SourcePolicy(roots=(root,)),
                workdir=root / "job",
            )
            baseline = pipeline.baseline_schema(request, inspection)
            questions = pipeline.ask(request, inspection, baseline=baseline, llm=llm)
            schema = pipeline.propose(
                request,
                inspection,
                database=database,
                llm=llm,
                answers={q.id: q.default for q in questions},
            )
            plan = pipeline.plan(
                request, inspection, schema, staging=staging, database=database, llm=llm
            )
            review = pipeline.run(
                job_id="bench",
                text=REQUEST_B,
                author=Author("B", "b@x"),
                schema=schema,
                import_plan=plan,
                database=database,
                staging=staging,
            )
            staging.close()
            done = time.perf_counter()
            usage = list(llm.usage)
    shutil.rmtree(root, ignore_errors=True)
    print(
        f"request (b) on {path.name}: {done - ready:.1f} s end to end "
        f"(+{ready - started:.1f} s starting the server)"
    )
    print(f"tables: { {t.name: t.rows_added for t in review.tables} }")
    for item in usage:
        print(
            f"  {item.stage:16} prompt {item.prompt_tokens:>6,}  completion "
            f"{item.completion_tokens:>5,}  {item.latency_seconds:6.1f} s  {item.outcome}"
        )
    if schema.notes or plan.notes:
        print("  notes:", *schema.notes, *plan.notes, sep="\n    ")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--model", action="store_true", help="also run request (b) on the local model"
    )
    args = parser.parse_args()
    part_one(args.rows)
    if args.model:
        part_two()


if __name__ == "__main__":
    main()
