"""The Schedules screen."""
