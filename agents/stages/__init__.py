"""The LLM stages: one module each (instructions, input, output model, `run`).

Every stage starts from the deterministic baseline, sends a bounded context (profiles and a
few untrusted sample rows, never files), validates what comes back and asks the model to
repair it with the exact error, at most three times.
"""
