"""What both backends' write sessions share: nested transactions and bulk writing.

A backend says how to begin a transaction and how to run one statement, one batch and one
row; this class owns the rest: savepoints for nested transactions, one transaction per
bulk write (`insert_rows`) or the caller's (`write_rows`), and — when rejects are
collected — a savepoint per batch that is redone row by row only if the database refuses
it (a backend may find refused rows its own way: doltlite does it per statement).
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice
from typing import Any

from dolt.errors import ConstraintViolation, DoltError, SqlError
from dolt.interface import DEFAULT_BATCH_ROWS, ProgressCallback, WriteSession
from dolt.models import InsertResult, RejectedRow, WriteMode

Row = Sequence[Any]


@dataclass(frozen=True)
class InsertStatement:
    """A backend's one-row INSERT; `tagged` rows start with a value of the caller's (e.g. the
    source record number) that is never written."""

    sql: str
    tagged: bool

    def values(self, row: Row) -> tuple[Any, ...]:
        """The values of `row` that are written."""
        return tuple(row[1:] if self.tagged else row)


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
    def _insert_statement(
        self, *, table: str, columns: Sequence[str], mode: WriteMode, tagged: bool
    ) -> InsertStatement:
        """The parameterised INSERT (with the backend's upsert clause in upsert mode)."""

    @abstractmethod
    def _execute_batch(self, statement: InsertStatement, rows: list[Row]) -> None:
        """Run `statement` for every row; a refused row raises `ConstraintViolation`."""

    @abstractmethod
    def _execute_row(self, statement: InsertStatement, row: Row) -> None:
        """Run `statement` for one row; a refusal undoes only this row and raises."""

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
        tagged: bool = False,
    ) -> InsertResult:
        mode = WriteMode(mode)
        with self.transaction():
            if mode == WriteMode.REPLACE:
                self.delete_all_rows(table=table)
            return self.write_rows(
                table=table,
                columns=columns,
                rows=rows,
                mode=mode,
                batch_rows=batch_rows,
                collect_rejects=collect_rejects,
                on_progress=on_progress,
                tagged=tagged,
            )

    def write_rows(
        self,
        *,
        table: str,
        columns: Sequence[str],
        rows: Iterable[Row],
        mode: WriteMode = WriteMode.APPEND,
        batch_rows: int = DEFAULT_BATCH_ROWS,
        collect_rejects: bool = False,
        on_progress: ProgressCallback | None = None,
        tagged: bool = False,
    ) -> InsertResult:
        if not self._depth:
            raise DoltError("write_rows() writes inside an open transaction(); use insert_rows().")
        statement = self._insert_statement(
            table=table, columns=columns, mode=WriteMode(mode), tagged=tagged
        )
        width = len(columns) + tagged
        done = 0
        rejected: list[RejectedRow] = []
        for batch in self._batches(rows, batch_rows=max(1, batch_rows)):
            misshapen: list[RejectedRow]
            if set(map(len, batch)) == {width}:
                indexes: Sequence[int] = range(done, done + len(batch))
                fitting, misshapen = batch, []
            else:
                numbered, misshapen = _split_by_width(batch, statement, width=width, offset=done)
                indexes = [index for index, _ in numbered]
                fitting = [row for _, row in numbered]
            if collect_rejects:
                refused = [*misshapen, *self._write_collecting(statement, fitting, indexes)]
                rejected.extend(sorted(refused, key=lambda r: r.index))
            elif misshapen:
                raise ConstraintViolation(f"Row {misshapen[0].index + 1}: {misshapen[0].reason}")
            else:
                self._write(statement, batch, table=table, offset=done)
            done += len(batch)
            if on_progress is not None:
                on_progress(done)
        return InsertResult(inserted=done - len(rejected), rejected=tuple(rejected))

    def _write(
        self, statement: InsertStatement, batch: list[Row], *, table: str, offset: int
    ) -> None:
        try:
            self._execute_batch(statement, batch)
        except ConstraintViolation as exc:
            raise ConstraintViolation(
                f"A row in rows {offset + 1}–{offset + len(batch)} was refused by {table!r}: {exc}"
            ) from exc

    def _write_collecting(
        self, statement: InsertStatement, rows: list[Row], indexes: Sequence[int]
    ) -> list[RejectedRow]:
        """Write a batch in one go inside a savepoint; only if the database refuses it,
        redo it row by row."""
        if not rows:
            return []
        self._execute_plain("SAVEPOINT batch")
        try:
            self._execute_batch(statement, rows)
        except DoltError as exc:
            self._execute_plain("ROLLBACK TO SAVEPOINT batch")
            if not self._is_row_error(exc):
                self._execute_plain("RELEASE SAVEPOINT batch")
                raise
        else:
            self._execute_plain("RELEASE SAVEPOINT batch")
            return []
        rejected = self._write_one_by_one(statement, rows, indexes)
        self._execute_plain("RELEASE SAVEPOINT batch")
        return rejected

    def _write_one_by_one(
        self, statement: InsertStatement, rows: Sequence[Row], indexes: Sequence[int]
    ) -> list[RejectedRow]:
        """Write each row on its own; the rows the database refuses come back."""
        rejected = []
        for index, row in zip(indexes, rows, strict=True):
            try:
                self._execute_row(statement, row)
            except DoltError as exc:
                if not self._is_row_error(exc):
                    raise
                rejected.append(
                    RejectedRow(
                        index=index, row=statement.values(row), reason=self._row_reason(exc)
                    )
                )
        return rejected


def _split_by_width(
    batch: list[Row], statement: InsertStatement, *, width: int, offset: int
) -> tuple[list[tuple[int, Row]], list[RejectedRow]]:
    """Number the rows of a batch and set aside those with the wrong number of values."""
    good: list[tuple[int, Row]] = []
    bad: list[RejectedRow] = []
    tag = int(statement.tagged)
    for index, row in enumerate(batch, start=offset):
        if len(row) == width:
            good.append((index, row))
        else:
            reason = f"expected {width - tag} values, got {max(len(row) - tag, 0)}"
            bad.append(RejectedRow(index=index, row=statement.values(row), reason=reason))
    return good, bad


def upsert_updates(*, table: str, columns: Sequence[str], key: Sequence[str]) -> list[str]:
    """The non-key columns an upsert updates; refuses tables without a usable key."""
    if not key:
        raise SqlError(f"Upsert into {table!r} needs a primary key; the table has none.")
    missing = [k for k in key if k not in columns]
    if missing:
        raise SqlError(f"Upsert into {table!r} needs the key column(s) {missing} in the rows.")
    return [c for c in columns if c not in key]
