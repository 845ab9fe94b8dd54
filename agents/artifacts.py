"""The typed artifacts every stage produces and consumes (the LLM stages produce the same).

They know nothing of Slack or of the terminal; renderers turn them into messages.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator

# SourceSnapshot is defined beside the code that takes snapshots (agents.sources imports nothing
# of the other stages); surfaces read it from here, with the other artifacts, and say which
# files were read with `files_words`.
from agents.sources.files_words import files_words as files_words
from agents.sources.skipped import SkippedSource as SkippedSource
from agents.sources.skipped import skipped_words as skipped_words
from agents.sources.snapshot import SourceSnapshot
from dolt.diff_csv import formula_safe as formula_safe  # the review's CSV cells, for surfaces
from dolt.models import WriteMode


class Artifact(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# -- overrides a person can say in words (the grammar reads them; a model may fill them) -----
class ReadOptions(Artifact):
    """How the files are read, when the person says so; None or empty: detected."""

    null_markers: list[str] | None = Field(
        None,
        description="Values read as missing in typed columns (None: the default markers, "
        "NA, N/A, NULL, null, NaN, -, . and empty).",
    )
    text_markers: list[str] = Field(
        default_factory=list, description="Default markers to keep as text (`keep NA as text`)."
    )
    delimiter: str | None = Field(None, description="Field delimiter of delimited files.")
    decimal_comma: bool = Field(False, description="Numbers are written 1.234,56.")
    header_row: int | None = Field(
        None, description="1-based row of the header (`header on row N`, `skip N rows` = N+1)."
    )
    sheets: list[str] = Field(default_factory=list, description="Excel sheets to import.")
    all_sheets: bool = Field(False, description="Every sheet, one table per sheet.")
    exclude: list[str] = Field(default_factory=list, description="Globs of files to leave out.")
    union_by_name: bool = Field(
        False, description="Files of different shapes under one glob become one table."
    )
    json_list: str | None = Field(None, description="Which list of a JSON file to import.")


class ColumnType(Artifact):
    column: str = Field(description="A column, optionally table.column.")
    type: str = Field(description="MySQL type.")


class Rename(Artifact):
    kind: Literal["table", "column"]
    old: str = Field(description="Current name (a column optionally as table.column).")
    new: str


class Reference(Artifact):
    from_table: str
    to_table: str


class ColumnMove(Artifact):
    columns: list[str]
    from_table: str
    to_table: str


class ValueFilter(Artifact):
    """A filter in words that names a value but not its column ("just the Gentoo penguins",
    "only 2000 and later"): the plan finds the one column it fits in the staged sources."""

    kind: Literal["text", "year"] = Field(
        description="text: equal to `value` in the one text column holding it; year: compared "
        "with the one year-like or date column."
    )
    operator: Literal["=", ">=", ">", "<=", "<"] = "="
    value: str


class SchemaOverrides(Artifact):
    """What the person said about the schema; the baseline applies it, no model needed."""

    types: list[ColumnType] = Field(default_factory=list)
    foreign_keys: bool = Field(True, description="False: propose no foreign keys.")
    without_references: list[Reference] = Field(default_factory=list)
    renames: list[Rename] = Field(default_factory=list)
    skip_tables: list[str] = Field(default_factory=list, description="Tables not to import.")
    add_columns: list[ColumnMove] = Field(
        default_factory=list, description="Columns added to an existing table instead."
    )


# 1. understand ---------------------------------------------------------------------------
class RequestCore(Artifact):
    """What the person asked for, or why this is not an import request: what the model fills
    (the understand stage's output); `ImportRequest` adds what only the grammar reads."""

    # The model's schema forbids other keys anyway; an answer that also carries ImportRequest's
    # own fields (read, overrides) is read for these and the rest left out.
    model_config = ConfigDict(frozen=True, extra="ignore")

    status: Literal["ok", "cannot"] = "ok"
    reason: str | None = Field(
        None, description="Why this is not an import request (status=cannot)."
    )
    sources: list[str] = Field(default_factory=list, description="Paths, globs or URLs as written.")
    database: str | None = Field(None, description="Target database name.")
    table: str | None = Field(None, description="Single target table, if the person named one.")
    where: str | None = Field(None, description="Row filter as a SQL predicate (MySQL dialect).")
    key: list[str] = Field(default_factory=list, description="Primary key columns asked for.")
    mode: WriteMode | None = Field(None, description="create, append, upsert or replace.")
    create_tables: bool = Field(True, description="Whether new tables may be created.")
    recursive: bool = Field(False, description="Whether directories are searched recursively.")
    nested_lists: Literal["child_tables", "json_column"] = Field(
        "child_tables", description="How lists inside JSON records are imported."
    )
    summary: str = Field(
        "", max_length=600, description="One paragraph: this is my understanding..."
    )
    understood_by: Literal["grammar", "model"] = Field(
        "grammar", description="Set by the code, not the model: who read the request."
    )


class ImportRequest(RequestCore):
    """The request with how to read the files and what to do with the tables, where said."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    read: ReadOptions = Field(
        default_factory=ReadOptions, description="How to read the files, where the person said."
    )
    overrides: SchemaOverrides = Field(
        default_factory=SchemaOverrides, description="What the person said about the tables."
    )
    value_filters: list[ValueFilter] = Field(
        default_factory=list,
        description="Filters whose column the plan finds in the data (ANDed with `where`).",
    )
    notes: list[str] = Field(
        default_factory=list, description="What the person should know about how it was read."
    )
    table_modes: dict[str, WriteMode] = Field(
        default_factory=dict,
        description="Set by the code from the person's answers: how rows are written to each "
        "table that already exists (append, upsert or replace).",
    )
    checks: list[str] = Field(
        default_factory=list,
        description='Checks the person asked for in words ("check that age is never negative"), '
        "written as Dolt tests on the branch.",
    )


# 2. inspect ------------------------------------------------------------------------------
ValueFormat = Literal[
    "thousands", "decimal_comma", "percent", "percent_comma", "ymd", "dmy", "mdy", "month_name"
]
"""1,234.5 / 1.234,5 / 12.5% / 12,5% / 2015/01/31 / 31.01.2015 or 31/01/2015 / 01/31/2015 /
Jan 31 2015 or 31-Jan-2015."""


class ValueReading(Artifact):
    """How a text column's values become its type (see agents.inspection.value_formats)."""

    null_markers: list[str] = Field(
        default_factory=list, description="Values read as missing (NULL) in this column."
    )
    missing: dict[str, int] = Field(
        default_factory=dict, description="Markers found, and how many values each."
    )
    format: ValueFormat | None = Field(
        None, description="How numbers or dates are written; None: as DuckDB reads them."
    )


class ColumnProfile(Artifact):
    name: str = Field(description="Column name as staged (sanitised, unique).")
    source_name: str = Field(description="Header as it appears in the file.")
    inferred_type: str = Field(description="MySQL type confirmed against the whole column.")
    nullable: bool
    null_count: int
    empty_string_count: int = 0
    distinct_estimate: int
    min_value: str | None = None
    max_value: str | None = None
    max_length: int | None = None
    leading_zeros: bool = False
    reading: ValueReading | None = Field(
        None, description="How the text is read into inferred_type, when not as written."
    )


class SourceProfile(Artifact):
    source: str = Field(description="Where the data came from (path or URL), for people.")
    file: str = Field(description="Local file that was read.")
    relation: str = Field(description="Name of the staged relation the plan SELECTs from.")
    format: Literal["csv", "json", "jsonl", "parquet", "xlsx"]
    encoding: str | None = None
    delimiter: str | None = None
    header: bool | None = None
    row_count: int
    columns: list[ColumnProfile]
    sample_rows: list[dict[str, Any]] = Field(default_factory=list)
    candidate_keys: list[list[str]] = Field(default_factory=list)
    parent: str | None = Field(
        None, description="Parent relation, for a child table of nested lists."
    )
    rejected_rows: int = Field(
        0, description="Rows the reader could not parse (ragged, bad quoting)."
    )
    notes: list[str] = Field(default_factory=list)
    renamed: list[str] = Field(
        default_factory=list,
        description="Names changed because Dolt keeps them for itself (dolt_…, sqlite_…).",
    )

    def column(self, name: str) -> ColumnProfile:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)


class ForeignKeyCandidate(Artifact):
    relation: str
    columns: list[str]
    references_table: str = Field(description="Staged relation or existing table referenced.")
    references_columns: list[str]
    existing_table: bool = Field(False, description="True when the referenced table is on main.")
    containment: float = Field(description="Share of non-null values found in the referenced key.")


class ImportRecord(Artifact):
    """One source one job imported into one table: a row of the database's own ledger
    (`agents.execution.ledger`), merged into main with the data it describes."""

    job_id: str
    table: str
    source: str = Field(description="As shown to people: a path, or the URL redacted.")
    sha256: str = Field(description="The snapshot's SHA-256, 64 hex digits.")
    size: int = Field(description="Bytes.")
    mode: WriteMode
    rows_loaded: int
    request: str = Field(description="The request, as the job read it.")
    commit: str = Field(description="The Dolt commit that holds the rows.")
    imported_at: str = Field(description="UTC, ISO 8601 to the second.")

    @property
    def day(self) -> str:
        return self.imported_at[:10]


class Inspection(Artifact):
    database: str
    target_schema: dict[str, str] = Field(description="CREATE statements on main, MySQL dialect.")
    profiles: list[SourceProfile]
    foreign_keys: list[ForeignKeyCandidate] = Field(default_factory=list)
    snapshots: list[SourceSnapshot] = Field(
        default_factory=list, description="Every source as fixed in the job's folder."
    )
    skipped: list[SkippedSource] = Field(
        default_factory=list,
        description="Files a folder, glob or archive held that are not imported, and why.",
    )
    previous_imports: list[ImportRecord] = Field(
        default_factory=list,
        description="What main's ledger says was imported before from sources with these "
        "same contents (same SHA-256).",
    )


# 3. ask ----------------------------------------------------------------------------------
MAX_QUESTIONS = 4


class Question(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str = Field(description="Short identifier, e.g. 'people_key'.")
    text: str = Field(max_length=300, description="The question, one sentence.")
    choices: list[str] = Field(
        default_factory=list, description="Answers to pick from; empty for free text."
    )
    default: str = Field(description="The answer taken when the person skips.")
    why: str = Field(
        max_length=300, description="What changes in the result depending on the answer."
    )


class FollowUpQuestions(BaseModel):
    model_config = ConfigDict(frozen=True)

    status: Literal["ok", "cannot"] = "ok"
    reason: str | None = Field(None, max_length=300)
    questions: list[Question] = Field(default_factory=list, max_length=MAX_QUESTIONS)


# 4. propose schema -----------------------------------------------------------------------
class TableProposal(Artifact):
    name: str
    action: Literal["create", "existing", "alter"]
    ddl: list[str] = Field(default_factory=list, description="MySQL DDL statements to apply.")
    relations: list[str] = Field(
        validation_alias=AliasChoices("relations", "sources"),  # "sources" before 2026-12
        description="Staged relations that feed this table.",
    )


class SchemaEdit(Artifact):
    """One change to the baseline proposal; code applies it and writes the DDL."""

    action: Literal["fold_into", "rename", "skip", "set_key", "set_type"] = Field(
        description="fold_into: put this table's columns into `target` (joined on their key); "
        "rename: call this table `target`; skip: do not import it; set_key: make `columns` "
        "its primary key; set_type: give `columns` the MySQL type `target`."
    )
    table: str = Field(description="A table of the current proposal.")
    target: str | None = Field(None, description="Table (fold_into), new name, or type.")
    columns: list[str] = Field(default_factory=list, description="Columns for set_key/set_type.")


class SchemaProposal(Artifact):
    status: Literal["ok", "cannot"] = "ok"
    reason: str | None = Field(None, max_length=300)
    tables: list[TableProposal] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list, description="What the person should know.")
    edits: list[SchemaEdit] = Field(
        default_factory=list, description="The edits applied to the baseline, in order."
    )

    @property
    def ddl(self) -> list[str]:
        return [statement for table in self.tables for statement in table.ddl]


# 5. plan ---------------------------------------------------------------------------------
class PlanStep(Artifact):
    table: str
    select: str = Field(description="One SELECT over the staged relations, target column names.")
    mode: WriteMode
    relation: str | None = Field(
        None,
        validation_alias=AliasChoices("relation", "source"),  # "source" before 2026-12
        description="The staged relation whose rows are accounted for.",
    )
    source_rows: int = Field(description="Rows of that relation (the records read).")
    expected_rows: int = Field(description="Rows the SELECT returns (before rejects).")
    unreadable_rows: int = Field(
        0,
        description="Set by the code: records of source_rows the reader could not parse "
        "(ragged rows, bad quoting, broken JSON lines); they are rejected.",
    )


class ImportPlan(Artifact):
    status: Literal["ok", "cannot"] = "ok"
    reason: str | None = Field(None, max_length=300)
    steps: list[PlanStep] = Field(default_factory=list)
    checks: list[str] = Field(
        default_factory=list, description="Predicates every loaded row must satisfy."
    )
    notes: list[str] = Field(default_factory=list, description="What the person should know.")


# 6. execute ------------------------------------------------------------------------------
class Reject(Artifact):
    table: str
    file: str
    line: int | None
    column: str | None
    value: str | None
    reason: str


class TableLoad(Artifact):
    table: str
    source_rows: int
    loaded: int
    filtered: int
    rejected: int
    mode: WriteMode | None = Field(None, description="How the rows were written.")


class ExecutionReport(Artifact):
    job_id: str = Field(validation_alias=AliasChoices("job_id", "job"))  # "job" before 2026-12
    database: str
    branch: str
    base: str = Field(description="Commit of main the branch started from.")
    commit: str | None
    loads: list[TableLoad]
    rejects: list[Reject] = Field(default_factory=list)
    checks_passed: list[str] = Field(default_factory=list)
    sources: list[SourceSnapshot] = Field(default_factory=list, description="What was loaded.")


# 7. review -------------------------------------------------------------------------------
class SampleRow(BaseModel):
    """One changed row the review shows."""

    model_config = ConfigDict(frozen=True)

    change: str = Field(description="added, modified or removed.")
    row: dict[str, Any] = Field(
        description="Added: the new row. Removed: the old row. Modified: the key columns and "
        "the changed cells, with their new values."
    )
    before: dict[str, Any] = Field(
        default_factory=dict, description="Modified: the changed cells' old values."
    )

    @classmethod
    def from_old(cls, sample: dict) -> SampleRow:
        values = {k: v for k, v in sample.items() if k != "change"}
        return cls(change=str(sample.get("change", "")), row=values)


class TestOutcome(BaseModel):
    """A Dolt test's outcome on the branch, as the review shows it."""

    __test__: ClassVar[bool] = False  # not a pytest test class
    model_config = ConfigDict(frozen=True)

    name: str
    group: str
    query: str
    status: str = Field(description="PASS or FAIL, as dolt_test_run() says it.")
    message: str = ""

    @property
    def passed(self) -> bool:
        return self.status.upper() == "PASS"


class TableReview(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    change: str
    rows_added: int
    rows_modified: int
    rows_deleted: int
    rows_before: int
    rows_after: int
    schema_change: bool
    schema_before: str | None
    schema_after: str | None
    samples: list[SampleRow] = Field(default_factory=list)
    diff_csv: str = Field(
        "", description="The first `diff_csv_rows` changed rows as CSV, a change column first."
    )
    diff_csv_rows: int = 0
    rows_filtered: int = Field(0, description="Source rows the request's filter left out.")
    rows_rejected: int = Field(0, description="Source rows not written (unreadable, refused).")

    @property
    def rows_changed(self) -> int:
        return self.rows_added + self.rows_modified + self.rows_deleted

    @field_validator("samples", mode="before")
    @classmethod
    def _samples_of_old_records(cls, samples: list) -> list:
        """Before 2026-12 a sample was one dict: `{"change": ..., **the row's values}`."""
        return [SampleRow.from_old(s) if _is_old_sample(s) else s for s in samples]


def _is_old_sample(sample: object) -> bool:
    return isinstance(sample, dict) and not (
        isinstance(sample.get("row"), dict) and set(sample) <= {"change", "row", "before"}
    )


class Review(BaseModel):
    model_config = ConfigDict(frozen=True)

    job_id: str = Field(validation_alias=AliasChoices("job_id", "job"))  # "job" before 2026-12
    database: str
    branch: str
    commit: str | None
    tables: list[TableReview]
    rejected_rows: int
    rejects: list[Reject]
    conflicts: list[str] = Field(default_factory=list, description="Empty when the merge is clean.")
    destructive: list[str] = Field(
        default_factory=list,
        description="What merging deletes or overwrites on main (replace, upsert), in words.",
    )
    checks_passed: list[str] = Field(default_factory=list)
    sources: list[SourceSnapshot] = Field(default_factory=list, description="What was loaded.")
    tests: list[TestOutcome] = Field(
        default_factory=list,
        description="The Dolt tests run on the branch (dolt_test_run), the import's and main's.",
    )
    tests_note: str | None = Field(
        None,
        description="Why no Dolt tests ran, in words ('Dolt tests: not available on this "
        "server' on MariaDB); None when they ran.",
    )
    main_head: str | None = Field(
        None, description="main's commit when the review was computed (a merge compares it)."
    )
    revision: int = Field(
        1, description="Which load of the branch this is: 1, then one more per change asked for."
    )
    change: str = Field("", description="The change in words this revision made (none: 1).")
    previous_commit: str | None = Field(
        None, description="The branch's commit after the previous revision (none for the first)."
    )
    since_previous: list[TableReview] = Field(
        default_factory=list,
        description="What this revision changed since the previous one (the tables against "
        "main are `tables`); empty for the first.",
    )
    engine: str = Field(
        "doltlite", description="The database's engine (doltlite, dolt): which diff command works."
    )
    filtered_rows: int = Field(0, description="Source rows the request's filter left out.")
