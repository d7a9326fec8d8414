"""Data exchange: the OCDS mapping, validation, merging, packages and import (``exchange.ocds``).

Outside the layers, like ``crypto/``: it reads core aggregates and never writes them.
"""
