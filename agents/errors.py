"""Errors of the import stages: one root, subclasses that say what the person can do."""

from __future__ import annotations


class AgentError(Exception):
    """Root of every error raised by the import stages."""


class SourceError(AgentError):
    """A source cannot be used (missing, outside the allowed roots, unsafe, too large)."""


class PathOutsideRoots(SourceError):
    """A local path that resolves outside every allowed data root."""


class SourceNotFound(SourceError):
    """A path, glob or URL that names nothing."""


class UnsafeUrl(SourceError):
    """A URL that points at a private, loopback or link-local address, or a bad scheme."""


class DownloadFailed(SourceError):
    """A URL that could not be fetched within the limits (size, time, status)."""


class SnapshotChanged(SourceError):
    """A source's snapshot in the job's folder is missing, or no longer has its size and sha256."""


class ArchiveRefused(SourceError):
    """A .gz or .zip that is too large, too compressed, or holds unsafe member names."""


class FormatError(AgentError):
    """A file that cannot be read as the format it claims; names the file and, if known, line."""

    def __init__(self, message: str, *, file: str, line: int | None = None) -> None:
        where = f"{file}, line {line}" if line is not None else file
        super().__init__(f"{where}: {message}")
        self.file = file
        self.line = line


class RequestNotUnderstood(AgentError):
    """A request the grammar (or the LLM) could not turn into an import request."""


class ProposalInvalid(AgentError):
    """A schema proposal or plan that failed validation (policy, names, dry run)."""


class PlanTooCostly(ProposalInvalid):
    """A plan SELECT that cannot be measured within the job's limits (time, DuckDB memory)."""


class ExecutionFailed(AgentError):
    """The import could not be written; `main` is untouched and the branch is reset."""


class VerificationFailed(ExecutionFailed):
    """Loaded data failed a check (counts, keys, the request's own predicates)."""


class LlmError(AgentError):
    """The language model could not give a usable answer."""

    retryable: bool = False


class LlmUnavailable(LlmError):
    """Every configured model failed (rate limits, server errors, timeouts); try again later."""

    retryable = True


class LlmRefused(LlmError):
    """The model refused to answer."""


class LlmTruncated(LlmError):
    """The answer was cut off at the token limit."""


class LlmInvalidOutput(LlmError):
    """The answer was not valid JSON for the expected artifact."""


class RepairExhausted(LlmError):
    """The model's artifact kept failing validation; carries the last error."""


class RevertRefused(ExecutionFailed):
    """A merged import that cannot be reverted as it is (main changed its rows since, or no
    longer holds its merge); nothing was changed on main."""
