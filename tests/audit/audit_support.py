"""Support for the audit tests. A platform after a real procurement (scenario 01) with three stored bid files, on the
database ``database_url`` gives (SQLite, or PostgreSQL in the second run), ready to tamper."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from tenderhub.blobs import FileBlobStore
from tenderhub.db.engine import make_engine

SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "01-works-open-tender-happy-path.yaml"
FILES = (b"bid package one" * 100, b"bid package two" * 200, b"tender document")


@dataclass
class Platform:
    data_dir: Path
    url: str
    store: FileBlobStore
    digests: list[str]

    def args(self) -> list[str]:
        return ["--data-dir", str(self.data_dir), "--db", self.url]

    def sql(self, *statements: str, **params: object) -> None:
        """Tamper with raw SQL, as someone with database access would."""
        engine = make_engine(self.url)
        with engine.begin() as conn:
            for statement in statements:
                conn.execute(sa.text(statement), params)
        engine.dispose()

    def seqs(self) -> list[int]:
        engine = make_engine(self.url)
        with engine.connect() as conn:
            seqs = list(conn.execute(sa.text("SELECT seq FROM audit_events ORDER BY seq")).scalars())
        engine.dispose()
        return seqs


