"""Declarative procurement scenarios run on a fresh embedded system with a simulated clock."""
