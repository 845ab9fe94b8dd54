"""Who people are on Slack (real name and email for commit authors) and who is in a user
group (for IMPORTBOT_IMPORTERS / IMPORTBOT_MERGERS), cached."""

from __future__ import annotations

import threading
import time
from typing import TypeVar

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from workers.job import Person

T = TypeVar("T")


class SlackDirectory:
    def __init__(self, client: WebClient, *, ttl_seconds: float = 600.0) -> None:
        self.client = client
        self.ttl_seconds = ttl_seconds
        self._people: dict[str, tuple[float, Person]] = {}
        self._groups: dict[str, tuple[float, frozenset[str]]] = {}
        self._lock = threading.Lock()

    def person(self, user_id: str) -> Person:
        cached = self._fresh(self._people, user_id)
        if cached is not None:
            return cached
        try:
            user = self.client.users_info(user=user_id)["user"]
        except SlackApiError:
            return Person(id=user_id, name=user_id)
        profile = user.get("profile", {})
        person = Person(
            id=user_id,
            name=profile.get("real_name") or user.get("real_name") or user.get("name") or user_id,
            email=profile.get("email") or None,
        )
        with self._lock:
            self._people[user_id] = (time.monotonic(), person)
        return person

    def members_of(self, group_id: str) -> frozenset[str]:
        cached = self._fresh(self._groups, group_id)
        if cached is not None:
            return cached
        try:
            members = frozenset(self.client.usergroups_users_list(usergroup=group_id)["users"])
        except SlackApiError:
            members = frozenset()
        with self._lock:
            self._groups[group_id] = (time.monotonic(), members)
        return members

    def _fresh(self, cache: dict[str, tuple[float, T]], key: str) -> T | None:
        with self._lock:
            hit = cache.get(key)
        if hit and time.monotonic() - hit[0] < self.ttl_seconds:
            return hit[1]
        return None
