"""Certificate sign-in with a CA on the trust list, and the platform's signed documents."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from services_builders import World, a_tender_body, a_world, uscc

from tenderhub.cli import main
from tenderhub.core.shared.errors import Forbidden
from tenderhub.crypto import keys, signing, x509
from tenderhub.crypto.documents import verify_document
from tenderhub.crypto.errors import SignatureError
from tenderhub.services import documents, identity, tenders


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[World]:
    w = a_world(database_url, tmp_path / "data")
    yield w
    w.platform.engine.dispose()


def company_certificate(world: World, tmp: Path, n: int, *, trusted: bool = True) -> tuple[bytes, bytes]:
    """A CA (put on the platform's trust list when ``trusted``) issues a company certificate."""
    ca_cert, ca_key = x509.init_ca(f"测试CA{n}", days=365, now=world.clock.now())
    if trusted:
        trust = Path(world.platform.settings.data_dir) / "trust"
        trust.mkdir(parents=True, exist_ok=True)
        (trust / f"ca{n}.pem").write_bytes(ca_cert)
    pair = keys.generate("intl")
    cert = x509.issue(ca_cert, ca_key, subject_cn=f"company {n}", kind="company", uscc=uscc(n), public_pem=pair.public_pem, days=365, now=world.clock.now())
    return cert, pair.private_pem


def sign_in(world: World, cert: bytes, private: bytes) -> dict[str, object]:
    issued = identity.challenge(world.svc)["challenge"]
    signature = base64.b64encode(signing.sign("intl", private, issued.encode())).decode()
    return identity.certificate_login(world.svc, {"certificate": cert.decode(), "challenge": issued, "signature": signature})


def test_a_bidder_signs_in_with_a_certificate_from_any_trusted_ca_and_gets_its_own_role(world: World, tmp_path: Path) -> None:
    world.subject("b11", "bidder", 11)
    cert, private = company_certificate(world, tmp_path, 11)
    session = sign_in(world, cert, private)
    assert session["role"] == "bidder" and session["user_id"] == "b11"
    with world.svc.uow(None) as uow:
        assert [r.tag for r in uow.audit.list(tag="auth:session:opened")] == ["auth:session:opened"]


def test_a_certificate_from_an_unknown_ca_or_a_replayed_challenge_is_refused(world: World, tmp_path: Path) -> None:
    world.subject("b12", "bidder", 12)
    cert, private = company_certificate(world, tmp_path, 12, trusted=False)
    with pytest.raises(Forbidden):
        sign_in(world, cert, private)
    good_cert, good_private = company_certificate(world, tmp_path, 13)
    world.subject("b13", "bidder", 13)
    issued = identity.challenge(world.svc)["challenge"]
    signature = base64.b64encode(signing.sign("intl", good_private, issued.encode())).decode()
    identity.certificate_login(world.svc, {"certificate": good_cert.decode(), "challenge": issued, "signature": signature})
    with pytest.raises(Forbidden):
        identity.certificate_login(world.svc, {"certificate": good_cert.decode(), "challenge": issued, "signature": signature})


def test_published_documents_carry_a_platform_signature_that_verifies_and_detects_a_change(world: World, tmp_path: Path) -> None:
    tenderer = world.subject("tenderer", "tenderer", 1)
    made = tenders.create_tender(world.svc, tenderer, a_tender_body())
    world.at("2026-12-01T09:00")
    tenders.publish(world.svc, tenderer, made["id"], {"doc_sale_end": "2026-12-07"})
    bundle = documents.signed_document(world.svc, made["id"], "notice")
    trust = x509.TrustList([documents.trust_anchor(world.svc)])
    content = base64.b64decode(bundle["content_b64"])
    assert verify_document(bundle["signature"], content, trust, now=world.clock.now()).kind == "notice"
    with pytest.raises(SignatureError):
        verify_document(bundle["signature"], content.replace("测试".encode(), "篡改".encode()), trust, now=world.clock.now())


def test_documents_export_writes_bundles_that_verify_on_the_command_line(world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tenderer = world.subject("tenderer", "tenderer", 1)
    made = tenders.create_tender(world.svc, tenderer, a_tender_body())
    world.at("2026-12-01T09:00")
    tenders.publish(world.svc, tenderer, made["id"], {"doc_sale_end": "2026-12-07"})
    settings = world.platform.settings
    out = tmp_path / "docs"
    assert main(["documents", "export", "--data-dir", str(settings.data_dir), "--db", settings.db_url, "--out", str(out)]) == 0
    notice = next(out.glob("*-notice.json"))
    assert main(["verify", str(notice), "--trust", str(out / "trust-ca.pem")]) == 0
    bundle = json.loads(notice.read_text(encoding="utf-8"))
    bundle["content_b64"] = base64.b64encode(b'{"kind":"notice","forged":true}').decode()
    notice.write_text(json.dumps(bundle), encoding="utf-8")
    assert main(["verify", str(notice), "--trust", str(out / "trust-ca.pem")]) != 0


def person_certificate(world: World, n: int) -> tuple[bytes, bytes]:
    ca_cert, ca_key = x509.init_ca(f"个人CA{n}", days=365, now=world.clock.now())
    trust = Path(world.platform.settings.data_dir) / "trust"
    trust.mkdir(parents=True, exist_ok=True)
    (trust / f"person-ca{n}.pem").write_bytes(ca_cert)
    pair = keys.generate("intl")
    return x509.issue(ca_cert, ca_key, subject_cn=f"专家{n}", kind="person", uscc=None, public_pem=pair.public_pem, days=365, now=world.clock.now()), pair.private_pem


def test_bidders_sign_the_opening_record_and_experts_the_report_with_their_own_certificates(world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tenderhub.crypto.documents import sign_document
    from tenderhub.services import bids, evaluation, sealed

    tenderer = world.subject("tenderer", "tenderer", 1)
    made = tenders.create_tender(world.svc, tenderer, a_tender_body())
    lot, tender_id = made["lots"][0]["code"], made["id"]
    world.at("2026-12-01T09:00")
    tenders.publish(world.svc, tenderer, tender_id, {"doc_sale_end": "2026-12-07"})
    for n in (11, 12, 13):
        bidder = world.subject(f"b{n}", "bidder", n)
        bids.register(world.svc, bidder, tender_id, {"lot": lot})
        bids.submit(world.svc, bidder, tender_id, {"lot": lot, "price": 9000000 + n})
    world.expert("e1")
    for i in range(2, 6):
        world.expert(f"e{i}")
    world.at("2026-12-21T09:30")
    bids.open_bids(world.svc, tenderer, tender_id, {"lot": lot})
    record = base64.b64decode(documents.signed_document(world.svc, tender_id, "opening_record", lot)["content_b64"])
    cert, private = company_certificate(world, tmp_path, 11)
    by_bidder = sign_document("intl", cert, private, record, kind="opening_record", signed_at=world.clock.now())
    sealed.sign_opening_record(world.svc, world.actors["b11"], tender_id, {"lot": lot, "signature": by_bidder})
    kept = dict(documents.personal_signatures(world.svc, tender_id, "opening_record", lot))["b11"]
    assert kept["receipt"]["received_at"] == world.clock.now().isoformat() and kept["signature"] == by_bidder["signature"]
    with pytest.raises(SignatureError):
        forged = sign_document("intl", cert, private, record + b" ", kind="opening_record", signed_at=world.clock.now())
        sealed.sign_opening_record(world.svc, world.actors["b12"], tender_id, {"lot": lot, "signature": forged})
    evaluation.draw_committee(world.svc, tenderer, tender_id, {"lot": lot, "experts": {"road": 5}, "seed": "s"})
    evaluation.finish(world.svc, tenderer, tender_id, {"lot": lot})
    report = base64.b64decode(documents.signed_document(world.svc, tender_id, "evaluation_report", lot)["content_b64"])
    expert_cert, expert_key = person_certificate(world, 1)
    signed = sign_document("intl", expert_cert, expert_key, report, kind="evaluation_report", signed_at=world.clock.now())
    assert evaluation.sign_report(world.svc, world.actors["e1"], tender_id, {"lot": lot, "signature": signed})["electronic_signature"]
    out = tmp_path / "docs"
    settings = world.platform.settings
    assert main(["documents", "export", "--data-dir", str(settings.data_dir), "--db", settings.db_url, "--out", str(out)]) == 0
    personal = sorted(p.name.split("-signed-by-")[1] for p in out.glob("*-signed-by-*.json"))
    assert personal == ["b11.json", "e1.json"]
    for bundle in out.glob("*-signed-by-*.json"):  # checked at the receipt time the platform sealed (ADR 0019)
        assert main(["verify", str(bundle), "--trust", str(Path(settings.data_dir) / "trust" / "ca11.pem"), "--trust", str(out / "trust-ca.pem"),
                     "--trust", str(Path(settings.data_dir) / "trust" / "person-ca1.pem")]) == 0
        assert "Beijing time, received by the platform" in capsys.readouterr().out


def test_a_bidder_cannot_back_date_its_signature_past_its_certificates_expiry(world: World, tmp_path: Path) -> None:
    """The platform checks a signature it receives at its own clock, not at the claimed signed_at."""
    from tenderhub.crypto.documents import sign_document
    from tenderhub.crypto.errors import CertificateError
    from tenderhub.services import bids, sealed

    tenderer = world.subject("tenderer", "tenderer", 1)
    made = tenders.create_tender(world.svc, tenderer, a_tender_body())
    lot, tender_id = made["lots"][0]["code"], made["id"]
    world.at("2026-12-01T09:00")
    tenders.publish(world.svc, tenderer, tender_id, {"doc_sale_end": "2026-12-07"})
    ca_cert, ca_key = x509.init_ca("测试CA21", days=365, now=world.clock.now())
    (Path(world.platform.settings.data_dir) / "trust").mkdir(parents=True, exist_ok=True)
    (Path(world.platform.settings.data_dir) / "trust" / "ca21.pem").write_bytes(ca_cert)
    pair = keys.generate("intl")
    short = x509.issue(ca_cert, ca_key, subject_cn="company 21", kind="company", uscc=uscc(21), public_pem=pair.public_pem, days=3, now=world.clock.now())
    claimed = world.clock.now()  # while the certificate was valid
    for n in (21, 22, 23):
        bidder = world.subject(f"b{n}", "bidder", n)
        bids.register(world.svc, bidder, tender_id, {"lot": lot})
        bids.submit(world.svc, bidder, tender_id, {"lot": lot, "price": 9000000 + n})
    world.at("2026-12-21T09:30")
    bids.open_bids(world.svc, tenderer, tender_id, {"lot": lot})
    record = base64.b64decode(documents.signed_document(world.svc, tender_id, "opening_record", lot)["content_b64"])
    back_dated = sign_document("intl", short, pair.private_pem, record, kind="opening_record", signed_at=claimed)
    with pytest.raises(CertificateError, match="expired"):
        sealed.sign_opening_record(world.svc, world.actors["b21"], tender_id, {"lot": lot, "signature": back_dated})
    assert documents.personal_signatures(world.svc, tender_id, "opening_record", lot) == []
