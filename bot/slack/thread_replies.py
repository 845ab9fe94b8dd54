"""What a message in a job's thread asks of the bot — a pure decision, no Slack, no I/O.

People talk in a job's thread: "looks good to me", "thanks Grace!", a colleague's question. The
bot answers only what is meant for it: the requester's (or an importer's) reply that answers a
pending question or is clearly a change, "cancel", and a message that mentions the bot. A
change is clear when the request grammar reads it as one ("use id as the key", "no foreign
keys", "type zip VARCHAR(10)", "only rows where …") or when it is said like one (starts with a
verb of change — use, rename, call, drop, keep, make, … — or says "instead", "rather than",
"as the key"). Everything else is left alone: no answer, nothing changed.

A question with fixed choices takes only one of its choices (as written, or its number); any
other reply to it is asked about once, ephemerally (the caller keeps the "once").

A colleague who may not change the job (not the requester, not an importer) and says a change
is told once, ephemerally, that they cannot: silence would leave them thinking the bot took
it, and an ephemeral reply is seen by nobody else. Their other comments are left alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from agents.artifacts import Question
from workers.job import Job
from workers.revision_in_words import reads_as_a_change
from workers.stage_table import Stage, awaited_stage
from workers.states import Status

CANCEL_WORDS = frozenset({"cancel", "stop", "abort"})
_COURTESY = r"(?:please|pls|kindly|also|and|but|so|actually|ok(?:ay)?,?|then|now|maybe)"
_ASKING = (
    r"(?:(?:can|could|would|will)\s+(?:you|we)|let'?s|i\s+(?:want|need|would\s+like|'d\s+like)"
    r"\s+(?:you\s+)?to|we\s+(?:need|want|should)\s+(?:to)?|you\s+should|just)"
)
_CHANGE_VERB = (
    r"(?:use|rename|call|name|make|change|set|add|drop|remove|skip|exclude|include|keep|type|"
    r"key|mode|treat|read|parse|cast|convert|split|filter|append|upsert|replace|put|move|turn|"
    r"only|don'?t|do\s+not|never|without|instead|import|load|"
    r"no\s+(?!worries|problem|prob|rush|idea|clue|thanks|way\b|need\b))"
)
_SAID_AS_A_CHANGE = re.compile(
    rf"(?:^|[.!?;:\n]\s*)\s*(?:(?:{_COURTESY}|{_ASKING})[\s,]+)*{_CHANGE_VERB}\b", re.I
)
_CHANGE_ANYWHERE = re.compile(
    r"\binstead\b|\brather\s+than\b|\bas\s+(?:the|a)\s+(?:primary\s+)?key\b|\bprimary\s+key\b",
    re.I,
)
_CHATTER = re.compile(
    r"^(?:thanks|thank\s+you|thx|ty|cheers|lgtm|looks\s+(?:good|great|fine|right)|"
    r"sounds\s+(?:good|great)|great|nice|cool|ok(?:ay)?|perfect|awesome|no\s+worries|"
    r"no\s+problem|np|got\s+it|will\s+do|yes|yep|yeah|sure|wow|haha|lol|\+1)\b",
    re.I,
)
_DECIDES = re.compile(  # a whole message that is a decision: the buttons make those
    r"^(?:please\s+)?(?:approve|merge|discard|run|go\s+ahead|ship)"
    r"(?:\s+(?:it|this|the\s+import|now|please))*[\s.!]*$",
    re.I,
)
BUTTONS = "Decisions are made with the buttons: press the one you mean on the newest message above."
_SLACK_REFERENCE = re.compile(r"<[@#!][^>]*>")
_EMOJI = re.compile(r":[a-z0-9_+\-']+:")
_A_PERSON = re.compile(r"<@([A-Z0-9_]+)(?:\|[^>]*)?>")


class Reply(StrEnum):
    ANSWER = "answers"
    """Answers the pending questions: `answers`."""
    CHANGE = "change"
    """A change to the artifact awaiting a decision (the text is the feedback)."""
    CANCEL = "cancels"
    IGNORE = "ignore"
    """Meant for people, not the bot: no answer, nothing changes."""
    ASK_ONCE = "ask_once"
    """A reply to questions with fixed choices that is none of them: say so ephemerally, once
    per person and version of the questions (`note`)."""
    REFUSE_ONCE = "refuse_once"
    """A change said by someone who may not make it: tell them ephemerally, once per person
    and job (the caller names who can)."""
    NOT_NOW = "not_now"
    """Meant for the bot, but nothing awaits a decision: say so ephemerally (`note`)."""


@dataclass(frozen=True)
class ReplyReading:
    reply: Reply
    answers: dict[str, str] = field(default_factory=dict)
    note: str = ""


IGNORED = ReplyReading(Reply.IGNORE)


def read_reply(
    job: Job, *, text: str, may_change: bool, mentions_bot: bool, bot_user_id: str = ""
) -> ReplyReading:
    """What `text`, written in `job`'s thread, asks of the bot. `may_change`: its writer is the
    requester or an importer; `mentions_bot`: it names the bot (`text` still may, by
    `<@bot_user_id>`)."""
    others = {u for u in _A_PERSON.findall(text) if u != bot_user_id}
    words = _plain_words(text)
    if not words or (others and not mentions_bot):
        return IGNORED  # empty, or addressed to someone else
    cancels = words.lower().rstrip(".! ") in CANCEL_WORDS
    change = cancels or says_a_change(job, words)
    if _CHATTER.match(words) and not change:
        return IGNORED
    if not may_change:
        return ReplyReading(Reply.REFUSE_ONCE) if change else IGNORED
    if cancels:
        return ReplyReading(Reply.CANCEL)
    if _DECIDES.match(words):
        return ReplyReading(Reply.NOT_NOW, note=BUTTONS) if mentions_bot else IGNORED
    awaited = awaited_stage(job.status)
    if awaited is None or job.pending is not None:
        if not (change or mentions_bot):
            return IGNORED
        return ReplyReading(Reply.NOT_NOW, note=_nothing_awaited(job))
    if awaited.stage == Stage.QUESTIONS:
        return _answer(job.questions().questions, words)
    if change or mentions_bot:
        return ReplyReading(Reply.CHANGE)
    return IGNORED


def _nothing_awaited(job: Job) -> str:
    if job.status == Status.FAILED:
        return (
            f"Job {job.id} failed: press *Retry* or *Edit request* on its failure message to "
            "go on, or start a new request."
        )
    return f"Job {job.id} is {job.status.words}; there is nothing to answer right now."


def says_a_change(job: Job, text: str) -> bool:
    """Whether `text` is clearly a change: said like one, or read as one by the grammar."""
    if _SAID_AS_A_CHANGE.search(text) or _CHANGE_ANYWHERE.search(text):
        return True
    return reads_as_a_change(job, text)


def _answer(questions: list[Question], words: str) -> ReplyReading:
    """A choice of one question answers it; otherwise a free-text question takes the reply;
    otherwise (only questions with choices) the person is asked once to pick."""
    said = _normalized(words)
    chosen = {
        q.id: choice
        for q in questions
        for index, choice in enumerate(q.choices)
        if said in (_normalized(choice), str(index + 1))
    }
    by_number = said.isdigit() and len([q for q in questions if q.choices]) > 1
    if len(chosen) == 1 and not by_number:
        return ReplyReading(Reply.ANSWER, answers=chosen)
    free = next((q for q in questions if not q.choices), None)
    if free is not None:
        return ReplyReading(Reply.ANSWER, answers={free.id: words})
    return ReplyReading(Reply.ASK_ONCE, note=pick_a_choice(questions))


def pick_a_choice(questions: list[Question]) -> str:
    """The ephemeral note for a reply that is none of the choices."""
    with_choices = [q for q in questions if q.choices]
    if len(with_choices) == 1:
        choices = ", ".join(f"`{c}`" for c in with_choices[0].choices[:6])
        return (
            f"That is not one of the choices ({choices}). Reply with one of them, or pick it "
            "in the message above and press *Submit answers*."
        )
    return (
        "These questions take one of their choices: pick them in the message above and press "
        "*Submit answers* (or *Skip* for the defaults)."
    )


def _plain_words(text: str) -> str:
    """The text without Slack references and emoji, whitespace collapsed."""
    return " ".join(_EMOJI.sub(" ", _SLACK_REFERENCE.sub(" ", text)).split())


def _normalized(text: str) -> str:
    return " ".join(text.lower().strip(" .!?\"'`*_").split())
