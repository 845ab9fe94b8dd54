"""Loading a local file into DuckDB relations the plan can SELECT from: one module per format,
encodings and names.
"""
