"""The Slack surface: the Bolt app, the intake, pure Block Kit renderers, the Slack side of the
conversation port.
"""
