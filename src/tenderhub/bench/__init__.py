"""Benchmarks (``tenderhub bench NAME``): each measures a platform path and, in the same run,
the raw limit of the same work done directly, and ends with one JSON line holding ``ratio``.
See docs/benchmarks.md."""
