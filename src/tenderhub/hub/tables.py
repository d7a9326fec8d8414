"""The hub's own tables (its own ``MetaData``, its own database: never shared with a platform).

* ``platforms``: the registry of trading platforms, with their signing key and the public
  information the work plan's item 11 requires; also the lower hubs of the tree (``kind``
  ``hub``) and, in ``via``, the lower hub a forwarded platform came through (``hub/tree.py``).
* ``releases``: every accepted OCDS release, one row each (ADR 0013): its feed ``position``
  (the key; taken from ``feed_head`` inside the ingest transaction, so positions are handed
  out in commit order, see ``ingest.py``), its canonical JSON (byte-exact), the digest, the
  platform's signature (of the release alone, or of its batch: ``batch_id`` and the audit
  path) and the hub's receipt (signed alone, or in a receipt batch), returned again on a
  repeated post. Unique by (ocid, id).
* ``ocids``: the platform each contracting process belongs to (claimed by its first release).
* ``platform_batches``: a platform's signature over the Merkle root of a batch of releases,
  and the batch's leaf digests when the whole batch was sent (ADR 0021).
* ``receipt_batches``: the hub's signature over the Merkle root of a batch of receipts, and
  their digests (audit paths are computed on read from them, ADR 0021).
* ``feed_head``: one row, the last position handed out (the row lock serializes ingests).
"""

from __future__ import annotations

import sqlalchemy as sa

from tenderhub.db.types import JsonType, UtcDateTime

metadata = sa.MetaData()

platforms = sa.Table(
    "hub_platforms",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("suite", sa.String(8), nullable=False),
    sa.Column("public_pem", sa.Text, nullable=False),
    sa.Column("certificate_pem", sa.Text, nullable=True),
    sa.Column("key_fingerprint", sa.String(64), nullable=False),
    sa.Column("info", JsonType, nullable=False),
    sa.Column("registered_at", UtcDateTime, nullable=False),
    # "platform" (a trading platform) or "hub" (a lower hub of the tree, hub/tree.py)
    sa.Column("kind", sa.String(8), nullable=False, server_default="platform"),
    sa.Column("via", sa.String(64), nullable=True),  # the lower hub that forwarded the registration
    # the platform's OCDS ocid prefix: ocids under it are its alone (none may overlap another's)
    sa.Column("ocid_prefix", sa.String(64), nullable=True),
    sa.UniqueConstraint("ocid_prefix", name="uq_hub_platforms_ocid_prefix"),
)

releases = sa.Table(
    "hub_releases",
    metadata,
    # the feed position (taken from ``feed_head`` in the ingest transaction, ADR 0008) is the key
    sa.Column("position", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("id", sa.String(300), nullable=False, index=True),
    sa.Column("ocid", sa.String(200), nullable=False),
    # the owner of its ocid (``hub_ocids``, which keeps the key to ``hub_platforms``): the ingest
    # stores a release only for its ocid's owner, so no key check per release row (ADR 0033)
    sa.Column("platform_id", sa.String(64), nullable=False),
    sa.Column("digest", sa.String(64), nullable=False),
    sa.Column("canonical", sa.Text, nullable=False),
    sa.Column("signature", sa.Text, nullable=True),  # the platform's signature of this release alone, or
    # no foreign keys to the batch tables: written in the same transaction as the rows that name
    # them, and on PostgreSQL a key check per row costs as much as the row (ADR 0013)
    sa.Column("batch_id", sa.Integer, nullable=True),  # its signed batch (hub_platform_batches),
    sa.Column("batch_index", sa.Integer, nullable=True),  # its leaf there
    # and its audit path (32 bytes a hash, leaf end first) — only when the batch's leaves are not
    # stored (a release forwarded alone with its proof, or stored before revision 0006; ADR 0021)
    sa.Column("batch_path", sa.LargeBinary, nullable=True),
    sa.Column("date", sa.String(64), nullable=False),
    sa.Column("received_at", UtcDateTime, nullable=False),
    sa.Column("receipt", sa.Text, nullable=False),  # the receipt body, canonical JSON
    sa.Column("receipt_signature", sa.Text, nullable=True),  # the hub's signature of this receipt alone, or
    sa.Column("receipt_batch", sa.Integer, nullable=True),  # hub_receipt_batches
    sa.Column("receipt_index", sa.Integer, nullable=True),
    sa.Column("receipt_path", sa.LargeBinary, nullable=True),  # receipts issued before revision 0006
    # idempotency and uniqueness within the contracting process (OCDS: a release id is unique
    # in its ocid), and the ocid belongs to one platform (``ocids``): no platform can squat
    # another's release ids
    sa.UniqueConstraint("ocid", "id", name="uq_hub_releases_ocid_id"),
)

ocids = sa.Table(
    "hub_ocids",
    metadata,
    sa.Column("ocid", sa.String(200), primary_key=True),
    sa.Column("platform_id", sa.String(64), sa.ForeignKey("hub_platforms.id"), nullable=False),
)

platform_batches = sa.Table(
    "hub_platform_batches",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("platform_id", sa.String(64), sa.ForeignKey("hub_platforms.id"), nullable=False),
    sa.Column("size", sa.Integer, nullable=False),
    sa.Column("root", sa.String(64), nullable=False),
    sa.Column("signature", sa.Text, nullable=False),
    # every leaf digest of the batch (32 bytes each, in order) when the whole batch was sent:
    # its releases' rows then hold no audit path, it is computed on read (ADR 0021)
    sa.Column("leaves", sa.LargeBinary, nullable=True),
    sa.UniqueConstraint("platform_id", "root", name="uq_hub_platform_batches_root"),
)

receipt_batches = sa.Table(
    "hub_receipt_batches",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("hub_key", sa.String(64), nullable=False),
    sa.Column("size", sa.Integer, nullable=False),
    sa.Column("root", sa.String(64), nullable=False),
    sa.Column("signature", sa.Text, nullable=False),
    sa.Column("leaves", sa.LargeBinary, nullable=True),  # the receipts' digests; NULL before revision 0006 (ADR 0021)
)

feed_head = sa.Table(
    "hub_feed_head",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("last", sa.BigInteger, nullable=False),
)


def create_all(engine: sa.Engine) -> None:
    """Create the tables if missing and the single ``feed_head`` row (idempotent)."""
    metadata.create_all(engine)
    with engine.begin() as conn:
        if conn.execute(sa.select(feed_head.c.id)).first() is None:
            conn.execute(sa.insert(feed_head).values(id=1, last=0))
