"""SQL text: the policy every statement passes, the MySQL ↔ SQLite dialect, names, predicates."""
