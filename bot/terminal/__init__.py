"""The terminal surface: what the stages say, shown on a terminal (`port`, `render`); the
`importbot` command that runs it is `bot.entrypoints.cli`.
"""
