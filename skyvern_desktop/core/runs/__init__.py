"""A run's life: watching it, its live picture and progress, whether it waits for a person, the
registry of open runs, its webhooks, input to a remote page."""
