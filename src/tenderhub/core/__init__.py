"""The procurement domain in plain Python: standard library only (STYLE rule 1)."""
