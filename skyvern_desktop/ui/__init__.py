"""Widgets and Qt item models, one folder per screen. Screens never import each other."""
