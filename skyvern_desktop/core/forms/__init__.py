"""Forms: the rules for workflow inputs (params) and the code snippets a run's request becomes."""
