"""The hub's migrations build its schema, undo it, rebuild it, and agree with its models."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from tenderhub.db.engine import make_engine
from tenderhub.hub import migrate, protocol
from tenderhub.hub.context import open_hub
from tenderhub.hub.schema import table_names

FTS_AND_VERSION = {"hub_alembic_version"}


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        names = set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()
    return {n for n in names if not n.startswith("portal_announcements_fts")} - FTS_AND_VERSION


def test_upgrade_downgrade_upgrade_round_trip_leaves_no_diff(database_url: str) -> None:
    migrate.upgrade(database_url)
    assert _tables(database_url) == table_names()
    assert migrate.check(database_url) == []
    migrate.downgrade(database_url, "base")
    assert _tables(database_url) == set()
    assert migrate.current(database_url) is None
    migrate.upgrade(database_url)
    assert migrate.current(database_url) == "0011"
    assert migrate.check(database_url) == []


def test_open_hub_migrates_and_full_text_search_works(database_url: str, tmp_path: Path) -> None:
    from tenderhub.hub.search import schema as search

    hub = open_hub(tmp_path, database_url)
    try:
        assert migrate.current(database_url) == "0011"
        with hub.engine.connect() as conn:
            if conn.dialect.name == "sqlite":
                found = conn.exec_driver_sql(f"SELECT name FROM sqlite_master WHERE name = '{search.FTS}'").first()
            else:
                found = conn.exec_driver_sql(
                    "SELECT 1 FROM information_schema.columns "
                    "WHERE table_name = 'portal_announcements' AND column_name = 'tsv'").first()
        assert found is not None
    finally:
        hub.close()
    open_hub(tmp_path, database_url).close()  # a second start finds the schema current


def test_a_hub_database_made_before_migrations_is_adopted(database_url: str, tmp_path: Path) -> None:
    """Hubs before revision 0001 built their tables with create_all: the first migrated start
    recognises such a schema and stamps it instead of failing on existing tables."""
    engine = make_engine(database_url)
    try:
        from tenderhub.hub.schema import metadatas

        for metadata in metadatas():
            metadata.create_all(engine)
    finally:
        engine.dispose()
    open_hub(tmp_path, database_url).close()
    assert migrate.current(database_url) == "0011"
    assert migrate.check(database_url) == []


def test_the_migration_scripts_ship_inside_the_package() -> None:
    assert (migrate.MIGRATIONS / "env.py").is_file()
    assert "MIGRATION SAFETY CHECKLIST" in (migrate.MIGRATIONS / "script.py.mako").read_text()
    assert list((migrate.MIGRATIONS / "versions").glob("0001_*.py"))


# ---- 0003: one row per release (ADR 0013), with data both ways -------------------------------------

RECEIPT = {"type": "tenderhub.hub.receipt/1", "release_id": "R1", "ocid": "ocds-thxxxx-T1", "platform_id": "TH110000001",
           "digest": "sha256:" + "a" * 64, "position": 1, "received_at": "2025-03-03T01:00:00+00:00", "leaf_index": 0, "hub_key": "b" * 64}


def _seed_0002(url: str) -> None:
    """A platform and two releases of two processes as revision 0002 stored them."""
    from datetime import UTC, datetime

    at = datetime(2025, 3, 3, 1, 0, tzinfo=UTC)
    engine = make_engine(url)
    meta = sa.MetaData()
    names = ("hub_platforms", "hub_releases", "hub_feed", "hub_receipts")
    t = {n: sa.Table(n, meta, autoload_with=engine) for n in names}
    with engine.begin() as conn:
        conn.execute(sa.insert(t["hub_platforms"]).values(id="TH110000001", name="甲", suite="intl", public_pem="PEM", key_fingerprint="f" * 64,
                                                           info={}, registered_at=at, kind="platform"))
        for n, ocid in ((1, "ocds-thxxxx-T1"), (2, "ocds-thxxxx-T2")):
            conn.execute(sa.insert(t["hub_releases"]).values(id=f"R{n}", ocid=ocid, platform_id="TH110000001", digest=str(n) * 64,
                                                              canonical=f'{{"id":"R{n}"}}', signature=f"SIG{n}", date="2025-03-03", received_at=at))
            conn.execute(sa.insert(t["hub_feed"]).values(position=n, release_id=f"R{n}", ocid=ocid, platform_id="TH110000001"))
            conn.execute(sa.insert(t["hub_receipts"]).values(release_id=f"R{n}", body={**RECEIPT, "release_id": f"R{n}", "position": n}, signature=f"HUB{n}"))
    engine.dispose()


def _rows(url: str, query: str) -> list[tuple[object, ...]]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.exec_driver_sql(query)]
    finally:
        engine.dispose()


def test_0003_moves_feed_positions_and_receipts_into_the_release_rows_and_back(database_url: str) -> None:
    migrate.upgrade(database_url, "0002")
    _seed_0002(database_url)
    migrate.upgrade(database_url)
    assert migrate.check(database_url) == []
    found = _rows(database_url, "SELECT position, id, ocid, signature, receipt, receipt_signature FROM hub_releases ORDER BY position")
    assert [(p, i, o, s, rs) for p, i, o, s, _r, rs in found] == [(1, "R1", "ocds-thxxxx-T1", "SIG1", "HUB1"), (2, "R2", "ocds-thxxxx-T2", "SIG2", "HUB2")]
    assert json.loads(str(found[1][4])) == {**RECEIPT, "release_id": "R2", "position": 2}
    assert _rows(database_url, "SELECT ocid, platform_id FROM hub_ocids ORDER BY ocid") == [("ocds-thxxxx-T1", "TH110000001"), ("ocds-thxxxx-T2", "TH110000001")]
    migrate.downgrade(database_url, "0002")
    assert _rows(database_url, "SELECT position, release_id FROM hub_feed ORDER BY position") == [(1, "R1"), (2, "R2")]
    assert _rows(database_url, "SELECT id, signature FROM hub_releases ORDER BY id") == [("R1", "SIG1"), ("R2", "SIG2")]
    bodies = _rows(database_url, "SELECT release_id, body, signature FROM hub_receipts ORDER BY release_id")
    assert [(r, s) for r, _b, s in bodies] == [("R1", "HUB1"), ("R2", "HUB2")]
    assert [b if isinstance(b, dict) else json.loads(str(b)) for _r, b, _s in bodies] == [{**RECEIPT, "release_id": "R1", "position": 1}, {**RECEIPT, "release_id": "R2", "position": 2}]
    migrate.upgrade(database_url)
    assert migrate.check(database_url) == []


def test_0003_refuses_to_downgrade_batch_signed_releases_and_changes_nothing(database_url: str, tmp_path: Path) -> None:
    from hub_support import PLATFORM, make_hub, registration, release

    from tenderhub.crypto import keys
    from tenderhub.hub import batchsig, registry
    from tenderhub.hub.batch import ingest_many

    hub = make_hub(tmp_path, database_url)
    try:
        pair = keys.generate("intl")
        registry.register(hub, registration(PLATFORM, pair))
        body = batchsig.sign_releases(PLATFORM, pair, [release(n) for n in range(3)])
        assert [r["status"] for r in ingest_many(hub, body["releases"], signed_batch=body["batch"])] == ["created"] * 3
    finally:
        hub.close()
    migrate.downgrade(database_url, "0003")
    with pytest.raises(RuntimeError, match="signed in batches"):
        migrate.downgrade(database_url, "0002")
    assert migrate.current(database_url) == "0003"
    assert len(_rows(database_url, "SELECT position FROM hub_releases")) == 3


def test_0006_stores_batch_leaves_once_and_its_downgrade_writes_every_path_back(database_url: str, tmp_path: Path) -> None:
    """ADR 0021: a batch-signed release's row holds no path (computed from the batch's leaves);
    the envelope and receipt read back are the same at 0006, after a downgrade to 0005 (paths
    written into the rows) and after the upgrade again."""
    from hub_support import PLATFORM, make_hub, registration, release

    from tenderhub.crypto import keys
    from tenderhub.hub import batchsig, feed, registry
    from tenderhub.hub.batch import ingest_many

    def read_back() -> list[dict[str, object]]:
        hub = make_hub(tmp_path, database_url)
        try:
            return [feed.release(hub, f"R-{n}") for n in range(5)]
        finally:
            hub.close()

    hub = make_hub(tmp_path, database_url)
    try:
        pair = keys.generate("intl")
        registry.register(hub, registration(PLATFORM, pair))
        docs = [{**release(n), "id": f"R-{n}"} for n in range(5)]
        body = batchsig.sign_releases(PLATFORM, pair, docs)
        answers = ingest_many(hub, body["releases"], signed_batch=body["batch"])
    finally:
        hub.close()
    assert [a["status"] for a in answers] == ["created"] * 5
    assert _rows(database_url, "SELECT COUNT(*) FROM hub_releases WHERE batch_path IS NULL AND receipt_path IS NULL") == [(5,)]
    before = read_back()
    assert [b["receipt"] for b in before] == [a["receipt"] for a in answers]
    for found in before:
        proof = batchsig.parse_proof(found["batch"], "/batch")
        assert proof.path and proof.proves(hashlib.sha256(protocol.canonical(found["release"])).digest())
    migrate.downgrade(database_url, "0005")
    assert _rows(database_url, "SELECT COUNT(*) FROM hub_releases WHERE batch_path IS NULL OR receipt_path IS NULL") == [(0,)]
    migrate.upgrade(database_url)
    assert migrate.check(database_url) == []
    assert read_back() == before


def _compression(url: str) -> dict[str, str]:
    """The compression method of hub_releases' text columns (PostgreSQL: ``p`` pglz, ``l`` lz4, empty the default)."""
    rows = _rows(url, "SELECT attname, attcompression FROM pg_attribute WHERE attrelid = 'hub_releases'::regclass AND attname IN ('canonical', 'receipt')")
    return {str(name): str(method) for name, method in rows}


def test_0008_writes_release_texts_with_lz4_on_postgresql_and_back_on_downgrade(database_url: str, tmp_path: Path) -> None:
    """ADR 0027: new release rows' canonical JSON and receipt are compressed by lz4 (where the
    server has it); rows stored before read back the same after the upgrade and the downgrade."""
    from hub_support import PLATFORM, make_hub, registration, release

    from tenderhub.crypto import keys
    from tenderhub.hub import feed, registry
    from tenderhub.hub.batch import ingest_many

    migrate.upgrade(database_url, "0007")
    hub = make_hub(tmp_path, database_url)  # opening migrates to the head
    try:
        pair = keys.generate("intl")
        registry.register(hub, registration(PLATFORM, pair))
        docs = [{**release(n), "id": f"R-{n}", "description": "长文本 " * 400} for n in range(3)]  # over the TOAST threshold
        answers = ingest_many(hub, [protocol.envelope(PLATFORM, pair, d) for d in docs])
        before = [feed.release(hub, f"R-{n}") for n in range(3)]
    finally:
        hub.close()
    assert [a["status"] for a in answers] == ["created"] * 3
    if not database_url.startswith("postgresql"):
        return
    lz4 = "lz4" in str(_rows(database_url, "SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'")[0][0])
    assert _compression(database_url) == ({"canonical": "l", "receipt": "l"} if lz4 else {"canonical": "", "receipt": ""})
    methods = _rows(database_url, "SELECT DISTINCT pg_column_compression(canonical) FROM hub_releases")
    assert methods == ([("lz4",)] if lz4 else [("pglz",)])
    migrate.downgrade(database_url, "0007")
    assert _compression(database_url) == ({"canonical": "p", "receipt": "p"} if lz4 else {"canonical": "", "receipt": ""})
    migrate.upgrade(database_url)
    assert migrate.check(database_url) == []
    hub = make_hub(tmp_path, database_url)
    try:
        assert [feed.release(hub, f"R-{n}") for n in range(3)] == before
    finally:
        hub.close()


def test_0010_copies_the_forks_found_into_flags_and_back_on_downgrade(database_url: str) -> None:
    """ADR 0031: a lower hub flagged as forked before revision 0010 stays flagged (its evidence
    copied into hub_lower_flags, hub_lower_forks left as it was); a downgrade brings back the live
    forks found since."""
    evidence = {"accepted": {"size": 3}, "presented": {"size": 2}, "check": "…"}
    migrate.upgrade(database_url, "0009")
    engine = make_engine(database_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO hub_lower_forks (hub_id, detected_at, evidence) VALUES ('hub-a', :at, :ev)"),
                         {"at": "2026-01-02T03:04:05+00:00", "ev": json.dumps(evidence)})
        migrate.upgrade(database_url)
        assert migrate.check(database_url) == []
        with engine.begin() as conn:
            copied = conn.execute(sa.text("SELECT hub_id, kind, evidence, leaf_index, cleared_at FROM hub_lower_flags")).all()
            assert [(r[0], r[1], r[3], r[4]) for r in copied] == [("hub-a", "fork", None, None)]
            assert (json.loads(copied[0][2]) if isinstance(copied[0][2], str) else copied[0][2]) == evidence
            conn.execute(sa.text("INSERT INTO hub_lower_flags (hub_id, kind, detected_at, evidence) VALUES ('hub-b', 'fork', :at, :ev)"),
                         {"at": "2026-02-02T03:04:05+00:00", "ev": json.dumps(evidence)})
        migrate.downgrade(database_url, "0009")
        assert sorted(r[0] for r in _rows(database_url, "SELECT hub_id FROM hub_lower_forks")) == ["hub-a", "hub-b"]
        migrate.upgrade(database_url)
        assert sorted(r[0] for r in _rows(database_url, "SELECT hub_id FROM hub_lower_flags")) == ["hub-a", "hub-b"]
    finally:
        engine.dispose()


def _release_keys(url: str) -> list[list[str]]:
    engine = make_engine(url)
    try:
        return [fk["referred_columns"] for fk in sa.inspect(engine).get_foreign_keys("hub_releases")]
    finally:
        engine.dispose()


def test_0011_drops_the_release_rows_platform_key_and_its_downgrade_puts_it_back(database_url: str, tmp_path: Path) -> None:
    """ADR 0033: the owner of the ocid is the release's platform (hub_ocids keeps its key);
    rows stored before read back the same across the downgrade and the upgrade."""
    from hub_support import PLATFORM, make_hub, registration, release

    from tenderhub.crypto import keys
    from tenderhub.hub import feed, registry
    from tenderhub.hub.batch import ingest_many

    migrate.upgrade(database_url, "0010")
    assert _release_keys(database_url) == [["id"]]
    hub = make_hub(tmp_path, database_url)  # opening migrates to the head
    try:
        pair = keys.generate("intl")
        registry.register(hub, registration(PLATFORM, pair))
        answers = ingest_many(hub, [protocol.envelope(PLATFORM, pair, {**release(n), "id": f"R-{n}"}) for n in range(3)])
        before = [feed.release(hub, f"R-{n}") for n in range(3)]
    finally:
        hub.close()
    assert [a["status"] for a in answers] == ["created"] * 3 and _release_keys(database_url) == []
    migrate.downgrade(database_url, "0010")
    assert _release_keys(database_url) == [["id"]]
    migrate.upgrade(database_url)
    assert _release_keys(database_url) == [] and migrate.check(database_url) == []
    hub = make_hub(tmp_path, database_url)
    try:
        assert [feed.release(hub, f"R-{n}") for n in range(3)] == before
    finally:
        hub.close()
