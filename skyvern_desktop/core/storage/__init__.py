"""The app's own files: how each is opened, set aside when damaged, and kept in memory
while the disk refuses writes. One rule for every file (``notices``, ``db``, ``files``)."""
