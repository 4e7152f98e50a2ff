"""Connections: profiles, the API key's keyring entry, the connection check, and small rules
about addresses."""
