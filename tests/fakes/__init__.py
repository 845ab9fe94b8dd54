"""Fakes for the network edge we cannot reach in tests (api.openai.com, slack.com).

Each one is a real server on 127.0.0.1 that speaks the real protocol; nothing here patches the
code under test. `network_guard` makes any other destination impossible while tests run.
"""
