"""Shared kernel: errors, rules, clock, money, identifiers, legal day counting."""
