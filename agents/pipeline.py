"""What each import stage does, as plain functions over the artifacts: understand, inspect
(snapshot, stage and profile the sources), ask, propose the schema, plan, and run the approved
plan into the job's branch with its review.

The steps of `workers.steps` call these — on Celery workers for Slack, inline for the terminal
— and save each artifact with the job; nothing here knows of jobs, queues or how an artifact is
shown. The model is used only where one is configured, and every answer it gives is validated;
without it, the request grammar and the deterministic baseline do the same work.
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from agents.artifacts import (
    MAX_QUESTIONS,
    ExecutionReport,
    ImportPlan,
    ImportRequest,
    Inspection,
    Question,
    Review,
    SchemaProposal,
    SourceProfile,
    SourceSnapshot,
)
from agents.baseline.proposal import plan_import, propose_schema
from agents.errors import (
    ExecutionFailed,
    ProposalInvalid,
    RepairExhausted,
    RequestNotUnderstood,
    SourceError,
)
from agents.execution.executor import ExecutionInput, Progress, execute
from agents.execution.ledger import records_on, without_ledger
from agents.execution.review import build_review
from agents.execution.revisions import Revising
from agents.execution.since_previous import since_previous
from agents.execution.target_columns import target_columns
from agents.inspection.foreign_keys import find_foreign_keys
from agents.inspection.profiling import profile_relation, retype_relation
from agents.sources.resolve import SourcePolicy, resolve_sources
from agents.sources.snapshot import snapshot_files, take_snapshots
from agents.stages import ask as ask_stage
from agents.stages import plan as plan_stage
from agents.stages import schema as schema_stage
from agents.stages import understand as understand_stage
from agents.stages import write_modes
from agents.stages.check_tests import check_notes, person_tests
from agents.stages.check_words import CheckNotUnderstood
from agents.stages.dry_run import dry_run_ddl
from agents.stages.grammar import parse_request
from agents.stages.repair import Parses
from agents.stages.value_filters import resolve_value_filters
from agents.staging.aligned import align_columns
from agents.staging.connection import open_duckdb
from agents.staging.relations import StagedRelation
from agents.staging.stage import name_clash_note, relation_name_for, stage_file
from agents.staging.text_shape import holds_table
from dolt.interface import Database
from dolt.models import Author, WriteMode
from dolt.sql.policy import check_ddl

A = TypeVar("A", SchemaProposal, ImportPlan)


def new_job_id() -> str:
    return f"{datetime.now(UTC):%Y%m%d}-{secrets.token_hex(3)}"


@dataclass
class Staging:
    """The job's DuckDB connection and the relations staged from its sources."""

    duckdb: Any
    relations: dict[str, StagedRelation] = field(default_factory=dict)

    def close(self) -> None:
        self.duckdb.close()


def understand(
    text: str, *, llm: Parses | None = None, conversation: Sequence[str] = ()
) -> ImportRequest:
    """The model's understanding when one is configured, else the request grammar."""
    if llm is not None:
        return understand_stage.run(llm, text=text, conversation=conversation)
    request = parse_request(text)
    if not request.database:
        raise RequestNotUnderstood("The request names no target database.")
    return request


def stage_sources(
    request: ImportRequest,
    *,
    snapshots: Sequence[SourceSnapshot],
    workdir: Path,
    profiles: Sequence[SourceProfile] = (),
) -> Staging:
    """Stage the inspection's snapshots again (another worker, a retry), never the original
    paths or URLs: each is checked against its size and sha256 first (SnapshotChanged if the
    job's folder lost or changed one). The relations come out as at inspection; `profiles`
    give them the types that were inferred and approved."""
    if profiles and not snapshots:
        raise SourceError(
            "This job was inspected before sources were kept in the job's folder; start the"
            " import again."
        )
    files = snapshot_files(snapshots, workdir=workdir)
    return _stage(request, snapshots, files, workdir=workdir, profiles=profiles)


def _stage(
    request: ImportRequest,
    snapshots: Sequence[SourceSnapshot],
    files: Sequence[Path],
    *,
    workdir: Path,
    profiles: Sequence[SourceProfile] = (),
) -> Staging:
    """Each snapshot file staged in a new DuckDB of the job, in order, named after its file;
    files that go into one table (the table the request names, or `union by name`) get their
    columns in one order, and with `union by name` the columns only others have, as NULL."""
    staging = Staging(duckdb=open_duckdb(workdir=workdir))
    try:
        for snapshot, file in zip(snapshots, files, strict=True):
            relation = relation_name_for(file.name, taken=staging.relations.keys())
            clash = name_clash_note(
                file.name, relation, source=snapshot.source, staged=staging.relations
            )
            for staged in stage_file(
                staging.duckdb,
                file=file,
                source=snapshot.source,
                relation=relation,
                nested_lists=request.nested_lists,
                workdir=workdir,
                read=request.read,
            ):
                if clash and staged.relation == relation:
                    staged = dataclasses.replace(staged, renamed=(*staged.renamed, clash))
                staging.relations[staged.relation] = staged
        if request.table or request.read.union_by_name:
            top_level = [s for s in staging.relations.values() if s.parent is None]
            for staged in align_columns(
                staging.duckdb, top_level, by_name=request.read.union_by_name
            ):
                staging.relations[staged.relation] = staged
        for profile in profiles:
            if profile.relation in staging.relations:
                retype_relation(
                    staging.duckdb, staged=staging.relations[profile.relation], profile=profile
                )
    except BaseException:
        staging.close()
        raise
    return staging


def inspect(
    request: ImportRequest,
    *,
    database: Database,
    policy: SourcePolicy,
    workdir: Path,
    attachments: Sequence[Path] = (),
) -> tuple[Inspection, Staging]:
    """Resolve the sources (what a folder holds that is not data is listed as skipped), fix
    each as a snapshot in `workdir`, stage the snapshots, profile them, find keys and
    references."""
    resolution = resolve_sources(
        request.sources,
        policy=policy,
        workdir=workdir,
        recursive=request.recursive,
        attachments=attachments,
        exclude=request.read.exclude,
        takes_text=holds_table,
    )
    snapshots = take_snapshots(resolution.sources, workdir=workdir)
    files = [snapshot.path(workdir) for snapshot in snapshots]
    staging = _stage(request, snapshots, files, workdir=workdir)
    try:
        profiles = [
            profile_relation(staging.duckdb, staged=s, read=request.read)
            for s in staging.relations.values()
        ]
        target_schema = without_ledger(database.create_statements())
        previous_imports = records_on(database, sha256s=[s.sha256 for s in snapshots])
        existing_keys = {
            table: [c.name for c in target_columns(sql) if c.primary_key]
            for table, sql in target_schema.items()
        }
        foreign_keys = find_foreign_keys(
            staging.duckdb,
            profiles=profiles,
            existing_tables={t: k for t, k in existing_keys.items() if k},
            fetch_existing_values=lambda table, column: database.column_values(
                table=table, column=column
            ),
        )
    except BaseException:
        staging.close()
        raise
    inspection = Inspection(
        database=database.name,
        target_schema=target_schema,
        profiles=profiles,
        foreign_keys=foreign_keys,
        snapshots=snapshots,
        previous_imports=previous_imports,
        skipped=resolution.skipped,
    )
    return inspection, staging


def baseline_schema(request: ImportRequest, inspection: Inspection) -> SchemaProposal:
    """The deterministic proposal, every statement checked by the DDL policy."""
    proposal = propose_schema(request, inspection)
    if proposal.status == "cannot":
        raise ProposalInvalid(proposal.reason or "No schema can be proposed for this request.")
    known = set(inspection.target_schema)
    for table in proposal.tables:
        for statement in table.ddl:
            check_ddl(statement, known_tables=known)
        known.add(table.name)
    return proposal


def ask(
    request: ImportRequest, inspection: Inspection, *, baseline: SchemaProposal, llm: Parses | None
) -> list[Question]:
    """Follow-up questions that change the result: how rows go into tables that exist and
    whether to import again what main already holds (always), then the model's (if any)."""
    asked = write_modes.questions(request, inspection, baseline)
    if llm is None:
        return asked
    try:
        model = ask_stage.run(llm, request=request, inspection=inspection, baseline=baseline)
    except RepairExhausted:
        model = []  # questions are a help, not a gate: the defaults stand
    taken = {question.id for question in asked}
    return [*asked, *(q for q in model if q.id not in taken)][:MAX_QUESTIONS]


def propose(
    request: ImportRequest,
    inspection: Inspection,
    *,
    database: Database,
    llm: Parses | None = None,
    previous: SchemaProposal | None = None,
    answers: dict[str, str] | None = None,
    conversation: Sequence[str] = (),
    feedback: str | None = None,
) -> SchemaProposal:
    """The schema proposal: the baseline, edited by the model when one is configured.

    `previous` is the proposal being revised (with the person's feedback in `conversation`).
    A model answer that keeps failing validation falls back to the baseline, saying why.
    """
    baseline = baseline_schema(request, inspection)
    if llm is None or _baseline_is_exact(request, previous, answers):
        return _with_check_notes(
            _with_reading_notes(baseline, inspection), request, database=database, llm=llm
        )
    proposal = _model_or_baseline(
        lambda: schema_stage.run(
            llm,
            request=request,
            inspection=inspection,
            database=database,
            baseline=previous or baseline,
            answers=answers,
            conversation=conversation,
            feedback=feedback,
        ),
        baseline=baseline,
        what="propose a schema",
    )
    return _with_check_notes(
        _with_reading_notes(proposal, inspection), request, database=database, llm=llm
    )


def _with_check_notes(
    proposal: SchemaProposal, request: ImportRequest, *, database: Database, llm: Parses | None
) -> SchemaProposal:
    """The person's checks read against the proposed tables before anything is loaded: one
    that cannot become a test stops here (`CheckNotUnderstood`, in words)."""
    notes = check_notes(request.checks, database=database, schema=proposal, llm=llm)
    if not notes:
        return proposal
    return proposal.model_copy(update={"notes": [*proposal.notes, *notes]})


def _with_reading_notes(proposal: SchemaProposal, inspection: Inspection) -> SchemaProposal:
    """What reading the files left out or decided (a title block skipped, a total row left
    out, the sheets not imported, an encoding) goes on the proposal people approve."""
    said = set(proposal.notes)
    notes = [
        note if note.startswith(profile.source) else f"{profile.source}: {note}"
        for profile in inspection.profiles
        for note in profile.notes
    ]
    fresh = [note for note in dict.fromkeys(notes) if note not in said]
    if not fresh:
        return proposal
    return proposal.model_copy(update={"notes": [*fresh, *proposal.notes]})


def _baseline_is_exact(
    request: ImportRequest, previous: object | None, answers: dict[str, str] | None
) -> bool:
    """A request the grammar read, with no answers and nothing to revise, is implemented
    exactly by the baseline: there is nothing for the model to edit."""
    return request.understood_by == "grammar" and previous is None and not answers


def _model_or_baseline(ask_model: Callable[[], A], *, baseline: A, what: str) -> A:
    """The model's validated artifact, or the baseline with a note saying why not."""
    try:
        artifact = ask_model()
    except RepairExhausted as error:
        reason = str(error)
    else:
        if artifact.status != "cannot":
            return artifact
        reason = f"The model said it cannot {what} ({artifact.reason})."
    return baseline.model_copy(
        update={"notes": [f"{reason} This is the version made without the model."]}
    )


def target_schemas(database: Database, schema: SchemaProposal) -> dict[str, str]:
    """CREATE statements of every table once the approved DDL has run (on a scratch branch)."""
    return dry_run_ddl(database, schema.ddl)


def plan(
    request: ImportRequest,
    inspection: Inspection,
    schema: SchemaProposal,
    *,
    staging: Staging,
    database: Database,
    llm: Parses | None = None,
    previous: ImportPlan | None = None,
    conversation: Sequence[str] = (),
) -> ImportPlan:
    """The plan: the baseline, edited by the model when one is configured; always validated
    (policy, target columns, LIMIT 0 in DuckDB) and counted. Filters in words whose column
    the data tells ("just the Gentoo penguins") become conditions of `where` first."""
    request = resolve_value_filters(request, inspection.profiles, duckdb=staging.duckdb)
    schemas = target_schemas(database, schema)
    relations = {name: [c for c, _ in s.columns] for name, s in staging.relations.items()}
    draft = plan_import(request, inspection, schema)
    if request.where and not any(request.where in step.select for step in draft.steps):
        columns = sorted({c.name for p in inspection.profiles for c in p.columns})
        raise ProposalInvalid(
            f"The filter `{request.where}` names columns that no source has; the sources "
            f"have: {', '.join(columns)}."
        )
    baseline = plan_stage.validate(
        draft,
        schema=schema,
        target_schemas=schemas,
        relations=relations,
        duckdb=staging.duckdb,
        unreadable=plan_stage.unreadable_records(inspection),
    )
    if llm is None or _baseline_is_exact(request, previous, answers=None):
        return baseline
    return _model_or_baseline(
        lambda: plan_stage.run(
            llm,
            request=request,
            inspection=inspection,
            schema=schema,
            target_schemas=schemas,
            baseline=previous or baseline,
            relations=relations,
            duckdb=staging.duckdb,
            modes={step.table: WriteMode(step.mode) for step in baseline.steps},
            conversation=conversation,
        ),
        baseline=baseline,
        what="plan the import",
    )


def run(
    *,
    job_id: str,
    text: str,
    author: Author,
    schema: SchemaProposal,
    import_plan: ImportPlan,
    database: Database,
    staging: Staging,
    on_progress: Progress | None = None,
    sources: Sequence[SourceSnapshot] = (),
    revision: Revising | None = None,
    checks: Sequence[str] = (),
    llm: Parses | None = None,
) -> Review:
    """Execute the approved plan on `import/<job>` and build the review; `sources` (the
    inspection's snapshots) are named with their sha256 in the commit and the review. A
    `revision` makes a new commit on the loaded branch; the review also shows what it changed
    since the previous one. The person's `checks` in words become Dolt tests on the branch
    (read by `llm` where the offline forms do not)."""
    report = execute_plan(
        job_id=job_id,
        text=text,
        author=author,
        schema=schema,
        import_plan=import_plan,
        database=database,
        staging=staging,
        on_progress=on_progress,
        sources=sources,
        revision=revision,
        checks=checks,
        llm=llm,
    )
    review = build_review(database, branch=report.branch, report=report)
    return since_previous(review, database=database, revision=revision) if revision else review


def execute_plan(
    *,
    job_id: str,
    text: str,
    author: Author,
    schema: SchemaProposal,
    import_plan: ImportPlan,
    database: Database,
    staging: Staging,
    on_progress: Progress | None = None,
    sources: Sequence[SourceSnapshot] = (),
    revision: Revising | None = None,
    checks: Sequence[str] = (),
    llm: Parses | None = None,
) -> ExecutionReport:
    """Load, verify and commit the approved plan on `import/<job>`; a check in words that
    cannot become a test fails it before anything is written (`ExecutionFailed`)."""
    try:
        tests = person_tests(checks, database=database, schema=schema, job_id=job_id, llm=llm)
    except CheckNotUnderstood as error:
        raise ExecutionFailed(str(error)) from None
    return execute(
        ExecutionInput(
            job_id=job_id,
            request_text=text,
            author=author,
            schema=schema,
            plan=import_plan,
            sources=tuple(sources),
            revision_of=revision.previous if revision is not None else None,
            revision=revision.number if revision is not None else 1,
            change=revision.change if revision is not None else "",
            person_tests=tests,
        ),
        database=database,
        duckdb=staging.duckdb,
        staged=staging.relations,
        on_progress=on_progress,
    )
