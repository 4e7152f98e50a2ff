"""Test tooling that ships with neither the app nor its bundle: the cached Skyvern test
server's environment (server_build)."""
