"""The run launcher: a form generated from a workflow's typed inputs, and the run options."""
