"""Pieces every app shares: the problem format, error mapping, the acting party."""
