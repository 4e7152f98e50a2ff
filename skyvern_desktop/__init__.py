"""Skyvern Desktop: a native dashboard for Skyvern workflows."""

__version__ = "0.1.0"
APP_NAME = "Skyvern Desktop"
APP_ID = "skyvern-desktop"
