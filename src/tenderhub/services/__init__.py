"""Use cases of the trading platform: one function per use case, one transaction each."""
