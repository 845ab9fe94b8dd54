"""Snapshots of sources in the job's folder: real files, a real local HTTP server, real staging."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import pytest

from agents import pipeline
from agents.errors import SnapshotChanged, SourceError
from agents.sources.resolve import SourcePolicy, resolve_sources
from agents.sources.snapshot import snapshot_files, take_snapshots
from tests.agents.http_fixtures import local_server, send_body

CSV = b"id,name,age\n1,Ada,36\n2,Grace,85\n"
ETAG = '"5d41402abc4b2a76"'
LAST_MODIFIED = "Wed, 21 Oct 2025 07:28:00 GMT"


def snapshots_of(specs, *, root: Path, workdir: Path, private: bool = False):
    policy = SourcePolicy(roots=(root,), allow_private_urls=private)
    sources = resolve_sources(specs, policy=policy, workdir=workdir).sources
    return take_snapshots(sources, workdir=workdir)


def test_a_local_file_is_copied_with_its_size_sha256_and_modification_time(tmp_path):
    root, workdir = tmp_path / "data", tmp_path / "jobs" / "j1"
    (root / "families").mkdir(parents=True)
    original = root / "families" / "people.csv"
    original.write_bytes(CSV)
    os.utime(original, (1_700_000_000, 1_700_000_000))

    (snapshot,) = snapshots_of(["families/people.csv"], root=root, workdir=workdir)

    assert snapshot.source == "families/people.csv" and snapshot.origin == "local"
    assert snapshot.size == len(CSV)
    assert snapshot.sha256 == hashlib.sha256(CSV).hexdigest()
    assert snapshot.modified_at == datetime.fromtimestamp(1_700_000_000, UTC)
    assert (snapshot.etag, snapshot.last_modified) == (None, None)
    assert not Path(snapshot.file).is_absolute() and snapshot.file.startswith("sources/")
    copy = workdir / snapshot.file
    assert copy.name == "people.csv" and copy.read_bytes() == CSV
    assert copy.stat().st_ino != original.stat().st_ino  # a copy, not a link to the original
    with original.open("ab") as f:  # the original changes in place …
        f.write(b"3,Alan,41\n")
    assert copy.read_bytes() == CSV  # … the snapshot does not


def test_a_download_records_etag_and_last_modified_and_no_secret(tmp_path):
    def people(handler):
        send_body(
            handler,
            CSV,
            headers=[
                ("Content-Type", "text/csv"),
                ("ETag", ETAG),
                ("Last-Modified", LAST_MODIFIED),
            ],
        )

    root, workdir = tmp_path / "data", tmp_path / "jobs" / "j1"
    root.mkdir()
    with local_server() as server:
        server.routes["/exports/people.csv"] = people
        url = server.url("/exports/people.csv?token=s3cr3t").replace("://", "://ada:pw0rd@")
        (snapshot,) = snapshots_of([url], root=root, workdir=workdir, private=True)

    assert snapshot.origin == "url" and snapshot.source.endswith("/exports/people.csv?token=***")
    assert (snapshot.etag, snapshot.last_modified) == (ETAG, LAST_MODIFIED)
    assert snapshot.modified_at is None
    assert snapshot.sha256 == hashlib.sha256(CSV).hexdigest() and snapshot.size == len(CSV)
    assert snapshot.file.startswith("downloads/") and snapshot.file.endswith("/people.csv")
    assert not (workdir / "sources").exists()  # the download itself is the snapshot
    recorded = snapshot.model_dump_json()
    assert "s3cr3t" not in recorded and "pw0rd" not in recorded


def test_an_unpacked_member_is_hashed_where_the_resolver_put_it(tmp_path):
    root, workdir = tmp_path / "data", tmp_path / "jobs" / "j1"
    root.mkdir()
    (root / "people.csv.gz").write_bytes(gzip.compress(CSV))
    (snapshot,) = snapshots_of(["people.csv.gz"], root=root, workdir=workdir)
    assert snapshot.origin == "archive" and snapshot.file.startswith("unpacked/")
    assert snapshot.sha256 == hashlib.sha256(CSV).hexdigest()


def test_snapshots_are_found_by_their_relative_path_in_a_moved_job_folder(tmp_path):
    """A worker that mounts the shared jobs volume elsewhere still finds and checks them."""
    root, workdir = tmp_path / "data", tmp_path / "jobs" / "j1"
    root.mkdir()
    (root / "people.csv").write_bytes(CSV)
    snapshots = snapshots_of(["people.csv"], root=root, workdir=workdir)
    elsewhere = tmp_path / "mounted" / "j1"
    shutil.copytree(workdir, elsewhere)
    shutil.rmtree(workdir)
    (found,) = snapshot_files(snapshots, workdir=elsewhere)
    assert found == (elsewhere / snapshots[0].file).resolve() and found.read_bytes() == CSV


def test_a_changed_or_lost_snapshot_is_refused_naming_the_source(tmp_path):
    root, workdir = tmp_path / "data", tmp_path / "jobs" / "j1"
    root.mkdir()
    (root / "people.csv").write_bytes(CSV)
    snapshots = snapshots_of(["people.csv"], root=root, workdir=workdir)
    copy = workdir / snapshots[0].file
    copy.chmod(0o644)
    copy.write_bytes(CSV.replace(b"36", b"63"))  # same size, other bytes
    with pytest.raises(SnapshotChanged) as changed:
        snapshot_files(snapshots, workdir=workdir)
    message = str(changed.value)
    assert "people.csv" in message and "changed after it was inspected" in message
    assert snapshots[0].short_sha256 in message and "Nothing was written" in message
    copy.unlink()
    with pytest.raises(SnapshotChanged, match=r"people\.csv .* is missing"):
        snapshot_files(snapshots, workdir=workdir)
    escaping = snapshots[0].model_copy(update={"file": "../../data/people.csv"})
    with pytest.raises(SnapshotChanged, match="is missing"):
        snapshot_files([escaping], workdir=workdir)


def test_a_file_that_became_a_link_after_resolving_is_not_followed(tmp_path):
    root, workdir = tmp_path / "data", tmp_path / "jobs" / "j1"
    root.mkdir()
    (root / "people.csv").write_bytes(CSV)
    (tmp_path / "secret.csv").write_bytes(b"secret\n")
    policy = SourcePolicy(roots=(root,))
    sources = resolve_sources(["people.csv"], policy=policy, workdir=workdir).sources
    (root / "people.csv").unlink()
    (root / "people.csv").symlink_to(tmp_path / "secret.csv")
    with pytest.raises(SourceError, match="symbolic link"):
        take_snapshots(sources, workdir=workdir)
    assert not list(workdir.rglob("secret*"))


def test_staging_again_from_snapshots_gives_the_relations_of_the_inspection(
    doltlite_server, tmp_path
):
    """Two files of one name, nested JSON with child relations, types from the profiles."""
    root = tmp_path / "data"
    for folder in ("a", "b"):
        (root / folder).mkdir(parents=True)
        (root / folder / "people.csv").write_bytes(CSV)
    orders = [{"id": 1, "customer": {"name": "Ada"}, "lines": [{"sku": "x", "qty": 2}]}]
    (root / "orders.json").write_text(json.dumps(orders))
    text = "import a/people.csv, b/people.csv, orders.json into shop"
    request = pipeline.understand(text)
    database = doltlite_server.database(name="shop", create=True)
    inspected = tmp_path / "jobs" / "j1"
    inspection, staging = pipeline.inspect(
        request, database=database, policy=SourcePolicy(roots=(root,)), workdir=inspected
    )
    with closing(staging):
        first = {name: s.columns for name, s in staging.relations.items()}
    assert len(first) == 4 and {"people", "people_2", "orders"} <= set(first), first
    assert [s.source for s in inspection.snapshots] == [
        "a/people.csv",
        "b/people.csv",
        "orders.json",
    ]
    shutil.rmtree(root)  # the originals are not needed any more
    other_worker = tmp_path / "elsewhere" / "j1"
    shutil.copytree(inspected, other_worker, ignore=shutil.ignore_patterns("*.duckdb*"))
    again = pipeline.stage_sources(
        request,
        snapshots=inspection.snapshots,
        workdir=other_worker,
        profiles=inspection.profiles,
    )
    with closing(again):
        assert {name: s.columns for name, s in again.relations.items()} == first
        assert [p.relation for p in inspection.profiles] == list(again.relations)
