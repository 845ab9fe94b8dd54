"""The deterministic baseline: a schema proposal and an identity plan from the inspection, no model
needed.
"""
