"""The language-model client, its settings, and the local model (fetch and server)."""
