"""Schedules: cron expressions in words and back, and the rules for saving, next runs and Run
now."""
