"""The Skyvern server the app runs on this computer: where it runs from (runtime), the process,
and its example workflows."""
