"""Owners of the data several screens read: the workflows catalogue (and its Qt model),
and what the Workflows details panel lists of a workflow's schedules."""
