"""Submitting a request, with both stores (a jobs folder, the real Redis): ids that do not collide
in practice, a collision noticed and never a request lost, the first job left as it was."""

from __future__ import annotations

import re

import pytest

from tests.workers.test_job_stores import ADA, GRACE, TERMINAL, client, store
from workers.inline_scheduler import InlineScheduler
from workers.job import Place
from workers.stage_table import Step
from workers.submit import (
    ID_ALPHABET,
    ID_RANDOM_CHARACTERS,
    JobIdsExhausted,
    new_job_id,
    submit_job,
)

__all__ = ["client", "store"]  # the fixtures, shared with the protocol tests

TAKEN, FREE = "20261207-k3f9q2m7xa", "20261207-7hw2c9dmre"


def _ids(*ids: str):
    return iter(ids).__next__


def _submit(store, scheduler, text: str, *, new_id, requester=ADA, place=TERMINAL):
    return submit_job(
        store=store,
        scheduler=scheduler,
        text=text,
        requester=requester,
        place=place,
        new_id=new_id,
    )


def test_job_ids_are_the_day_and_50_random_bits_in_letters_that_cannot_be_misread():
    ids = {new_job_id() for _ in range(5000)}
    assert len(ids) == 5000
    assert all(re.fullmatch(r"\d{8}-[0-9a-hjkmnp-tv-z]{10}", job_id) for job_id in ids)
    assert len(set(ID_ALPHABET)) ** ID_RANDOM_CHARACTERS >= 2**50
    # 1,000 jobs a day: the chance two of one day share an id is below one in a billion
    assert 1000 * 999 / 2 / len(ID_ALPHABET) ** ID_RANDOM_CHARACTERS < 1e-9


@pytest.mark.parametrize("place", [TERMINAL, Place(kind="slack", channel="C1", thread_ts="2.2")])
def test_an_id_another_request_holds_is_noticed_and_the_request_gets_another(store, place):
    scheduler = InlineScheduler()
    _submit(store, scheduler, "import a.csv into x", new_id=_ids(TAKEN))
    second, created = _submit(
        store,
        scheduler,
        "import b.csv into y",
        new_id=_ids(TAKEN, FREE),  # the first draw is the id the first request holds
        requester=GRACE,
        place=place,
    )
    assert created and second.id == FREE and second.text == "import b.csv into y"
    kept = store.get(TAKEN)
    assert (kept.text, kept.requester.id, kept.place) == ("import a.csv into x", "U_ADA", TERMINAL)
    assert [j.id for j in store.jobs(requester="U_GRACE")] == [FREE]
    assert [j.id for j in store.jobs(requester="U_ADA")] == [TAKEN]
    assert [(step, job_id) for step, job_id, _ in scheduler.pending] == [
        (Step.UNDERSTAND, TAKEN),
        (Step.UNDERSTAND, FREE),
    ]


def test_a_repeated_request_in_a_thread_is_still_its_one_job(store):
    scheduler, thread = InlineScheduler(), Place(kind="slack", channel="C1", thread_ts="1.1")
    first, created = _submit(
        store, scheduler, "import a.csv into x", new_id=_ids(TAKEN), place=thread
    )
    again, again_created = _submit(
        store, scheduler, "import a.csv into x", new_id=_ids(FREE), place=thread
    )
    assert created and not again_created and again.id == first.id == TAKEN
    assert [j.id for j in store.jobs()] == [TAKEN] and len(scheduler.pending) == 1


def test_when_every_draw_is_taken_the_request_is_refused_not_dropped(store):
    scheduler = InlineScheduler()
    _submit(store, scheduler, "import a.csv into x", new_id=_ids(TAKEN))
    with pytest.raises(JobIdsExhausted, match="was not saved"):
        _submit(store, scheduler, "import b.csv into y", new_id=lambda: TAKEN)
    assert store.get(TAKEN).text == "import a.csv into x"
