"""Errors of the Dolt layer: one root, narrow subclasses that say what to do."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

    from dolt.models import ConflictPreview, TestResult


class DoltError(Exception):
    """Root of every error raised by the Dolt layer."""

    retryable: bool = False


class InvalidName(DoltError):
    """A database, branch, table or column name that is not allowed."""


class InvalidUrl(DoltError):
    """A database URL this layer cannot use."""


class DatabaseNotFound(DoltError):
    """The named database does not exist."""


class DatabaseExists(DoltError):
    """A database of that name already exists."""


class NotADoltDatabase(DoltError):
    """A file or server that is not a Dolt database (stock SQLite loaded, or a foreign file)."""


class BranchExists(DoltError):
    """A branch of that name already exists."""


class BranchNotFound(DoltError):
    """The named branch or revision does not exist."""


class TableNotFound(DoltError):
    """The named table does not exist on that branch."""


class Busy(DoltError):
    """The database is locked by another writer; retry later."""

    retryable = True


class ConnectionLost(DoltError):
    """The connection to the database server failed or dropped; retry later."""

    retryable = True


class PolicyViolation(DoltError):
    """SQL that the policy does not allow for this use."""


class UntranslatableSql(DoltError):
    """SQL that cannot be translated to the target dialect."""


class SqlError(DoltError):
    """The database rejected a statement (bad DDL, a type error, ...)."""


class UnavailableFunction(SqlError):
    """The database has no function of that name (`function`, upper-case)."""

    def __init__(self, message: str, *, function: str) -> None:
        super().__init__(message)
        self.function = function


class ConstraintViolation(SqlError):
    """A row broke a constraint (primary key, unique, not null, check, foreign key)."""


class MergeConflict(DoltError):
    """A merge stopped on conflicts; `preview` tells which rows and schemas conflict."""

    def __init__(self, message: str, *, preview: ConflictPreview) -> None:
        super().__init__(message)
        self.preview = preview


class NothingToCommit(DoltError):
    """A commit was asked for but the branch has no changes."""


class TestsUnavailable(DoltError):
    """The server has no Dolt tests (`dolt_tests`, `dolt_test_run`): MariaDB, say."""

    __test__ = False  # not a pytest class


class TestsFailed(MergeConflict):
    """A merge refused because Dolt tests fail on the merged result; `failures` names them."""

    __test__ = False  # not a pytest class

    def __init__(
        self, message: str, *, preview: ConflictPreview, failures: Sequence[TestResult]
    ) -> None:
        super().__init__(message, preview=preview)
        self.failures = tuple(failures)
