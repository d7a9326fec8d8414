"""One repository per aggregate (STYLE rule 2); all SQL lives here."""
