"""A bid revoked at decryption (电子招标投标办法 第31条) is still reported once its lot was
re-tendered before the delivery ran: the bid then lives in the lot's earlier round."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from test_hub_credit_delivery import admin_token, audit, delivery, hub, platform_after, port

from tenderhub.core.procedures import publishing
from tenderhub.core.shared.context import Act
from tenderhub.hub.context import Hub
from tenderhub.services.credit import HttpCredit
from tenderhub.services.credit_records import ACKNOWLEDGED, REVOKED

__all__ = ["TestClient", "admin_token", "hub", "port"]  # the fixtures, shared with the delivery tests


def test_a_revocation_is_reported_after_the_lot_was_retendered(database_url: str, tmp_path: Path, hub: Hub, port: HttpCredit) -> None:
    platform = platform_after("27-sealed-bids-online-opening.yaml", database_url, tmp_path)
    [revocation] = audit(platform, REVOKED)
    with platform.services.uow(None) as uow:
        [tender] = [t for t in uow.tenders.list() if any(b.id == revocation.target for lot in t.lots for b in lot.bids)]
        lot = next(lot for lot in tender.lots if any(b.id == revocation.target for b in lot.bids))
        act = Act(at=revocation.at + timedelta(days=1), by="tenderer", calendar=platform.services.calendar, reason="流标 / failed")
        publishing.fail_lot(tender, lot, act, "流标 / failed")
        publishing.retender(tender, act, lot_id=lot.id, deadline=act.at + timedelta(days=30))
        uow.commit()
    assert delivery(platform, port).deliver_once().sent == 1  # not skipped as "no longer a bid"
    [receipt] = audit(platform, ACKNOWLEDGED)
    assert receipt.data["record"]["basis"] == {"law": "电子招标投标办法", "article": 31}
    platform.engine.dispose()
