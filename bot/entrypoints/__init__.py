"""Entry points' wiring: settings read from the environment, and the composition of worker, Slack
bot and model.
"""
