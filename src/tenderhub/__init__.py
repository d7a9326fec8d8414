"""tenderhub: full-process electronic tendering and public resource trading."""

__version__ = "0.1.0"
