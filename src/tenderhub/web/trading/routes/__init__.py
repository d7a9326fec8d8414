"""One router module per aggregate (STYLE rule 2)."""
