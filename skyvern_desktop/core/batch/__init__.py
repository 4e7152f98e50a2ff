"""Batches: a spreadsheet's rows (sheets), their checks and counts (rows), the store on disk,
the runner with its watching and finding, and the export."""
