"""Pure Slack Block Kit renderers: our artifacts in, `Message`s (and views) out. No I/O."""

from bot.slack.messages.actions import ButtonRef, QuestionRef
from bot.slack.messages.checklist import render_checklist
from bot.slack.messages.decided import render_decided, render_error, render_final, render_notice
from bot.slack.messages.home import HomeJob, home_view
from bot.slack.messages.message import Message, OutgoingFile
from bot.slack.messages.modal import changes_modal
from bot.slack.messages.plan import render_plan
from bot.slack.messages.questions import render_questions
from bot.slack.messages.review import render_review, render_review_details
from bot.slack.messages.schema import render_schema
from bot.slack.messages.understanding import render_understanding

__all__ = [
    "ButtonRef",
    "HomeJob",
    "Message",
    "OutgoingFile",
    "QuestionRef",
    "changes_modal",
    "home_view",
    "render_checklist",
    "render_decided",
    "render_error",
    "render_final",
    "render_notice",
    "render_plan",
    "render_questions",
    "render_review",
    "render_review_details",
    "render_schema",
    "render_understanding",
]
