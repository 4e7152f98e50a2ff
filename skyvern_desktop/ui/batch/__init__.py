"""The Batches screen: one workflow, every row of a spreadsheet (see core/batch*.py)."""
