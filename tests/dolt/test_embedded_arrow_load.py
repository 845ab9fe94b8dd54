"""The native loader: DuckDB's Arrow stream into a doltlite branch, no Python value per cell.

Every value must come out exactly as the row-by-row Python path stores it.
"""

import duckdb
import pytest

from dolt.embedded.arrow import native_load_available
from dolt.errors import ConstraintViolation, DoltError
from dolt.models import WriteMode

pytestmark = pytest.mark.skipif(
    not native_load_available(), reason="the native loader was not compiled"
)

TYPES = (
    "CREATE TABLE kinds (id BIGINT PRIMARY KEY, tiny TINYINT, small SMALLINT, i INT, "
    "f DOUBLE, flag BOOLEAN, label VARCHAR(40), raw VARBINARY(16))"
)
COLUMNS = ["id", "tiny", "small", "i", "f", "flag", "label", "raw"]
# (record, then the columns): extremes, NULL against empty, unicode, a NUL, bytes
ROWS = """
SELECT * FROM (VALUES
  (11, 9223372036854775807, (-128)::TINYINT, (-32768)::SMALLINT, (-2147483648)::INTEGER,
   0.1::DOUBLE, true, 'plain', '\\x00\\xFF'::BLOB),
  (12, (-9223372036854775808)::BIGINT, 127::TINYINT, 32767::SMALLINT, 2147483647::INTEGER,
   1e308::DOUBLE, false, '', ''::BLOB),
  (13, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  (14, 42, 1::TINYINT, 2::SMALLINT, 3::INTEGER, (-2.5e-300)::DOUBLE, true,
   'Ünïcode ✓ 😀', 'abc'::BLOB),
  (15, 43, 0::TINYINT, 0::SMALLINT, 0::INTEGER, 123456789.123456789::DOUBLE, false,
   'with' || chr(0) || 'nul', NULL)
) AS t(record, id, tiny, small, i, f, flag, label, raw)
"""


@pytest.fixture
def kinds(families):
    families.create_branch(name="b")
    with families.write_session(branch="b") as session:
        session.execute_ddl(sql=TYPES)
    return families


def stored(session, table="kinds"):
    return session._connection.execute(
        f"SELECT *, typeof(f), typeof(label), typeof(raw) FROM {table} ORDER BY id"
    ).fetchall()


def test_values_come_out_exactly_as_the_python_path_stores_them(kinds):
    con = duckdb.connect()
    with kinds.write_session(branch="b") as session:
        written = session.load_arrow(
            table="kinds", columns=COLUMNS, source=con.sql(ROWS), tagged=True
        )
        native = stored(session)
        session._connection.execute("DELETE FROM kinds")
        with session.transaction():
            session.write_rows(
                table="kinds", columns=COLUMNS, rows=con.sql(ROWS).fetchall(), tagged=True
            )
        python = stored(session)
    assert written == 5
    assert native == python
    assert native[0][:8] == (-9223372036854775808, 127, 32767, 2147483647, 1e308, 0, "", b"")
    assert native[3][6] == "with\x00nul"


def test_many_rows_go_in_groups_and_transactions_and_report_progress(kinds):
    con = duckdb.connect()
    source = con.sql(
        "SELECT i + 100 AS record, i AS id, (i % 100)::TINYINT AS tiny, 'row ' || i AS label "
        "FROM range(1, 2235) AS t(i)"
    )
    progress = []
    with kinds.write_session(branch="b") as session:
        statements = []
        session._connection.set_trace_callback(statements.append)
        written = session.load_arrow(
            table="kinds",
            columns=["id", "tiny", "label"],
            source=source,
            tagged=True,
            rows_per_transaction=1000,
            progress_every=500,
            on_progress=progress.append,
        )
        assert statements == []  # the session's own connection wrote nothing
        assert session.row_count(table="kinds") == 2234
        last = session._connection.execute(
            "SELECT id, tiny, label FROM kinds WHERE id = 2234"
        ).fetchone()
    assert written == 2234 and last == (2234, 34, "row 2234")
    assert progress == [500, 1000, 1500, 2000, 2234]


def test_a_refused_row_stops_the_load_and_undoes_its_transaction(kinds):
    con = duckdb.connect()
    source = con.sql(
        "SELECT i AS record, CASE WHEN i = 1700 THEN 5 ELSE i END AS id FROM range(1, 3001) t(i)"
    )
    with kinds.write_session(branch="b") as session:
        with pytest.raises(ConstraintViolation, match="UNIQUE"):
            session.load_arrow(
                table="kinds", columns=["id"], source=source, tagged=True, rows_per_transaction=1000
            )
        # the first transaction (rows 1–1000) was committed; the one holding row 1700 was not
        assert session.row_count(table="kinds") == 1000


def test_upsert_updates_keys_that_exist(kinds):
    con = duckdb.connect()
    with kinds.write_session(branch="b") as session:
        session.insert_rows(table="kinds", columns=["id", "label"], rows=[(1, "old"), (2, "two")])
        session.load_arrow(
            table="kinds",
            columns=["id", "label"],
            source=con.sql("SELECT * FROM (VALUES (1, 'new'), (3, 'three')) t(id, label)"),
            mode=WriteMode.UPSERT,
        )
        rows = session._connection.execute("SELECT id, label FROM kinds ORDER BY id").fetchall()
    assert rows == [(1, "new"), (2, "two"), (3, "three")]


def test_a_column_type_it_does_not_bind_writes_nothing_and_returns_none(kinds):
    con = duckdb.connect()
    source = con.sql("SELECT 1 AS id, DATE '2026-11-21' AS label")
    with kinds.write_session(branch="b") as session:
        assert session.load_arrow(table="kinds", columns=["id", "label"], source=source) is None
        assert session.row_count(table="kinds") == 0


def test_a_dictionary_encoded_column_is_not_bound_as_its_indexes(kinds):
    con = duckdb.connect()
    con.execute("CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')")
    source = con.sql("SELECT 1 AS id, 'happy'::mood AS label")
    with kinds.write_session(branch="b") as session:
        assert session.load_arrow(table="kinds", columns=["id", "label"], source=source) is None
        assert session.row_count(table="kinds") == 0


def test_it_can_be_turned_off(kinds, monkeypatch):
    monkeypatch.setenv("IMPORTBOT_NATIVE_LOAD", "0")
    con = duckdb.connect()
    with kinds.write_session(branch="b") as session:
        assert session.load_arrow(table="kinds", columns=["id"], source=con.sql("SELECT 1")) is None
        assert session.row_count(table="kinds") == 0


def test_it_refuses_to_run_inside_an_open_transaction(kinds):
    con = duckdb.connect()
    with (
        kinds.write_session(branch="b") as session,
        session.transaction(),
        pytest.raises(DoltError, match="none may be open"),
    ):
        session.load_arrow(table="kinds", columns=["id"], source=con.sql("SELECT 1"))


def test_a_loader_that_cannot_be_loaded_leaves_the_python_path(kinds, monkeypatch, tmp_path):
    import importlib.util
    from types import SimpleNamespace

    from dolt.embedded import arrow as embedded_arrow

    broken = tmp_path / "_arrow_load.so"
    broken.write_text("not a shared library")
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name: SimpleNamespace(origin=str(broken))
    )
    embedded_arrow._loader.cache_clear()
    try:
        assert not native_load_available()
        with kinds.write_session(branch="b") as session:
            source = duckdb.connect().sql("SELECT 1")
            assert session.load_arrow(table="kinds", columns=["id"], source=source) is None
    finally:
        monkeypatch.undo()
        embedded_arrow._loader.cache_clear()
    assert native_load_available()


def test_ctrl_c_stops_the_load_between_statements_within_a_second(kinds):
    """The loader runs in C without the GIL: SIGINT is noticed at its next progress report,
    the open transaction is undone and KeyboardInterrupt reaches the caller."""
    import os
    import signal
    import time

    # Python's own handler, as in a terminal (a shell's background job starts with SIGINT ignored)
    started_with = signal.signal(signal.SIGINT, signal.default_int_handler)
    con = duckdb.connect()
    source = con.sql("SELECT i AS record, i AS id FROM range(1, 3_000_001) t(i)")
    pressed: list[float] = []

    def press_ctrl_c(done):
        if not pressed:
            pressed.append(time.monotonic())
            os.kill(os.getpid(), signal.SIGINT)

    with kinds.write_session(branch="b") as session:
        with pytest.raises(KeyboardInterrupt):
            session.load_arrow(
                table="kinds",
                columns=["id"],
                source=source,
                tagged=True,
                rows_per_transaction=1_000_000,
                progress_every=20_000,
                on_progress=press_ctrl_c,
            )
        stopped = time.monotonic() - pressed[0]
        assert session.row_count(table="kinds") == 0  # its transaction was rolled back
    try:
        assert stopped < 1.0
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # put back
    finally:
        signal.signal(signal.SIGINT, started_with)


def test_an_error_raised_by_the_progress_callback_stops_the_load_and_reaches_the_caller(kinds):
    """A cancelled job's progress callback raises: the loader stops at that report (ctypes
    would otherwise print and swallow the error) and the caller gets the error itself."""

    class Cancelled(KeyboardInterrupt):
        pass

    con = duckdb.connect()
    source = con.sql("SELECT i AS record, i AS id FROM range(1, 3_000_001) t(i)")
    reports: list[int] = []

    def cancel_at_the_second_report(done):
        reports.append(done)
        if len(reports) == 2:
            raise Cancelled

    with kinds.write_session(branch="b") as session:
        with pytest.raises(Cancelled):
            session.load_arrow(
                table="kinds",
                columns=["id"],
                source=source,
                tagged=True,
                rows_per_transaction=1_000_000,
                progress_every=20_000,
                on_progress=cancel_at_the_second_report,
            )
        assert reports == [20_000, 40_000]  # no report after it: the load stopped there
        assert session.row_count(table="kinds") == 0  # its transaction was rolled back
