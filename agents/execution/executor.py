"""Stream an approved plan into `import/<job>` — and nowhere else.

1. The branch is created from main; if it exists (a retried or crashed job) it is reset to
   the commit it started from, so rows are never doubled.
2. The approved DDL is applied (policy-checked and translated by the Dolt layer).
3. Each plan SELECT runs in DuckDB over the staged sources; DuckDB converts every value to
   its target column type and flags values that do not fit, and foreign-key values that no
   row of the referenced key holds (`agents.execution.references`). Those rows, and rows
   the database refuses (keys, NOT NULL), are quarantined with file, line,
   column, value and reason — they are kept with the job, never written. The rows that fit
   go through the backend's native loader straight from DuckDB's Arrow stream when it has
   one; it stops at the first row the database refuses, and the plan is then loaded again
   from the branch's base through Python, row-checked, which quarantines that row.
4. Checks: per table `source = loaded + filtered + rejected`, where source counts the
   records read — the rows the reader kept and those it could not parse, which are rejects
   of the table their relation feeds (`agents.execution.unreadable`) — row counts on the
   branch, foreign-key integrity and the request's own predicates. A failed check resets the
   branch and raises: nothing half-done is left to merge. The same checks, and the person's
   (`person_tests`), are then written as rows of `dolt_tests`, group `import/<job>`
   (`agents.execution.import_tests`), committed with the data and run on the branch: each
   ✓ of the report is a check whose tests passed there.
5. One Dolt commit, authored by the requester, naming the job and the request; then one that
   records each table's sources in the database's ledger (`agents.execution.ledger`).
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass
from functools import partial
from typing import Any

from duckdb import Error as DuckDBError
from duckdb import OutOfMemoryException

from agents.artifacts import (
    ExecutionReport,
    ImportPlan,
    PlanStep,
    Reject,
    SchemaProposal,
    SourceSnapshot,
    TableLoad,
)
from agents.errors import ExecutionFailed, VerificationFailed
from agents.execution import import_tests, ledger, revisions
from agents.execution.branches import branch_name
from agents.execution.plan_sql import DeliveryQuery
from agents.execution.references import KeyValues, drop_reference_values, reference_checks
from agents.execution.target_columns import TargetColumn, target_columns
from agents.execution.unreadable import short_value as _short
from agents.execution.unreadable import unreadable_owners, unreadable_rejects
from agents.staging.relations import StagedRelation
from agents.staging.stage import record_line
from dolt.errors import (
    BranchNotFound,
    ConstraintViolation,
    DoltError,
    SqlError,
    UnavailableFunction,
)
from dolt.interface import Database, WriteSession
from dolt.models import Author, DoltTest, RejectedRow, WriteMode
from dolt.sql.policy import check_select

# Rows go from DuckDB to the database a thousand at a time, read as they are written. (A
# reader thread gains nothing: DuckDB holds the GIL while it makes Python values, and the
# writer then waits for the GIL each time SQLite hands it back — measured slower.)
BATCH_ROWS = 1_000
PROGRESS_ROWS = 20_000  # progress is reported every this many rows, and at the end
ROWS_PER_TRANSACTION = 1_000_000
MAX_REJECTS_KEPT = 10_000

Progress = Callable[[str, int, int], None]  # (table, rows done, rows expected)


@dataclass(frozen=True)
class ExecutionInput:
    job_id: str
    request_text: str
    author: Author
    schema: SchemaProposal
    plan: ImportPlan
    sources: tuple[SourceSnapshot, ...] = ()
    """The inspection's snapshots the staging was read from, named in the commit."""
    person_tests: tuple[DoltTest, ...] = ()
    """The checks the person asked for in words, as Dolt tests written on the branch."""
    revision_of: str | None = None
    """The branch's commit after its previous revision (None: the first load). A revision
    keeps the branch's history: on top of that commit, the tables the import touched go back
    to main's base and the whole import is redone, as one new commit (`agents.execution.
    revisions`); a failed or redelivered revision starts again from that commit."""
    revision: int = 1
    change: str = ""
    """The change in words this revision makes (named in its commit)."""


def execute(
    job: ExecutionInput,
    *,
    database: Database,
    duckdb: Any,
    staged: Mapping[str, StagedRelation],
    on_progress: Progress | None = None,
) -> ExecutionReport:
    """Write the approved plan to the job's branch and commit it; see the module docstring."""
    branch = branch_name(job.job_id)
    base = _fresh_branch(database, branch)
    start = job.revision_of or base
    with database.write_session(branch=branch) as session:
        try:
            load = partial(
                _load_plan,
                job,
                session=session,
                database=database,
                branch=branch,
                base=base,
                start=start,
                duckdb=duckdb,
                staged=staged,
                on_progress=_never_backwards(on_progress),
            )
            try:
                loads, rejects = load(native=True)
            except _RefusedNatively:
                # The native loader stops at a row the database refuses; start again with
                # the row-checked writer, which quarantines such rows.
                loads, rejects = load(native=False)
            passed = _verify(job, database=database, branch=branch, base=base, loads=loads)
            checks = _import_checks(job, database=database, branch=branch, loads=loads)
            tested = import_tests.write_tests(
                session,
                database=database,
                group=branch,
                tests=[*import_tests.tests_of(checks), *job.person_tests],
                replaced=[s.table for s in job.plan.steps if s.mode == WriteMode.REPLACE],
            )
            commit = session.commit(
                message=_commit_message(job, loads), author=job.author, allow_empty=True
            )
            if tested:
                passed = import_tests.passed_on_branch(database, branch=branch, checks=checks)
            if commit is not None:
                ledger.write_records(
                    session,
                    ledger.records_of(
                        job_id=job.job_id,
                        request=job.request_text,
                        commit=commit,
                        schema=job.schema,
                        steps=job.plan.steps,
                        loads=loads,
                        sources_of=_sources_of(staged, job.sources),
                    ),
                    author=job.author,
                    job_id=job.job_id,
                )
        except (DoltError, ExecutionFailed, DuckDBError) as error:
            session.reset_hard(ref=start)
            if isinstance(error, ExecutionFailed):
                raise
            raise ExecutionFailed(
                f"The import stopped and its branch was reset: {_in_words(error)}"
            ) from error
    return ExecutionReport(
        job_id=job.job_id,
        database=database.name,
        branch=branch,
        base=base,
        commit=commit,
        loads=loads,
        rejects=rejects[:MAX_REJECTS_KEPT],
        checks_passed=passed,
        sources=list(job.sources),
    )


def _sources_of(
    staged: Mapping[str, StagedRelation], snapshots: Sequence[SourceSnapshot]
) -> dict[str, list[SourceSnapshot]]:
    """Staged relation -> the snapshot it was read from (a zip member: the zip)."""
    found: dict[str, list[SourceSnapshot]] = {}
    for name, relation in staged.items():
        exact = [s for s in snapshots if s.source == relation.source]
        found[name] = exact or [s for s in snapshots if relation.source.startswith(s.source)][:1]
    return found


def _in_words(error: Exception) -> str:
    """A database or DuckDB error as a person can act on it (DuckDB's tuning advice left out)."""
    if isinstance(error, OutOfMemoryException):
        return (
            "converting the values took more than the memory one import may use "
            "(IMPORTBOT_DUCKDB_MEMORY_LIMIT); set it higher, e.g. 1GB, or import fewer columns "
            "with dates written in words at once"
        )
    return str(error).split("\n\n", 1)[0]


def _never_backwards(on_progress: Progress | None) -> Progress | None:
    """Progress that only moves forward, also when a load starts again after a refusal."""
    if on_progress is None:
        return None
    shown: dict[str, int] = {}

    def report(table: str, done: int, expected: int) -> None:
        if done > shown.get(table, -1):
            shown[table] = done
            on_progress(table, done, expected)

    return report


class _RefusedNatively(Exception):
    """The native loader met a row the database refuses."""


def _load_plan(
    job: ExecutionInput,
    *,
    session: WriteSession,
    database: Database,
    branch: str,
    base: str,
    start: str,
    duckdb: Any,
    staged: Mapping[str, StagedRelation],
    on_progress: Progress | None,
    native: bool,
) -> tuple[list[TableLoad], list[Reject]]:
    """From the branch's base (a revision: its tables back at the base, on top of `start`):
    the DDL, then every step's rows."""
    session.reset_hard(ref=start)
    if start != base:
        revisions.restore_base(session, database=database, base=base)
    for table in job.schema.tables:
        for statement in table.ddl:
            session.execute_ddl(sql=statement)
    schemas = database.create_statements(ref=branch)
    loads: list[TableLoad] = []
    rejects: list[Reject] = []
    owners, _ = unreadable_owners(
        job.plan.steps,
        relations={name: [c for c, _ in s.columns] for name, s in staged.items()},
        unreadable={name: len(s.rejects) for name, s in staged.items()},
    )
    for step in job.plan.steps:
        load, step_rejects = _load_step(
            step,
            session=session,
            duckdb=duckdb,
            staged=staged,
            schema=schemas[step.table],
            on_progress=on_progress,
            native=native,
            unreadable=unreadable_rejects(step.table, owners[step.table], staged),
            key_values=lambda table, column: database.column_values(
                table=table, column=column, ref=branch
            ),
        )
        loads.append(load)
        rejects.extend(step_rejects)
    return loads, rejects


def _fresh_branch(database: Database, branch: str) -> str:
    """The commit the job's branch starts from; creates the branch on the first run."""
    try:
        database.branch(name=branch)
    except BranchNotFound:
        return database.create_branch(name=branch, start="main").head
    return database.merge_base(branch=branch, other="main")


def _load_step(
    step: PlanStep,
    *,
    session: WriteSession,
    duckdb: Any,
    staged: Mapping[str, StagedRelation],
    schema: str,
    on_progress: Progress | None,
    native: bool,
    unreadable: Sequence[Reject] = (),
    key_values: KeyValues | None = None,
) -> tuple[TableLoad, list[Reject]]:
    """Load one step; ``unreadable`` are the reader's rejects it counts (records read, never
    selected): its source rows are the rows the reader kept plus those."""
    relations = {name: [c for c, _ in s.columns] for name, s in staged.items()}
    checked = check_select(step.select, relations=relations)
    names = [p.alias_or_name for p in checked.selects]
    targets = _targets(step.table, schema, names)
    # A row whose reference names no row (an orphan) is set aside like a value that does not fit.
    checks = (
        reference_checks(duckdb, create_statement=schema, columns=names, key_values=key_values)
        if key_values is not None
        else []
    )
    query = DeliveryQuery(checked, columns=targets, references=checks)
    relation = staged.get(step.relation) if step.relation else None

    # Rows that cannot be stored are found on a second DuckDB cursor while the rows that can
    # are written: the database writer is the bottleneck, so this costs no wall time.
    if WriteMode(step.mode) == WriteMode.REPLACE:
        session.delete_all_rows(table=step.table)
    unfit_cursor = duckdb.cursor()
    with (
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="duckdb-unfit") as pool,
        _interrupted_when_stopped(unfit_cursor),
    ):
        unfit = pool.submit(_fetch_all, unfit_cursor, query.unfit_rows())
        written = (
            _write_natively(
                step, names, query, session=session, duckdb=duckdb, on_progress=on_progress
            )
            if native
            else None
        )
        rejects: list[Reject]
        if written is not None:
            rejects, selected, loaded = [], written, written
        else:
            rejects, selected, loaded = _write_fitting(
                step,
                names,
                query,
                session=session,
                duckdb=duckdb,
                relation=relation,
                on_progress=on_progress,
            )
        conversion_rejects = [_conversion_reject(step.table, relation, r) for r in unfit.result()]
    drop_reference_values(duckdb, checks)
    rejects = [*unreadable, *conversion_rejects, *rejects]
    selected += len(conversion_rejects)
    # Records read: the rows the reader kept (as the plan counted them) and its rejects.
    kept = step.source_rows - step.unreadable_rows if relation is not None else selected
    filtered = max(kept - selected, 0)
    load = TableLoad(
        table=step.table,
        source_rows=kept + len(unreadable),
        loaded=loaded,
        filtered=filtered,
        rejected=len(rejects),
        mode=WriteMode(step.mode),
    )
    return load, rejects


def _fetch_all(cursor: Any, sql: str) -> list[tuple[Any, ...]]:
    try:
        return cursor.execute(sql).fetchall()
    finally:
        cursor.close()


@contextmanager
def _interrupted_when_stopped(cursor: Any) -> Iterator[None]:
    """A query still running on `cursor` (in another thread) is interrupted when the load
    stops (an error, Ctrl-C), so that stopping does not wait for it to read the whole file."""
    try:
        yield
    except BaseException:
        with suppress(Exception):  # the query has ended, and closed its cursor, already
            cursor.interrupt()
        raise


def _write_natively(
    step: PlanStep,
    names: Sequence[str],
    query: DeliveryQuery,
    *,
    session: WriteSession,
    duckdb: Any,
    on_progress: Progress | None,
) -> int | None:
    """The rows that fit, straight from DuckDB's Arrow stream through the backend's native
    loader (no Python value per cell); None when the backend has none for these columns."""
    progress = (
        (lambda done: on_progress(step.table, done, step.expected_rows))
        if on_progress is not None
        else None
    )
    cursor = duckdb.cursor()
    try:
        return session.load_arrow(
            table=step.table,
            columns=names,
            source=cursor.sql(query.fitting_rows()),
            mode=_write_mode(step),
            tagged=True,
            rows_per_transaction=ROWS_PER_TRANSACTION,
            progress_every=PROGRESS_ROWS,
            on_progress=progress,
        )
    except ConstraintViolation as error:
        raise _RefusedNatively(str(error)) from error
    finally:
        cursor.close()


def _write_fitting(
    step: PlanStep,
    names: Sequence[str],
    query: DeliveryQuery,
    *,
    session: WriteSession,
    duckdb: Any,
    relation: StagedRelation | None,
    on_progress: Progress | None,
) -> tuple[list[Reject], int, int]:
    """Write the rows that fit; returns (database rejects, rows selected, rows loaded)."""
    # closing(): an error while writing closes the DuckDB cursor before it propagates
    with closing(_fetch_batches(duckdb, query.fitting_rows())) as batches:
        return _write_batches(
            step, names, batches, session=session, relation=relation, on_progress=on_progress
        )


def _write_batches(
    step: PlanStep,
    names: Sequence[str],
    batches: Iterator[list[tuple[Any, ...]]],
    *,
    session: WriteSession,
    relation: StagedRelation | None,
    on_progress: Progress | None,
) -> tuple[list[Reject], int, int]:
    rejects: list[Reject] = []
    selected = loaded = 0
    mode = _write_mode(step)
    exhausted = False
    while not exhausted:
        # A transaction per million rows keeps memory flat (doltlite holds a transaction's
        # rows until COMMIT); a crash in between is undone by resetting the branch on rerun.
        with session.transaction():
            in_transaction = 0
            exhausted = True
            for batch in batches:
                # Each row starts with its source record: written as it comes, tag skipped.
                result = session.write_rows(
                    table=step.table,
                    columns=names,
                    rows=batch,
                    mode=mode,
                    batch_rows=len(batch),
                    collect_rejects=True,
                    tagged=True,
                )
                loaded += result.inserted
                for refused in result.rejected:
                    record = batch[refused.index][0]
                    rejects.append(_database_reject(step.table, relation, record, refused, names))
                reported = selected // PROGRESS_ROWS
                selected += len(batch)
                in_transaction += len(batch)
                if on_progress is not None and selected // PROGRESS_ROWS > reported:
                    on_progress(step.table, selected, step.expected_rows)
                if in_transaction >= ROWS_PER_TRANSACTION:
                    exhausted = False
                    break
    if on_progress is not None and selected % PROGRESS_ROWS:
        on_progress(step.table, selected, step.expected_rows)
    return rejects, selected, loaded


def _write_mode(step: PlanStep) -> WriteMode:
    """How rows are written once `_load_step` has emptied a table to replace: upsert or append."""
    return WriteMode.UPSERT if WriteMode(step.mode) == WriteMode.UPSERT else WriteMode.APPEND


def _targets(table: str, schema: str, names: Sequence[str]) -> list[TargetColumn]:
    by_name = {c.name: c for c in target_columns(schema)}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise ExecutionFailed(
            f"The plan for {table!r} produces column(s) {', '.join(unknown)} that the table "
            "does not have."
        )
    return [by_name[n] for n in names]


def _fetch_batches(duckdb: Any, sql: str) -> Generator[list[tuple[Any, ...]], None, None]:
    """The rows of `sql` in batches of `BATCH_ROWS`, read as the writer asks for them."""
    cursor = duckdb.cursor()
    try:
        result = cursor.execute(sql)
        while batch := result.fetchmany(BATCH_ROWS):
            yield batch
    except DuckDBError as error:
        raise ExecutionFailed(f"Reading the source data failed: {error}") from error
    finally:
        cursor.close()


def _where(relation: StagedRelation | None, record: Any) -> tuple[str, int | None]:
    if relation is None:
        return "(several sources)", None
    line = record_line(relation, record=int(record)) if record is not None else None
    return relation.source, line


def _conversion_reject(table: str, relation: StagedRelation | None, row: Sequence[Any]) -> Reject:
    record, reason, column, value = row
    file, line = _where(relation, record)
    return Reject(
        table=table, file=file, line=line, column=column, value=_short(value), reason=reason
    )


def _database_reject(
    table: str,
    relation: StagedRelation | None,
    record: Any,
    refused: RejectedRow,
    columns: Sequence[str],
) -> Reject:
    file, line = _where(relation, record)
    values = dict(zip(columns, refused.row, strict=False))
    return Reject(
        table=table,
        file=file,
        line=line,
        column=None,
        value=_short(repr(values)),
        reason=refused.reason,
    )


def _verify(
    job: ExecutionInput, *, database: Database, branch: str, base: str, loads: Sequence[TableLoad]
) -> list[str]:
    failures: list[str] = []
    passed: list[str] = []
    for load in loads:
        if load.source_rows != load.loaded + load.filtered + load.rejected:
            failures.append(
                f"{load.table}: {load.source_rows} source rows ≠ {load.loaded} loaded + "
                f"{load.filtered} filtered + {load.rejected} rejected"
            )
    steps = {s.table: s for s in job.plan.steps}
    for load in loads:
        before = _count_or_zero(database, table=load.table, ref=base)
        after = database.count_rows(table=load.table, ref=branch)
        mode = steps[load.table].mode
        expected_ok = {
            WriteMode.CREATE: after == before + load.loaded,
            WriteMode.APPEND: after == before + load.loaded,
            WriteMode.REPLACE: after == load.loaded,
            WriteMode.UPSERT: before <= after <= before + load.loaded,
        }[WriteMode(mode)]
        if not expected_ok:
            failures.append(
                f"{load.table}: {after} rows on the branch after a {mode} of "
                f"{load.loaded} rows onto {before}"
            )
        orphans = database.foreign_key_violations(table=load.table, ref=branch)
        if orphans:
            failures.append(f"{load.table}: {orphans} row(s) reference missing rows")
        passed.append(f"{load.table}: {after} rows, keys and references intact")
    for predicate in job.plan.checks:
        for table in _tables_with_columns(
            database, branch=branch, predicate=predicate, tables=steps
        ):
            violating = _violating_rows(database, table=table, branch=branch, predicate=predicate)
            if violating:
                failures.append(f"{table}: {violating} row(s) do not satisfy {predicate}")
            else:
                passed.append(f"{table}: every row satisfies {predicate}")
    if failures:
        raise VerificationFailed(
            "The loaded data failed its checks, so the branch was reset: " + "; ".join(failures)
        )
    return [
        f"every source row accounted for ({sum(load.source_rows for load in loads)} rows)",
        *passed,
    ]


def _import_checks(
    job: ExecutionInput, *, database: Database, branch: str, loads: Sequence[TableLoad]
) -> list[import_tests.ImportCheck]:
    """The checks `_verify` ran, as the Dolt tests of the import's group (`import/<job>`)."""
    return import_tests.import_checks(
        group=branch,
        loads=loads,
        steps=job.plan.steps,
        predicates=job.plan.checks,
        schemas=database.create_statements(ref=branch),
        rows_after={
            load.table: database.count_rows(table=load.table, ref=branch) for load in loads
        },
        dialect=database.dialect,
    )


def _violating_rows(database: Database, *, table: str, branch: str, predicate: str) -> int:
    """Rows of `table` on the branch that do not satisfy `predicate`. A check the database
    cannot run fails the verification (the branch is reset), saying why."""
    try:
        return database.count_rows(table=table, ref=branch, where=f"NOT ({predicate})")
    except UnavailableFunction as error:
        raise VerificationFailed(
            f"The check {predicate} on {table} cannot run: function {error.function}() is not "
            f"available on this database, so the branch was reset. Write the condition "
            f"without {error.function}()."
        ) from error
    except SqlError as error:
        raise VerificationFailed(
            f"The check {predicate} on {table} cannot run on this database, so the branch "
            f"was reset: {error}"
        ) from error


def _count_or_zero(database: Database, *, table: str, ref: str) -> int:
    if table not in database.list_tables(ref=ref):
        return 0
    return database.count_rows(table=table, ref=ref)


def _tables_with_columns(
    database: Database, *, branch: str, predicate: str, tables: Mapping[str, PlanStep]
) -> list[str]:
    from sqlglot import exp, parse_one

    names = {
        c.name.lower()
        for c in parse_one(f"SELECT 1 WHERE {predicate}", read="mysql").find_all(exp.Column)
    }
    schemas = database.create_statements(ref=branch)
    return [
        table
        for table in tables
        if names and names <= {c.name.lower() for c in target_columns(schemas[table])}
    ]


def _commit_message(job: ExecutionInput, loads: Sequence[TableLoad]) -> str:
    request = " ".join(job.request_text.split())
    title = f"Import {job.job_id}: {request}"
    if len(title) > 72:
        title = title[:71] + "…"
    body = "\n".join(
        f"- {load.table}: {load.loaded} loaded, {load.filtered} filtered out, "
        f"{load.rejected} rejected"
        for load in loads
    )
    message = f"{title}\n\nRequest: {request}\n\n{body}"
    if job.revision > 1:
        message = revisions.revised_message(message, revision=job.revision, change=job.change)
    if job.sources:
        message += "\n\nSources:\n" + "\n".join(
            f"- {' '.join(s.source.split())} sha256:{s.sha256} ({s.shown_size})"
            for s in job.sources
        )
    return message
