"""The classroom app: a Solara page around one live model, and ``massengage app``."""
