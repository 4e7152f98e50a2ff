"""Files the app ships (installed as the ``skyvern_desktop.resources`` package)."""
