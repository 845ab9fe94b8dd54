"""Unpacking real .gz and .zip files, including hostile ones crafted here with the stdlib."""

from __future__ import annotations

import gzip
import re
import stat
import struct
import zipfile
from pathlib import Path

import pytest

from agents.errors import ArchiveRefused, FormatError, SourceNotFound
from agents.sources.archives import ArchiveLimits, gunzip, is_archive, unpack, unzip
from agents.sources.resolve import is_data_file

CSV = b"id,name\n1,Ada\n2,Grace\n"
LIMITS = ArchiveLimits(max_unpacked_bytes=64 * 1024**2, max_compression_ratio=200, max_members=50)
MIB = 1024 * 1024


def make_zip(path: Path, members: dict[str, bytes], **options: object) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, **options) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def patch_central_directory(path: Path, offset: int, fmt: str, value: int) -> None:
    """Overwrite one field of the first central-directory record (what zipfile trusts)."""
    data = bytearray(path.read_bytes())
    header = data.index(b"PK\x01\x02")
    struct.pack_into(fmt, data, header + offset, value)
    path.write_bytes(bytes(data))


def files_in(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if path.is_file()) if folder.exists() else []


def open_zip(path: Path, dest: Path, limits: ArchiveLimits = LIMITS):
    return unzip(path, dest_dir=dest, shown=path.name, limits=limits, is_data_file=is_data_file)


@pytest.fixture(scope="module")
def gzip_bomb(tmp_path_factory) -> Path:
    """50 MiB of zeros in about 50 KiB."""
    path = tmp_path_factory.mktemp("bomb") / "zeros.csv.gz"
    with gzip.open(path, "wb", compresslevel=9) as out:
        for _ in range(50):
            out.write(bytes(MIB))
    return path


# -- gzip ----------------------------------------------------------------------------------
def test_gzip_unpacks_to_its_name_without_gz(tmp_path):
    archive = tmp_path / "people.csv.gz"
    archive.write_bytes(gzip.compress(CSV))
    unpacked = gunzip(archive, dest_dir=tmp_path / "out", shown="people.csv.gz", limits=LIMITS)
    assert unpacked.member == "people.csv"
    assert unpacked.file == tmp_path / "out" / "people.csv"
    assert unpacked.file.read_bytes() == CSV


def test_gzip_bomb_refused_by_size_and_nothing_left(gzip_bomb, tmp_path):
    small = ArchiveLimits(max_unpacked_bytes=MIB, max_compression_ratio=10_000, max_members=1)
    with pytest.raises(ArchiveRefused, match=r"more than the 1\.0 MiB limit"):
        gunzip(gzip_bomb, dest_dir=tmp_path, shown="zeros.csv.gz", limits=small)
    assert files_in(tmp_path) == []


def test_gzip_bomb_refused_by_ratio_and_nothing_left(gzip_bomb, tmp_path):
    with pytest.raises(ArchiveRefused, match="compressed more than 200 to 1"):
        gunzip(gzip_bomb, dest_dir=tmp_path, shown="zeros.csv.gz", limits=LIMITS)
    assert files_in(tmp_path) == []


def test_small_files_are_not_refused_for_their_ratio(tmp_path):
    archive = tmp_path / "repeat.csv.gz"
    archive.write_bytes(gzip.compress(b"a,b\n" * 100_000))  # 400 KB, compressed ~1000 to 1
    unpacked = gunzip(archive, dest_dir=tmp_path / "out", shown="repeat.csv.gz", limits=LIMITS)
    assert unpacked.file.stat().st_size == 400_000


def test_truncated_gzip_is_a_format_error(tmp_path):
    archive = tmp_path / "cut.csv.gz"
    archive.write_bytes(gzip.compress(CSV * 100)[:40])
    with pytest.raises(FormatError, match=r"cut\.csv\.gz: not a complete gzip file"):
        gunzip(archive, dest_dir=tmp_path / "out", shown="cut.csv.gz", limits=LIMITS)
    assert files_in(tmp_path / "out") == []


def test_nested_archive_in_gzip_is_refused(tmp_path):
    archive = tmp_path / "data.zip.gz"
    archive.write_bytes(gzip.compress(b"PK"))
    with pytest.raises(ArchiveRefused, match="nested archives are not unpacked"):
        gunzip(archive, dest_dir=tmp_path / "out", shown="data.zip.gz", limits=LIMITS)


# -- zip -----------------------------------------------------------------------------------
def test_zip_extracts_supported_members_and_skips_the_rest(tmp_path):
    archive = make_zip(
        tmp_path / "bundle.zip",
        {
            "people.csv": CSV,
            "2024/jan.tsv": b"a\tb\n1\t2\n",
            "2023/jan.tsv": b"a\tb\n3\t4\n",
            "docs/": b"",
            "README.md": b"# hi",
            ".hidden.csv": CSV,
            "__MACOSX/._people.csv": b"junk",
            "inner.zip": b"PK",
            "more.csv.gz": gzip.compress(CSV),
        },
    )
    unpacked = open_zip(archive, tmp_path / "out")
    assert [item.member for item in unpacked] == ["people.csv", "2024/jan.tsv", "2023/jan.tsv"]
    assert unpacked[1].file == tmp_path / "out" / "2024" / "jan.tsv"
    assert unpacked[0].file.read_bytes() == CSV
    assert files_in(tmp_path / "out") == sorted(item.file for item in unpacked)


def test_zip_without_data_files_says_what_it_holds(tmp_path):
    archive = make_zip(tmp_path / "x.zip", {"notes.md": b"x", "inner.zip": b"PK"})
    with pytest.raises(SourceNotFound, match=r"nested archives are not unpacked") as refused:
        open_zip(archive, tmp_path / "out")
    assert "notes.md" in str(refused.value)


@pytest.mark.parametrize(
    "name",
    ["../evil.csv", "a/../../evil.csv", "/etc/evil.csv", "C:/evil.csv", "a\\..\\..\\evil.csv"],
)
def test_zip_slip_and_absolute_names_are_refused(tmp_path, name):
    archive = make_zip(tmp_path / "slip.zip", {"ok.csv": CSV, name: CSV})
    with pytest.raises(ArchiveRefused, match="outside the folder"):
        open_zip(archive, tmp_path / "out")
    assert files_in(tmp_path / "out") == []
    assert not (tmp_path / "evil.csv").exists()


def test_symlink_member_is_refused(tmp_path):
    archive = tmp_path / "link.zip"
    with zipfile.ZipFile(archive, "w") as out:
        link = zipfile.ZipInfo("passwd.csv")
        link.create_system = 3
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        out.writestr(link, "/etc/passwd")
    with pytest.raises(ArchiveRefused, match="symbolic link"):
        open_zip(archive, tmp_path / "out")


def test_encrypted_member_is_refused(tmp_path):
    # zipfile cannot write encrypted members, so set the "encrypted" flag bit by hand.
    archive = make_zip(tmp_path / "secret.zip", {"people.csv": CSV})
    patch_central_directory(archive, 8, "<H", 0x1)
    assert zipfile.ZipFile(archive).infolist()[0].flag_bits & 0x1
    with pytest.raises(ArchiveRefused, match="encrypted"):
        open_zip(archive, tmp_path / "out")


def test_too_many_members(tmp_path):
    archive = make_zip(tmp_path / "many.zip", {f"{i}.csv": CSV for i in range(11)})
    few = ArchiveLimits(max_unpacked_bytes=MIB, max_compression_ratio=200, max_members=10)
    with pytest.raises(ArchiveRefused, match="11 entries, more than the limit of 10"):
        open_zip(archive, tmp_path / "out", few)


def test_declared_total_over_the_cap(tmp_path):
    archive = make_zip(tmp_path / "big.zip", {"a.csv": b"1" * 600_000, "b.csv": b"2" * 600_000})
    cap = ArchiveLimits(max_unpacked_bytes=MIB, max_compression_ratio=10_000, max_members=10)
    with pytest.raises(ArchiveRefused, match="declares more than"):
        open_zip(archive, tmp_path / "out", cap)
    assert files_in(tmp_path / "out") == []


def test_declared_ratio_over_the_cap(tmp_path):
    archive = make_zip(tmp_path / "zeros.zip", {"zeros.csv": bytes(5 * MIB)})
    with pytest.raises(ArchiveRefused, match="compressed more than 200 to 1"):
        open_zip(archive, tmp_path / "out")
    assert files_in(tmp_path / "out") == []


def test_member_larger_than_it_declares_is_refused_and_removed(tmp_path):
    archive = make_zip(tmp_path / "liar.zip", {"a.csv": CSV, "b.csv": CSV * 1000})
    data = bytearray(archive.read_bytes())
    second = data.index(b"PK\x01\x02", data.index(b"PK\x01\x02") + 4)
    struct.pack_into("<I", data, second + 24, 10)  # b.csv claims to unpack to 10 bytes
    archive.write_bytes(bytes(data))
    with pytest.raises(ArchiveRefused, match=r"b\.csv is damaged or its declared size is wrong"):
        open_zip(archive, tmp_path / "out")
    assert files_in(tmp_path / "out") == []  # a.csv, already extracted, is removed too


def test_duplicate_member_names_are_refused(tmp_path):
    with pytest.warns(UserWarning, match="Duplicate name"):
        archive = make_zip(tmp_path / "dup.zip", {"a.csv": CSV})
        with zipfile.ZipFile(archive, "a") as out:
            out.writestr("a.csv", b"other")
    with pytest.raises(ArchiveRefused, match="twice"):
        open_zip(archive, tmp_path / "out")


def test_not_a_zip_is_a_format_error(tmp_path):
    archive = tmp_path / "fake.zip"
    archive.write_bytes(CSV)
    with pytest.raises(FormatError, match=re.escape("fake.zip: not a readable zip archive")):
        open_zip(archive, tmp_path / "out")


def test_unpack_dispatches_on_the_extension(tmp_path):
    (tmp_path / "a.csv.gz").write_bytes(gzip.compress(CSV))
    make_zip(tmp_path / "b.zip", {"b.csv": CSV})
    for name, member in (("a.csv.gz", "a.csv"), ("b.zip", "b.csv")):
        assert is_archive(name)
        unpacked = unpack(
            tmp_path / name,
            dest_dir=tmp_path / name.replace(".", "_"),
            shown=name,
            limits=LIMITS,
            is_data_file=is_data_file,
        )
        assert [(item.member, item.file.read_bytes()) for item in unpacked] == [(member, CSV)]
    assert not is_archive("a.csv")
