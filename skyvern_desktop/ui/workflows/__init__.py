"""The Workflows screen."""
