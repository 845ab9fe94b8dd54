"""What the bot asks of Slack: the single source of truth `slack-manifest.yml` is checked against.

Change a feature here and in the manifest together; tests/test_deployment.py keeps them equal.
Scopes are the least the features need, each tied to the method or event that requires it
(Slack's reference pages, docs.slack.dev/reference/methods/<method> and .../events/<event>).
Not listed because they need no scope: auth.test, chat.getPermalink, views.open, views.publish,
and the app_home_opened event (it needs only a bot user and the Home tab enabled).
"""

BOT_SCOPES: frozenset[str] = frozenset(
    {
        # Event `app_mention`: people start a request with "@importbot import ...".
        "app_mentions:read",
        # chat.postMessage (replies in the thread), chat.update (progress edited in place, final
        # state after Merge/Discard) and chat.postEphemeral (refusals only the clicker sees).
        # Not chat:write.public: the bot answers only where it was invited or addressed.
        "chat:write",
        # The `/import` slash command.
        "commands",
        # conversations.open: the direct message each merger gets when a review is ready
        # (IMPORTBOT_NOTIFY_MERGERS=dm); posting into it is chat:write.
        "im:write",
        # reactions.add / .remove: the outcome on the request message (merged, discarded,
        # failed; a failure's mark replaced when a retry succeeds).
        "reactions:write",
        # Event `message.im`: requests and follow-up answers in the bot's Messages tab (DM).
        "im:history",
        # Event `message.channels`: thread replies in public channels, routed to their job.
        "channels:history",
        # Event `message.groups`: the same in private channels the bot was invited to.
        "groups:history",
        # users.info: the requester's and merger's names, for commit authors and messages.
        "users:read",
        # users.info's `email` field (needs users:read as well): `Name <email>` commit authors.
        "users:read.email",
        # usergroups.users.list: expands user-group ids (S...) in IMPORTBOT_IMPORTERS/MERGERS.
        "usergroups:read",
        # Downloading `url_private` of files attached to a request (Bearer bot token); without
        # it Slack answers with a login page instead of the file.
        "files:read",
        # files.getUploadURLExternal + files.completeUploadExternal (slack_sdk files_upload_v2):
        # long DDL, plans, diffs and rejected rows shared into the thread as files.
        "files:write",
    }
)

WEB_API_METHODS: dict[str, str | None] = {
    # Every Web API method the bot and the workers call, and the bot scope it needs (None:
    # none). tests/bot/test_slack_surface.py finds the calls in bot/ and checks this list.
    "auth.test": None,
    "chat.postMessage": "chat:write",
    "chat.update": "chat:write",
    "chat.postEphemeral": "chat:write",
    "chat.getPermalink": None,  # the link to the review in a merger's DM
    "conversations.open": "im:write",  # the DM to each merger (IMPORTBOT_NOTIFY_MERGERS=dm)
    "reactions.add": "reactions:write",
    "reactions.remove": "reactions:write",  # ❌ taken off when a retried job merges
    "views.open": None,
    "views.publish": None,
    "users.info": "users:read",
    "usergroups.users.list": "usergroups:read",
    "files.getUploadURLExternal": "files:write",  # files_upload_v2
    "files.completeUploadExternal": "files:write",  # files_upload_v2
}
SCOPES_WITHOUT_A_METHOD: dict[str, str] = {
    "files:read": "downloading the url_private of files attached to a request",
    "users:read.email": "the email field in what users.info answers (commit authors)",
}

BOT_EVENTS: frozenset[str] = frozenset(
    {
        "app_mention",  # a request addressed to the bot in a channel
        "message.im",  # a request or an answer in a direct message
        "message.channels",  # thread replies in public channels (answers to questions, changes)
        "message.groups",  # thread replies in private channels
        "app_home_opened",  # publish the App Home tab for whoever opens it
    }
)

SLASH_COMMANDS: dict[str, str] = {
    "/import": "Import files into a Dolt database on a new branch, reviewed before merge",
}

# Events, interactivity (buttons, modals) and slash commands all arrive on this one path.
EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
