"""The hub (public service platform): registry, exchange ingestion, transparency log."""
