"""The HTTP edge: one FastAPI app per audience (``trading`` for the trading platform).

Handlers parse nothing and decide nothing: they resolve the acting party, hand the body as a
plain mapping to one use case in ``tenderhub.services`` and map ``DomainError`` to a problem.
"""
