"""Dolt sql-server: the MySQL-protocol backend."""
