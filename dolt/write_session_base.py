"""What both backends' write sessions share: nested transactions and bulk writing.

A backend says how to begin a transaction and how to run one statement, one batch and one
row; this class owns the rest: savepoints for nested transactions, one transaction per
bulk write, `executemany` per batch, and — when rejects are collected — a savepoint per
batch that is redone row by row only if the database refuses it.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import islice
from typing import Any

from dolt.errors import ConstraintViolation, DoltError, SqlError
from dolt.interface import DEFAULT_BATCH_ROWS, ProgressCallback, WriteSession
from dolt.models import InsertResult, RejectedRow, WriteMode

Row = Sequence[Any]


class WriteSessionBase(WriteSession):
    _depth: int = 0  # open transaction levels: 0 none, 1 a transaction, 2+ savepoints

    @abstractmethod
    def _begin(self) -> None:
        """Start a write transaction."""

    def _rollback(self) -> None:
        self._execute_plain("ROLLBACK")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """A transaction; committed on success, rolled back on error; nesting uses savepoints."""
        if self._depth == 0:
            self._begin()
        else:
            self._execute_plain(f"SAVEPOINT level_{self._depth}")
        self._depth += 1
        try:
            yield
        except BaseException:
            self._depth -= 1
            self._undo_level()
            raise
        self._depth -= 1
        if self._depth:
            self._execute_plain(f"RELEASE SAVEPOINT level_{self._depth}")
            return
        try:
            self._execute_plain("COMMIT")
        except DoltError:
            self._undo_level()
            raise

    def _undo_level(self) -> None:
        """Undo the innermost level; a failing rollback must not hide the original error."""
        try:
            if self._depth == 0:
                self._rollback()
            else:
                self._execute_plain(f"ROLLBACK TO SAVEPOINT level_{self._depth}")
                self._execute_plain(f"RELEASE SAVEPOINT level_{self._depth}")
        except DoltError:
            pass

    @abstractmethod
    def _insert_statement(self, *, table: str, columns: Sequence[str], mode: WriteMode) -> str:
        """The parameterised INSERT (with the backend's upsert clause in upsert mode)."""

    @abstractmethod
    def _execute_batch(self, sql: str, rows: list[Row]) -> None:
        """Run `sql` for every row; a refused row raises `ConstraintViolation`."""

    @abstractmethod
    def _execute_row(self, sql: str, row: Row) -> None:
        """Run `sql` for one row; a refusal undoes only this row and raises."""

    @abstractmethod
    def _execute_plain(self, sql: str) -> None:
        """Run a statement without parameters (savepoints)."""

    def _is_row_error(self, error: DoltError) -> bool:
        """Whether a refused batch is worth redoing row by row to find the bad rows."""
        return isinstance(error, ConstraintViolation)

    def _row_reason(self, error: DoltError) -> str:
        return str(error)

    def _batches(self, rows: Iterable[Row], *, batch_rows: int) -> Iterator[list[Row]]:
        iterator = iter(rows)
        while batch := list(islice(iterator, batch_rows)):
            yield batch

    def insert_rows(
        self,
        *,
        table: str,
        columns: Sequence[str],
        rows: Iterable[Row],
        mode: WriteMode = WriteMode.APPEND,
        batch_rows: int = DEFAULT_BATCH_ROWS,
        collect_rejects: bool = False,
        on_progress: ProgressCallback | None = None,
    ) -> InsertResult:
        mode = WriteMode(mode)
        sql = self._insert_statement(table=table, columns=columns, mode=mode)
        width = len(columns)
        done = 0
        rejected: list[RejectedRow] = []
        with self.transaction():
            if mode == WriteMode.REPLACE:
                self.delete_all_rows(table=table)
            for batch in self._batches(rows, batch_rows=max(1, batch_rows)):
                if collect_rejects:
                    if set(map(len, batch)) == {width}:
                        refused = self._write_collecting(sql, batch, range(done, done + len(batch)))
                    else:
                        good, misshapen = _split_by_width(batch, width=width, offset=done)
                        indexes = [index for index, _ in good]
                        rows_ok = [row for _, row in good]
                        refused = [*misshapen, *self._write_collecting(sql, rows_ok, indexes)]
                    rejected.extend(sorted(refused, key=lambda r: r.index))
                else:
                    if set(map(len, batch)) != {width}:
                        _, misshapen = _split_by_width(batch, width=width, offset=done)
                        raise ConstraintViolation(
                            f"Row {misshapen[0].index + 1}: {misshapen[0].reason}"
                        )
                    self._write(sql, batch, table=table, offset=done)
                done += len(batch)
                if on_progress is not None:
                    on_progress(done)
        return InsertResult(inserted=done - len(rejected), rejected=tuple(rejected))

    def _write(self, sql: str, batch: list[Row], *, table: str, offset: int) -> None:
        try:
            self._execute_batch(sql, batch)
        except ConstraintViolation as exc:
            raise ConstraintViolation(
                f"A row in rows {offset + 1}–{offset + len(batch)} was refused by {table!r}: {exc}"
            ) from exc

    def _write_collecting(
        self, sql: str, rows: list[Row], indexes: Sequence[int]
    ) -> list[RejectedRow]:
        """Write a batch in one go; only if the database refuses it, redo it row by row."""
        if not rows:
            return []
        self._execute_plain("SAVEPOINT batch")
        try:
            self._execute_batch(sql, rows)
        except DoltError as exc:
            self._execute_plain("ROLLBACK TO SAVEPOINT batch")
            if not self._is_row_error(exc):
                self._execute_plain("RELEASE SAVEPOINT batch")
                raise
        else:
            self._execute_plain("RELEASE SAVEPOINT batch")
            return []
        rejected = []
        for index, row in zip(indexes, rows, strict=True):
            try:
                self._execute_row(sql, row)
            except DoltError as exc:
                if not self._is_row_error(exc):
                    raise
                rejected.append(
                    RejectedRow(index=index, row=tuple(row), reason=self._row_reason(exc))
                )
        self._execute_plain("RELEASE SAVEPOINT batch")
        return rejected


def _split_by_width(
    batch: list[Row], *, width: int, offset: int
) -> tuple[list[tuple[int, Row]], list[RejectedRow]]:
    """Number the rows of a batch and set aside those with the wrong number of values."""
    good: list[tuple[int, Row]] = []
    bad: list[RejectedRow] = []
    for index, row in enumerate(batch, start=offset):
        if len(row) == width:
            good.append((index, row))
        else:
            reason = f"expected {width} values, got {len(row)}"
            bad.append(RejectedRow(index=index, row=tuple(row), reason=reason))
    return good, bad


def upsert_updates(*, table: str, columns: Sequence[str], key: Sequence[str]) -> list[str]:
    """The non-key columns an upsert updates; refuses tables without a usable key."""
    if not key:
        raise SqlError(f"Upsert into {table!r} needs a primary key; the table has none.")
    missing = [k for k in key if k not in columns]
    if missing:
        raise SqlError(f"Upsert into {table!r} needs the key column(s) {missing} in the rows.")
    return [c for c in columns if c not in key]
