"""Objections to the documents (条例 22) and challenges (GP法 52): windows, suspension, resumption."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from builders import DEADLINE, a_bidder, a_form, a_published_tender, an_act, beijing_at

from tenderhub.core.bids.submission import register
from tenderhub.core.procedures.model import ObjectionStage, ObjectionStatus
from tenderhub.core.procedures.objections import answer_objection, raise_objection
from tenderhub.core.procedures.states import TenderStatus
from tenderhub.core.shared.errors import Conflict, RuleViolation

DAY = timedelta(days=1)
LAST_DAY = date(2024, 3, 31)  # ten days before the deadline of 10 April


def cites(error: RuleViolation) -> set[tuple[str, int]]:
    assert error.rule is not None
    return {(c.law, c.article) for c in error.rule.citations}


def object_to_documents(tender, at):  # type: ignore[no-untyped-def]
    return raise_objection(tender, an_act(at=at, by="bidder-1"), lot_id="lot-1", stage=ObjectionStage.DOCUMENTS,
                           text="技术参数指向特定品牌")


def test_objection_to_the_documents_ten_days_before_the_deadline_is_accepted_and_suspends():
    tender = a_published_tender()
    objection = object_to_documents(tender, beijing_at(LAST_DAY, 23, 59))
    assert objection.status is ObjectionStatus.OPEN and objection.answer_due == LAST_DAY + 3 * DAY
    assert tender.status is TenderStatus.SUSPENDED and tender.suspensions[-1].objection_id == objection.id
    assert [e.tag for e in tender.pull_events()] == ["procedure:objection:raised", "procedure:tender:suspended"]


def test_objection_to_the_documents_nine_days_before_the_deadline_is_refused_citing_regulation_22():
    tender = a_published_tender()
    with pytest.raises(RuleViolation) as refused:
        object_to_documents(tender, beijing_at(LAST_DAY + DAY, 0))
    assert ("招标投标法实施条例", 22) in cites(refused.value)
    assert tender.status is TenderStatus.ACTIVE and tender.objections == []


def test_while_suspended_no_bidder_may_register():
    tender = a_published_tender()
    object_to_documents(tender, beijing_at(LAST_DAY, 10))
    with pytest.raises(Conflict):
        register(tender, an_act(at=beijing_at(LAST_DAY, 11)), lot_id="lot-1", bidder=a_bidder())


def test_the_answer_resumes_and_moves_the_deadline_by_the_whole_days_suspended():
    tender = a_published_tender()
    objection = object_to_documents(tender, beijing_at(LAST_DAY, 10))
    tender.pull_events()
    answer_objection(tender, an_act(at=beijing_at(LAST_DAY + 2 * DAY, 10)), objection_id=objection.id, answer="参数已修改")
    assert tender.status is TenderStatus.ACTIVE
    assert tender.lots[0].deadline == DEADLINE + 2 * DAY
    assert tender.suspensions[-1].resumed_at == beijing_at(LAST_DAY + 2 * DAY, 10)
    assert [e.tag for e in tender.pull_events()] == [
        "procedure:objection:answered", "procedure:tender:resumed", "procedure:deadline:moved"]


def test_a_part_day_of_suspension_counts_as_a_whole_day_and_a_weekend_pushes_to_monday():
    tender = a_published_tender()
    objection = object_to_documents(tender, beijing_at(LAST_DAY, 10))
    answer_objection(tender, an_act(at=beijing_at(LAST_DAY + 2 * DAY, 11)), objection_id=objection.id, answer="答复")
    # 2 days 1 hour → 3 days: Wed 10 → Sat 13 April → Monday 15 April
    assert tender.lots[0].deadline == beijing_at(date(2024, 4, 15), 9, 30)


def test_the_tender_stays_suspended_until_every_objection_is_answered():
    tender = a_published_tender()
    first = object_to_documents(tender, beijing_at(LAST_DAY, 10))
    second = object_to_documents(tender, beijing_at(LAST_DAY, 11))
    answer_objection(tender, an_act(at=beijing_at(LAST_DAY + DAY, 10)), objection_id=first.id, answer="答复")
    assert tender.status is TenderStatus.SUSPENDED
    answer_objection(tender, an_act(at=beijing_at(LAST_DAY + DAY, 12)), objection_id=second.id, answer="答复")
    assert tender.status is TenderStatus.ACTIVE


def test_an_objection_is_answered_once():
    tender = a_published_tender()
    objection = object_to_documents(tender, beijing_at(LAST_DAY, 10))
    answer_objection(tender, an_act(at=beijing_at(LAST_DAY, 12)), objection_id=objection.id, answer="答复")
    with pytest.raises(Conflict):
        answer_objection(tender, an_act(at=beijing_at(LAST_DAY, 13)), objection_id=objection.id, answer="again")


def test_a_late_answer_is_marked_late():
    tender = a_published_tender()
    objection = object_to_documents(tender, beijing_at(LAST_DAY, 10))
    answer_objection(tender, an_act(at=beijing_at(LAST_DAY + 4 * DAY, 10)), objection_id=objection.id, answer="答复")
    assert objection.answered_late


# ---- government procurement: a challenge within 7 working days, no suspension --------------


def test_gp_challenge_within_seven_working_days_of_publication_is_accepted_without_suspending():
    tender = a_published_tender(regime="gp")
    objection = object_to_documents(tender, beijing_at(date(2024, 3, 15), 23))  # Wed 6 → Fri 15: 7 working days
    assert tender.status is TenderStatus.ACTIVE
    assert objection.answer_due == date(2024, 3, 26)  # 7 working days after Fri 15


def test_gp_challenge_on_the_eighth_working_day_is_refused_citing_gp_law_52():
    tender = a_published_tender(regime="gp")
    with pytest.raises(RuleViolation) as refused:
        object_to_documents(tender, beijing_at(date(2024, 3, 18), 9))
    assert ("政府采购法", 52) in cites(refused.value)


def test_bid_forms_are_unaffected_by_an_objection():
    assert a_form().price > 0
