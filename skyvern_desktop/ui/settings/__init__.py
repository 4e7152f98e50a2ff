"""Connections: the first-run dialog and the Settings dialog."""
