"""Resolving what the person named, on real files, links and pipes, and a real local server."""

from __future__ import annotations

import gzip
import os
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from agents.errors import PathOutsideRoots, SourceError, SourceNotFound, UnsafeUrl
from agents.sources.resolve import ResolvedSource, SourcePolicy, is_data_file, resolve_sources
from tests.agents.http_fixtures import LocalServer, local_server, send_body

CSV = b"id,name\n1,Ada\n"


@pytest.fixture
def root(tmp_path) -> Path:
    """root/ people.csv, data/{a.csv, b.json, notes.md, sub/c.csv, .hidden.csv, .git/d.csv}."""
    base = tmp_path / "root"
    files = [
        "people.csv",
        "data/a.csv",
        "data/b.json",
        "data/notes.md",
        "data/sub/c.csv",
        "data/.hidden.csv",
        "data/.git/d.csv",
    ]
    for name in files:
        (base / name).parent.mkdir(parents=True, exist_ok=True)
        (base / name).write_bytes(CSV)
    return base


@pytest.fixture
def outside(tmp_path) -> Path:
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "secret.csv").write_bytes(b"secret\n")
    return folder


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with local_server() as running:
        yield running


def resolve(specs, root: Path, **options) -> list[ResolvedSource]:
    roots = options.pop("roots", (root,))
    policy = SourcePolicy(roots=tuple(roots), allow_private_urls=options.pop("private", False))
    workdir = options.pop("workdir", root.parent / "work")
    return resolve_sources(specs, policy=policy, workdir=workdir, **options).sources


def shown(results: list[ResolvedSource]) -> list[str]:
    return [item.source for item in results]


# -- files, directories, globs -------------------------------------------------------------
def test_one_file(root):
    assert resolve(["people.csv"], root) == [
        ResolvedSource(source="people.csv", file=root / "people.csv", origin="local")
    ]


def test_absolute_path_inside_the_root_is_shown_relative(root):
    assert shown(resolve([str(root / "data" / "a.csv")], root)) == ["data/a.csv"]


def test_directory_without_and_with_recursion(root):
    assert shown(resolve(["data"], root)) == ["data/a.csv", "data/b.json"]
    assert shown(resolve(["data/"], root, recursive=True)) == [
        "data/a.csv",
        "data/b.json",
        "data/sub/c.csv",
    ]


def test_glob_in_one_folder(root):
    assert shown(resolve(["data/*.csv"], root)) == ["data/a.csv"]


def test_double_star_glob_searches_subfolders_but_skips_hidden_ones(root):
    assert shown(resolve(["**/*.csv"], root)) == ["data/a.csv", "data/sub/c.csv", "people.csv"]
    assert shown(resolve(["data/**/*.csv"], root)) == ["data/a.csv", "data/sub/c.csv"]


def test_hidden_files_named_explicitly_are_read(root):
    assert shown(resolve(["data/.hidden.csv"], root)) == ["data/.hidden.csv"]


def test_duplicates_are_returned_once_in_a_stable_order(root):
    specs = ["data/a.csv", "data", "data/*.csv", "./data/../data/a.csv", "data/a.csv"]
    first = resolve(specs, root)
    assert shown(first) == ["data/a.csv", "data/b.json"]
    assert resolve(list(reversed(specs)), root) == first


# -- staying inside the roots ----------------------------------------------------------------
@pytest.mark.parametrize("spec", ["../outside/secret.csv", "data/../../outside/secret.csv"])
def test_dot_dot_escape_is_refused(root, outside, spec):
    with pytest.raises(PathOutsideRoots) as refused:
        resolve([spec], root)
    message = str(refused.value)
    assert spec in message
    assert str(root) in message
    assert "IMPORTBOT_DATA_ROOTS" in message


def test_escape_to_a_missing_file_does_not_reveal_whether_it_exists(root):
    with pytest.raises(PathOutsideRoots):
        resolve(["../nothing-here.csv"], root)


def test_absolute_path_elsewhere_is_refused(root, outside):
    with pytest.raises(PathOutsideRoots):
        resolve([str(outside / "secret.csv")], root)


def test_file_link_leading_outside_is_refused(root, outside):
    (root / "data" / "leak.csv").symlink_to(outside / "secret.csv")
    for spec in (["data/leak.csv"], ["data"], ["data/*.csv"]):
        with pytest.raises(PathOutsideRoots, match="symbolic link"):
            resolve(spec, root)
    assert shown(resolve(["data/a*.csv"], root)) == ["data/a.csv"]  # the link is not named


def test_folder_link_leading_outside_is_refused(root, outside):
    (root / "data" / "ext").symlink_to(outside, target_is_directory=True)
    with pytest.raises(PathOutsideRoots, match="symbolic link"):
        resolve(["data/ext/secret.csv"], root)
    with pytest.raises(PathOutsideRoots, match="symbolic link"):
        resolve(["data"], root, recursive=True)
    with pytest.raises(PathOutsideRoots):
        resolve(["**/*.csv"], root)
    assert shown(resolve(["data"], root)) == ["data/a.csv", "data/b.json"]  # not searched


def test_folder_link_leading_outside_is_not_searched(root, outside):
    (outside / "secret.csv").unlink()
    (outside / "notes.md").write_text("nothing to import")
    (root / "data" / "ext").symlink_to(outside, target_is_directory=True)
    with pytest.raises(PathOutsideRoots, match="data/ext leads outside"):
        resolve(["data"], root, recursive=True)


def test_links_that_stay_inside_are_followed(root):
    (root / "latest.csv").symlink_to(root / "data" / "a.csv")
    (root / "alias").symlink_to(root / "data" / "sub", target_is_directory=True)
    (root / "data" / "sub" / "loop").symlink_to(root / "data", target_is_directory=True)
    assert shown(resolve(["latest.csv"], root)) == ["data/a.csv"]
    assert shown(resolve(["alias", "data/a.csv"], root)) == ["data/a.csv", "data/sub/c.csv"]
    every = shown(resolve(["."], root, recursive=True))
    assert every == ["data/a.csv", "data/b.json", "data/sub/c.csv", "people.csv"]


def test_named_pipe_is_refused_and_skipped_in_folders(root):
    os.mkfifo(root / "data" / "pipe.csv")
    with pytest.raises(SourceError, match="not a regular file"):
        resolve(["data/pipe.csv"], root)
    assert shown(resolve(["data"], root)) == ["data/a.csv", "data/b.json"]


def test_multiple_roots(root, tmp_path):
    second = tmp_path / "second"
    second.mkdir()
    (second / "z.csv").write_bytes(CSV)
    roots = (root, second)
    results = resolve(["people.csv", str(second / "z.csv")], root, roots=roots)
    assert shown(results) == [str(second / "z.csv"), "people.csv"]  # sorted by source
    with pytest.raises(SourceNotFound):
        resolve(["z.csv"], root, roots=roots)  # relative paths are read from the first root
    with pytest.raises(PathOutsideRoots) as refused:
        resolve([str(tmp_path / "elsewhere.csv")], root, roots=roots)
    assert str(root) in str(refused.value)
    assert str(second) in str(refused.value)


# -- nothing to import -------------------------------------------------------------------------
def test_missing_file(root):
    with pytest.raises(SourceNotFound, match=r"missing\.csv: no such file or folder"):
        resolve(["missing.csv"], root)


@pytest.mark.parametrize("spec", ["data/*.xml", "nowhere/*.csv", "**/*.parquet"])
def test_glob_that_matches_nothing(root, spec):
    with pytest.raises(SourceNotFound, match="No files match"):
        resolve([spec], root)


def test_folder_with_only_unsupported_files_lists_the_extensions(root):
    docs = root / "docs"
    docs.mkdir()
    (docs / "a.md").write_text("x")
    (docs / "b.xml").write_text("x")
    with pytest.raises(SourceNotFound) as refused:
        resolve(["docs"], root)
    message = str(refused.value)
    assert "found: .md, .xml" in message
    assert ".csv" in message
    assert ".parquet" in message


def test_folder_with_only_subfolders_mentions_recursion(root):
    (root / "nested" / "deeper").mkdir(parents=True)
    (root / "nested" / "deeper" / "x.csv").write_bytes(CSV)
    with pytest.raises(SourceNotFound, match="recursive import"):
        resolve(["nested"], root)
    assert shown(resolve(["nested"], root, recursive=True)) == ["nested/deeper/x.csv"]


def test_empty_folder(root):
    (root / "empty").mkdir()
    with pytest.raises(SourceNotFound, match="empty has no files"):
        resolve(["empty"], root)


def test_unsupported_file_named_explicitly(root):
    with pytest.raises(SourceError, match="not a supported data file"):
        resolve(["data/notes.md"], root)


@pytest.mark.parametrize(
    ("name", "supported"),
    [("a.csv", True), ("A.CSV", True), ("a.jsonl.gz", True), ("a.xlsx", True), ("a.md", False)],
)
def test_is_data_file(name, supported):
    assert is_data_file(name) is supported


# -- archives and attachments ----------------------------------------------------------------
def test_local_gz_and_zip_are_unpacked_into_the_workdir(root, tmp_path):
    (root / "data" / "p.csv.gz").write_bytes(gzip.compress(CSV))
    with zipfile.ZipFile(root / "bundle.zip", "w") as archive:
        archive.writestr("x.csv", CSV)
        archive.writestr("y/z.json", b"[]")
    results = resolve(["data/p.csv.gz", "bundle.zip"], root)
    assert [(item.source, item.origin) for item in results] == [
        ("bundle.zip:x.csv", "archive"),
        ("bundle.zip:y/z.json", "archive"),
        ("data/p.csv.gz", "archive"),
    ]
    assert all(item.file.is_relative_to(tmp_path / "work") for item in results)
    assert results[2].file.name == "p.csv"
    assert results[2].file.read_bytes() == CSV


def test_attachments_under_the_workdir(root, tmp_path):
    inbox = tmp_path / "work" / "attachments"
    inbox.mkdir(parents=True)
    (inbox / "upload.csv").write_bytes(CSV)
    with zipfile.ZipFile(inbox / "more.zip", "w") as archive:
        archive.writestr("m.csv", CSV)
    results = resolve([], root, attachments=[inbox / "upload.csv", inbox / "more.zip"])
    assert [(item.source, item.origin) for item in results] == [
        ("more.zip:m.csv", "archive"),
        ("upload.csv", "attachment"),
    ]


def test_attachment_outside_the_workdir_is_refused(root):
    with pytest.raises(PathOutsideRoots, match="work directory"):
        resolve([], root, attachments=[root / "people.csv"])


# -- URLs ------------------------------------------------------------------------------------
def test_url_is_downloaded_into_the_workdir(root, server, tmp_path):
    server.routes["/p.csv"] = lambda handler: send_body(handler, CSV)
    url = f"http://u:pw@127.0.0.1:{server.port}/p.csv?token=abc"
    [result] = resolve([url], root, private=True)
    assert result.origin == "url"
    assert result.source == f"http://***@127.0.0.1:{server.port}/p.csv?token=***"
    assert result.file.is_relative_to(tmp_path / "work")
    assert result.file.read_bytes() == CSV


def test_zip_behind_a_url_is_unpacked(root, server, tmp_path):
    bundle = tmp_path / "bundle.zip"
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.writestr("x.csv", CSV)
    server.routes["/bundle.zip"] = lambda handler: send_body(handler, bundle.read_bytes())
    results = resolve([server.url("/bundle.zip")], root, private=True)
    assert shown(results) == [server.url("/bundle.zip") + ":x.csv"]


def test_private_urls_are_refused_by_default(root, server):
    with pytest.raises(UnsafeUrl, match="IMPORTBOT_ALLOW_PRIVATE_URLS"):
        resolve([server.url("/p.csv")], root)
    assert server.requests == []


@pytest.mark.parametrize("spec", ["file:///etc/passwd", "ftp://10.0.0.1/x.csv"])
def test_other_schemes_are_refused(root, spec):
    with pytest.raises(UnsafeUrl, match="only http"):
        resolve([spec], root)


def test_unsupported_download_is_refused_and_removed(root, server, tmp_path):
    server.routes["/page.html"] = lambda handler: send_body(handler, b"<html></html>")
    with pytest.raises(SourceError, match="not a supported data file"):
        resolve([server.url("/page.html")], root, private=True)
    assert not [path for path in (tmp_path / "work").rglob("*") if path.is_file()]


# -- the policy --------------------------------------------------------------------------------
def test_policy_from_the_environment(tmp_path):
    (tmp_path / "a").mkdir()
    policy = SourcePolicy.from_env(
        {"IMPORTBOT_DATA_ROOTS": f"a:{tmp_path}/b", "IMPORTBOT_ALLOW_PRIVATE_URLS": "1"},
        cwd=tmp_path,
    )
    assert policy.roots == (tmp_path.resolve() / "a", tmp_path.resolve() / "b")
    assert policy.allow_private_urls
    default = SourcePolicy.from_env({}, cwd=tmp_path)
    assert default.roots == (tmp_path.resolve(),)
    assert not default.allow_private_urls


def test_no_roots_at_all(tmp_path):
    with pytest.raises(SourceError, match="No data roots"):
        resolve_sources(["x.csv"], policy=SourcePolicy(roots=()), workdir=tmp_path)


# -- folder imports that do what they say (issue 12, point 7) ------------------------------
def test_a_recursive_glob_searches_subfolders(root):
    assert shown(resolve(["data/*.csv"], root)) == ["data/a.csv"]
    assert shown(resolve(["data/*.csv"], root, recursive=True)) == ["data/a.csv", "data/sub/c.csv"]


def test_except_leaves_out_files_by_name_or_path(root):
    every = ["data/a.csv", "data/b.json", "data/sub/c.csv"]
    assert shown(resolve(["data"], root, recursive=True)) == every
    assert shown(resolve(["data"], root, recursive=True, exclude=["*.json"])) == [
        "data/a.csv",
        "data/sub/c.csv",
    ]
    assert shown(resolve(["data"], root, recursive=True, exclude=["data/sub/*"])) == [
        "data/a.csv",
        "data/b.json",
    ]
    with pytest.raises(SourceNotFound, match=r"Every file of data/\*\.csv matches \*\.csv"):
        resolve(["data/*.csv"], root, exclude=["*.csv"])


def test_a_zip_in_a_folder_is_unpacked_with_the_folders_other_files(root):
    with zipfile.ZipFile(root / "data" / "more.zip", "w") as archive:
        archive.writestr("inner.csv", CSV)
        archive.writestr("readme.md", b"# not data\n")
    found = resolve(["data"], root)
    assert shown(found) == ["data/a.csv", "data/b.json", "data/more.zip:inner.csv"]
    assert next(item for item in found if item.origin == "archive").file.read_bytes() == CSV
