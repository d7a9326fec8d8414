"""Persistence: aggregates stored as JSON documents plus indexed columns (ADR 0003).

Entry points: ``engine.make_engine``, ``migrate.upgrade``, ``uow.UnitOfWork``.
"""
