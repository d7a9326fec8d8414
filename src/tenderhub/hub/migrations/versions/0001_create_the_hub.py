"""create the hub's tables: registry, releases, feed, receipts, transparency log, shared
registration and identity, credit, blacklist, portal (announcements, subscriptions, index cursor)

Revision ID: 0001
Revises:
Create Date: 2026-11-28

Hubs made before this revision built their tables with ``create_all``; ``hub.migrate.prepare``
adopts such a database (creates what is missing and stamps 0001) instead of failing here.

MIGRATION SAFETY CHECKLIST (tick every line before merging):
[x] Runs on SQLite (batch mode) and PostgreSQL (tests/hub/test_hub_migrations.py).
[x] Column types are plain sqlalchemy types written here, not imported from tenderhub.
[x] New NOT NULL columns: n/a (first revision).
[x] No rename-and-drop: n/a (first revision).
[x] Large tables: n/a (first revision).
[x] JSON documents: n/a (first revision).
[x] tlog_leaves and tlog_nodes rows are never updated or deleted (created here only).
[x] downgrade() undoes upgrade() exactly; the round trip test passes.
[x] ``tenderhub.hub.migrate.check(url)`` is empty after upgrade.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

FTS = "portal_announcements_fts"
# Full text (see hub/search/schema.py; frozen copies here): FTS5 on SQLite, tsvector + GIN on PostgreSQL.
SQLITE_FULLTEXT = [
    f"CREATE VIRTUAL TABLE {FTS} USING fts5(tokens, content='portal_announcements', "
    "content_rowid='sort_key', tokenize='ascii', detail='none')",
    f"CREATE TRIGGER {FTS}_ai AFTER INSERT ON portal_announcements BEGIN "
    f"INSERT INTO {FTS}(rowid, tokens) VALUES (new.sort_key, new.tokens); END",
    f"CREATE TRIGGER {FTS}_ad AFTER DELETE ON portal_announcements BEGIN "
    f"INSERT INTO {FTS}({FTS}, rowid, tokens) VALUES ('delete', old.sort_key, old.tokens); END",
    f"CREATE TRIGGER {FTS}_au AFTER UPDATE ON portal_announcements BEGIN "
    f"INSERT INTO {FTS}({FTS}, rowid, tokens) VALUES ('delete', old.sort_key, old.tokens); "
    f"INSERT INTO {FTS}(rowid, tokens) VALUES (new.sort_key, new.tokens); END",
]
POSTGRESQL_FULLTEXT = [
    "ALTER TABLE portal_announcements ADD COLUMN tsv tsvector "
    "GENERATED ALWAYS AS (array_to_tsvector(string_to_array(tokens, ' '))) STORED",
    "CREATE INDEX portal_announcements_tsv ON portal_announcements USING gin (tsv)",
]


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _time() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table('hub_blacklist',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('uscc', sa.String(length=18), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('basis', _json(), nullable=False),
    sa.Column('authority', sa.String(length=200), nullable=False),
    sa.Column('start', _time(), nullable=False),
    sa.Column('end', _time(), nullable=True),
    sa.Column('listed_at', _time(), nullable=False),
    sa.Column('removed_at', _time(), nullable=True),
    sa.Column('removal_reason', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('hub_blacklist', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hub_blacklist_uscc'), ['uscc'], unique=False)

    op.create_table('hub_feed_head',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('last', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('hub_platforms',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('suite', sa.String(length=8), nullable=False),
    sa.Column('public_pem', sa.Text(), nullable=False),
    sa.Column('certificate_pem', sa.Text(), nullable=True),
    sa.Column('key_fingerprint', sa.String(length=64), nullable=False),
    sa.Column('info', _json(), nullable=False),
    sa.Column('registered_at', _time(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('hub_projects',
    sa.Column('code', sa.String(length=24), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('owner_uscc', sa.String(length=18), nullable=False),
    sa.Column('region', sa.String(length=6), nullable=False),
    sa.Column('approval', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('loaded_at', _time(), nullable=False),
    sa.PrimaryKeyConstraint('code')
    )
    with op.batch_alter_table('hub_projects', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hub_projects_owner_uscc'), ['owner_uscc'], unique=False)

    op.create_table('hub_sso_challenges',
    sa.Column('challenge', sa.String(length=128), nullable=False),
    sa.Column('issued_at', _time(), nullable=False),
    sa.PrimaryKeyConstraint('challenge')
    )
    with op.batch_alter_table('hub_sso_challenges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hub_sso_challenges_issued_at'), ['issued_at'], unique=False)

    op.create_table('hub_subjects',
    sa.Column('uscc', sa.String(length=18), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('record', _json(), nullable=False),
    sa.Column('registered_by', sa.String(length=200), nullable=False),
    sa.Column('registered_at', _time(), nullable=False),
    sa.Column('updated_at', _time(), nullable=False),
    sa.PrimaryKeyConstraint('uscc')
    )
    with op.batch_alter_table('hub_subjects', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hub_subjects_kind'), ['kind'], unique=False)

    op.create_table('hub_trust_cas',
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('certificate_pem', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('added_at', _time(), nullable=False),
    sa.Column('removed_at', _time(), nullable=True),
    sa.Column('removal_reason', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('fingerprint')
    )
    op.create_table('portal_index_cursor',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('position', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('portal_procedures',
    sa.Column('n', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('release_id', sa.String(length=300), nullable=False),
    sa.Column('ocid', sa.String(length=200), nullable=False),
    sa.Column('summary', _json(), nullable=False),
    sa.PrimaryKeyConstraint('n'),
    sa.UniqueConstraint('release_id')
    )
    with op.batch_alter_table('portal_procedures', schema=None) as batch_op:
        batch_op.create_index('portal_procedures_ocid', ['ocid', 'n'], unique=False)

    op.create_table('portal_subscriptions',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('owner', sa.String(length=200), nullable=False),
    sa.Column('query', sa.Text(), nullable=False),
    sa.Column('filters', _json(), nullable=False),
    sa.Column('webhook_url', sa.Text(), nullable=True),
    sa.Column('secret', sa.String(length=100), nullable=False),
    sa.Column('feed_token', sa.String(length=100), nullable=False),
    sa.Column('created_at', _time(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('hub_credit_records',
    sa.Column('seq', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('platform_id', sa.String(length=64), nullable=False),
    sa.Column('record_id', sa.String(length=64), nullable=False),
    sa.Column('uscc', sa.String(length=18), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('date', _time(), nullable=False),
    sa.Column('record', _json(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('signature', sa.Text(), nullable=False),
    sa.Column('received_at', _time(), nullable=False),
    sa.ForeignKeyConstraint(['platform_id'], ['hub_platforms.id'], ),
    sa.PrimaryKeyConstraint('seq'),
    sa.UniqueConstraint('platform_id', 'record_id', name='uq_hub_credit_platform_record')
    )
    with op.batch_alter_table('hub_credit_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hub_credit_records_uscc'), ['uscc'], unique=False)

    op.create_table('hub_releases',
    sa.Column('id', sa.String(length=300), nullable=False),
    sa.Column('ocid', sa.String(length=200), nullable=False),
    sa.Column('platform_id', sa.String(length=64), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('canonical', sa.Text(), nullable=False),
    sa.Column('signature', sa.Text(), nullable=False),
    sa.Column('date', sa.String(length=64), nullable=False),
    sa.Column('received_at', _time(), nullable=False),
    sa.ForeignKeyConstraint(['platform_id'], ['hub_platforms.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('hub_releases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hub_releases_ocid'), ['ocid'], unique=False)

    op.create_table('portal_deliveries',
    sa.Column('delivery_id', sa.String(length=40), nullable=False),
    sa.Column('subscription_id', sa.String(length=40), nullable=False),
    sa.Column('announcement_uid', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', _time(), nullable=False),
    sa.Column('last_status', sa.Integer(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', _time(), nullable=False),
    sa.Column('delivered_at', _time(), nullable=True),
    sa.ForeignKeyConstraint(['subscription_id'], ['portal_subscriptions.id'], ),
    sa.PrimaryKeyConstraint('delivery_id'),
    sa.UniqueConstraint('subscription_id', 'announcement_uid', name='portal_deliveries_once')
    )
    with op.batch_alter_table('portal_deliveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_portal_deliveries_subscription_id'), ['subscription_id'], unique=False)
        batch_op.create_index('portal_deliveries_due', ['status', 'next_attempt_at'], unique=False)

    op.create_table('portal_subscription_keys',
    sa.Column('subscription_id', sa.String(length=40), nullable=False),
    sa.Column('type', sa.String(length=32), nullable=False),
    sa.Column('region', sa.String(length=6), nullable=False),
    sa.ForeignKeyConstraint(['subscription_id'], ['portal_subscriptions.id'], ),
    sa.PrimaryKeyConstraint('subscription_id', 'type', 'region')
    )
    with op.batch_alter_table('portal_subscription_keys', schema=None) as batch_op:
        batch_op.create_index('portal_subscription_keys_match', ['type', 'region'], unique=False)

    op.create_table('hub_feed',
    sa.Column('position', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('release_id', sa.String(length=300), nullable=False),
    sa.Column('ocid', sa.String(length=200), nullable=False),
    sa.Column('platform_id', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['release_id'], ['hub_releases.id'], ),
    sa.PrimaryKeyConstraint('position'),
    sa.UniqueConstraint('release_id')
    )
    op.create_table('hub_receipts',
    sa.Column('release_id', sa.String(length=300), nullable=False),
    sa.Column('body', _json(), nullable=False),
    sa.Column('signature', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['release_id'], ['hub_releases.id'], ),
    sa.PrimaryKeyConstraint('release_id')
    )
    op.create_table('hub_chain_heads',
    sa.Column('leaf_index', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('platform_id', sa.String(length=64), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.Column('logged_at', _time(), nullable=False),
    sa.PrimaryKeyConstraint('leaf_index'),
    sa.UniqueConstraint('platform_id', 'seq', name='uq_hub_chain_heads_platform_seq')
    )
    with op.batch_alter_table('hub_chain_heads', schema=None) as batch_op:
        batch_op.create_index('ix_hub_chain_heads_platform_leaf', ['platform_id', 'leaf_index'], unique=False)

    op.create_table('tlog_leaves',
    sa.Column('idx', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('leaf_hash', sa.LargeBinary(length=32), nullable=False),
    sa.Column('entry', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('idx')
    )
    op.create_table('tlog_nodes',
    sa.Column('level', sa.SmallInteger(), autoincrement=False, nullable=False),
    sa.Column('idx', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('hash', sa.LargeBinary(length=32), nullable=False),
    sa.PrimaryKeyConstraint('level', 'idx')
    )
    op.create_table('portal_announcements',
    sa.Column('sort_key', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
    sa.Column('uid', sa.String(length=200), nullable=False),
    sa.Column('type', sa.String(length=32), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('ocid', sa.String(length=128), nullable=False),
    sa.Column('platform', sa.String(length=128), nullable=False),
    sa.Column('region', sa.String(length=12), nullable=False),
    sa.Column('industry', sa.String(length=64), nullable=True),
    sa.Column('method', sa.String(length=32), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('value', sa.Numeric(precision=20, scale=2), nullable=True),
    sa.Column('tokens', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('sort_key'),
    sa.UniqueConstraint('uid')
    )
    with op.batch_alter_table('portal_announcements', schema=None) as batch_op:
        batch_op.create_index('portal_announcements_ocid', ['ocid'], unique=False)
    op.bulk_insert(sa.table("hub_feed_head", sa.column("id", sa.Integer), sa.column("last", sa.BigInteger)), [{"id": 1, "last": 0}])
    op.bulk_insert(sa.table("portal_index_cursor", sa.column("id", sa.Integer), sa.column("position", sa.BigInteger)),
                   [{"id": 1, "position": 0}])
    for statement in SQLITE_FULLTEXT if op.get_bind().dialect.name == "sqlite" else POSTGRESQL_FULLTEXT:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"DROP TABLE IF EXISTS {FTS}")  # its triggers go with portal_announcements
    with op.batch_alter_table('portal_announcements', schema=None) as batch_op:
        batch_op.drop_index('portal_announcements_ocid')

    op.drop_table('portal_announcements')
    op.drop_table('tlog_nodes')
    op.drop_table('tlog_leaves')
    with op.batch_alter_table('hub_chain_heads', schema=None) as batch_op:
        batch_op.drop_index('ix_hub_chain_heads_platform_leaf')

    op.drop_table('hub_chain_heads')
    op.drop_table('hub_receipts')
    op.drop_table('hub_feed')
    with op.batch_alter_table('portal_subscription_keys', schema=None) as batch_op:
        batch_op.drop_index('portal_subscription_keys_match')

    op.drop_table('portal_subscription_keys')
    with op.batch_alter_table('portal_deliveries', schema=None) as batch_op:
        batch_op.drop_index('portal_deliveries_due')
        batch_op.drop_index(batch_op.f('ix_portal_deliveries_subscription_id'))

    op.drop_table('portal_deliveries')
    with op.batch_alter_table('hub_releases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hub_releases_ocid'))

    op.drop_table('hub_releases')
    with op.batch_alter_table('hub_credit_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hub_credit_records_uscc'))

    op.drop_table('hub_credit_records')
    op.drop_table('portal_subscriptions')
    with op.batch_alter_table('portal_procedures', schema=None) as batch_op:
        batch_op.drop_index('portal_procedures_ocid')

    op.drop_table('portal_procedures')
    op.drop_table('portal_index_cursor')
    op.drop_table('hub_trust_cas')
    with op.batch_alter_table('hub_subjects', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hub_subjects_kind'))

    op.drop_table('hub_subjects')
    with op.batch_alter_table('hub_sso_challenges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hub_sso_challenges_issued_at'))

    op.drop_table('hub_sso_challenges')
    with op.batch_alter_table('hub_projects', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hub_projects_owner_uscc'))

    op.drop_table('hub_projects')
    op.drop_table('hub_platforms')
    op.drop_table('hub_feed_head')
    with op.batch_alter_table('hub_blacklist', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hub_blacklist_uscc'))

    op.drop_table('hub_blacklist')
