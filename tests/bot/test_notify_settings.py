"""Issue 15, point 1: how mergers are told and when waiting jobs are reminded or expire, read
from the environment (IMPORTBOT_NOTIFY_MERGERS, IMPORTBOT_REMIND_AFTER, IMPORTBOT_EXPIRE_AFTER)
and handed to the watchdog."""

from __future__ import annotations

import pytest

from bot.entrypoints.settings import Settings
from bot.entrypoints.worker import watchdog_settings
from workers.durations import InvalidDuration


def test_the_defaults_are_a_mention_four_hours_and_seven_days():
    settings = Settings.from_environment({})
    assert settings.notify_mergers == "mention"
    assert settings.remind_after_seconds == 4 * 3600
    assert settings.expire_after_seconds == 7 * 86400


def test_the_watchdog_gets_the_durations_and_who_merges():
    env = {
        "IMPORTBOT_REMIND_AFTER": "30m",
        "IMPORTBOT_EXPIRE_AFTER": "2d",
        "IMPORTBOT_MERGERS": "S_LEADS",
        "IMPORTBOT_NOTIFY_MERGERS": "DM",
    }
    settings = Settings.from_environment(env)
    assert settings.notify_mergers == "dm"
    reminders = watchdog_settings(settings).reminders
    assert reminders is not None
    assert (reminders.remind_after_seconds, reminders.expire_after_seconds) == (1800, 172800)
    assert reminders.mergers == frozenset({"S_LEADS"})


def test_a_setting_that_is_not_one_is_refused_in_words():
    with pytest.raises(ValueError, match="IMPORTBOT_NOTIFY_MERGERS must be one of mention, dm"):
        Settings.from_environment({"IMPORTBOT_NOTIFY_MERGERS": "email"})
    with pytest.raises(InvalidDuration, match="write it like 30m, 4h or 7d"):
        Settings.from_environment({"IMPORTBOT_REMIND_AFTER": "four hours"})
