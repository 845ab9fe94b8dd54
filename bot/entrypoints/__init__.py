"""The entry points, which compose the parts: the `importbot` command (`cli`), the settings read
from the environment (the only place that reads it), a worker process (`worker`), the Slack bot
process (`slack`) and the choice of model (`llm`).
"""
