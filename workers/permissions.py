"""Who may decide what: the requester and importers approve (and retry); mergers merge (and
revert a merged import); any of them may cancel."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from workers.errors import NotAllowed
from workers.job import Job, Person
from workers.stage_table import Action
from workers.who_acts import approvers, named

MERGE_ACTIONS = frozenset({Action.MERGE, Action.DISCARD, Action.REVERT})
REPLY = "reply to"
"""Not a decision: answering or asking for a change in the job's thread needs what approving
needs."""


@dataclass(frozen=True)
class Permissions:
    importers: frozenset[str] = frozenset()
    """Besides the requester, these may confirm and approve (user or group ids)."""
    mergers: frozenset[str] | None = None
    """Who may merge and discard (user or group ids); None: whoever may approve."""
    require_second_approver: bool = False
    members_of: Callable[[str], frozenset[str]] = field(default=lambda group: frozenset())
    """Resolves a user-group id to its members (cached by the surface)."""
    anyone: bool = False
    """Everyone may decide everything: the operator at a terminal that holds the job store
    (`importbot cancel`, `retry`), who could change the jobs there anyway."""

    def check(self, action: Action | str, actor: Person, job: Job) -> None:
        if self.anyone:
            return
        if action == Action.CANCEL and self.may_merge(actor):
            return  # the requester, an importer, or a merger may cancel
        if action in MERGE_ACTIONS:
            self._check_merge(action, actor, job)
        elif not self._may_approve(actor, job):
            raise NotAllowed(
                f"Only the requester (<@{job.requester.id}>) or an importer can {action} this "
                f"import; ask {named(approvers(job, self.importers))}."
            )

    def may_merge(self, actor: Person) -> bool:
        """Whether `actor` may merge anyone's imports (App Home shows them the buttons): a
        merger, or with no mergers configured, an importer."""
        return self._listed(actor.id, self.importers if self.mergers is None else self.mergers)

    def _may_approve(self, actor: Person, job: Job) -> bool:
        return actor.id == job.requester.id or self._listed(actor.id, self.importers)

    def _check_merge(self, action: Action | str, actor: Person, job: Job) -> None:
        if self.mergers is None:
            allowed = self._may_approve(actor, job)
        else:
            allowed = self._listed(actor.id, self.mergers)
        if not allowed:
            who = "one of the mergers: " if self.mergers else ""
            raise NotAllowed(
                f"You are not allowed to {action} imports; ask {who}{named(self._who_merges(job))}."
            )
        if action == Action.MERGE and self.require_second_approver and actor.id == job.requester.id:
            others = [i for i in self._who_merges(job) if i != actor.id]
            ask = f"; ask {named(others)}" if others else ""
            raise NotAllowed(
                "A second person must merge this import: you requested it, and this workspace "
                f"requires a second approver{ask}."
            )

    def _who_merges(self, job: Job) -> list[str]:
        """Who can merge, discard or revert this job (named in a refusal)."""
        return sorted(self.mergers) if self.mergers else approvers(job, self.importers)

    def _listed(self, user: str, ids: frozenset[str]) -> bool:
        if user in ids:
            return True
        return any(user in self.members_of(group) for group in ids if group.startswith("S"))
