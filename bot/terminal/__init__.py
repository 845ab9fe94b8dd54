"""The terminal surface: the importbot CLI, its conversation port and renderers."""
