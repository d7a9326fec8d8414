"""${message}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
Create Date: ${create_date}

MIGRATION SAFETY CHECKLIST (tick every line before merging):
[ ] Runs on SQLite (batch mode: constraints named by tables.NAMING) and PostgreSQL.
[ ] Column types are plain sqlalchemy types written here, not imported from tenderhub
    (a migration is frozen in time; the app's code moves on).
[ ] New NOT NULL columns have a server_default or a backfill step before the constraint.
[ ] No rename-and-drop in one release: add the new column, backfill, switch readers,
    drop in a later revision.
[ ] Large tables: indexes on PostgreSQL created CONCURRENTLY (outside the transaction)
    and no full-table rewrite under an exclusive lock.
[ ] JSON documents: a change of an aggregate's shape needs a data migration of ``doc``
    (or a tolerant default in the dataclass), never a silent break of from_doc.
[ ] tlog_leaves and tlog_nodes rows are never updated or deleted (the Merkle log would break).
[ ] downgrade() undoes upgrade() exactly; the round trip test passes.
[ ] ``tenderhub.hub.migrate.check(url)`` is empty after upgrade.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
${imports if imports else ""}

revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}
branch_labels = ${repr(branch_labels)}
depends_on = ${repr(depends_on)}


def upgrade() -> None:
    ${upgrades if upgrades else "pass"}


def downgrade() -> None:
    ${downgrades if downgrades else "pass"}
