"""CLI command groups, one module each; registered on the app by ``tracker.cli``."""
