from decimal import Decimal

import pytest
from evaluation_builders import AT, bid, evaluation, lowest_price, pool, score_all

from tenderhub.core.evaluation.evaluation import TRANSITIONS, EvaluationStatus
from tenderhub.core.shared.errors import Conflict, Invalid, RuleViolation
from tenderhub.core.shared.events import TAGS

S = EvaluationStatus


@pytest.mark.parametrize("current", list(S))
@pytest.mark.parametrize("new", list(S))
def test_transitions_outside_the_table_are_refused(current, new):
    ev = evaluation(scoring=False)
    ev.status = current
    if new in TRANSITIONS[current]:
        return
    with pytest.raises(Conflict) as caught:
        ev.transition_to(new, at=AT, by="agent")
    assert caught.value.code == "evaluation_transition"


def test_forming_moves_to_scoring_when_the_committee_is_sound():
    ev = evaluation(scoring=False)
    ev.transition_to(S.SCORING, at=AT, by="agent")
    assert ev.status is S.SCORING
    assert ev.events[-1].tag == "evaluation:committee:formed"


def test_finish_is_refused_while_a_member_has_not_scored_a_bid_and_names_both():
    ev = evaluation()
    score_all(ev)
    missing = ev.committee.active()[0].id
    ev.scores = [s for s in ev.scores if not (s.member_id == missing and s.bid_id == "B")]
    with pytest.raises(Conflict) as caught:
        ev.finish(at=AT, by="agent")
    assert caught.value.code == "scores_missing"
    assert repr(missing) in caught.value.message_en and "'B'" in caught.value.message_en
    assert ev.status is S.SCORING


def test_scores_outside_zero_to_max_are_invalid():
    ev = evaluation()
    member = ev.committee.active()[0].id
    for value in (Decimal("-1"), Decimal("60.01")):
        with pytest.raises(Invalid) as caught:
            ev.record_scores(member, "A", {"tech": value}, at=AT)
        assert caught.value.field == "points.tech"


def test_the_price_score_cannot_be_entered_by_hand():
    ev = evaluation()
    with pytest.raises(Invalid):
        ev.record_scores(ev.committee.active()[0].id, "A", {"price": Decimal(40)}, at=AT)


def test_scores_are_refused_before_scoring_starts():
    ev = evaluation(scoring=False)
    with pytest.raises(Conflict):
        ev.record_scores(ev.committee.active()[0].id, "A", {"tech": Decimal(1)}, at=AT)


def test_a_member_scoring_again_replaces_the_earlier_score():
    ev = evaluation()
    member = ev.committee.active()[0].id
    ev.record_scores(member, "A", {"tech": Decimal(10)}, at=AT)
    ev.record_scores(member, "A", {"tech": Decimal(20)}, at=AT)
    assert [s.points for s in ev.scores] == [Decimal(20)]


def test_replacing_a_member_voids_their_scores_and_keeps_them_out_of_the_totals():
    ev = evaluation()
    score_all(ev, {"A": "50", "B": "50", "C": "50"})
    leaving = ev.committee.active()[0].id
    for b in "ABC":
        ev.record_scores(leaving, b, {"tech": Decimal(0)}, at=AT)
    new = ev.replace_member(leaving, reason="recusal", note="近亲属任职于投标人", pool=pool(), seed="seed-r1", at=AT, by="agent")
    assert all(s.void for s in ev.scores if s.member_id == leaving)
    with pytest.raises(RuleViolation) as caught:
        ev.record_scores(leaving, "A", {"tech": Decimal(1)}, at=AT)
    assert caught.value.code == "works_replaced_member_void"
    with pytest.raises(Conflict):
        ev.finish(at=AT, by="agent")  # the new member has not scored yet
    for b in "ABC":
        ev.record_scores(new.id, b, {"tech": Decimal(50)}, at=AT)
    report = ev.finish(at=AT, by="agent")
    assert report.ranking[0].criteria["tech"] == Decimal("50.00")
    assert leaving in report.replaced and leaving not in report.committee
    assert report.seeds == ["seed-1", "seed-r1"]


def test_the_replacement_is_drawn_reproducibly_from_its_recorded_seed():
    first, second = evaluation(), evaluation()
    seated = [m.id for m in first.committee.members]
    leaving = seated[0]
    a = first.replace_member(leaving, reason="health", note="", pool=pool(), seed="s2", at=AT, by="agent")
    b = second.replace_member(leaving, reason="health", note="", pool=pool(), seed="s2", at=AT, by="agent")
    assert a.id == b.id and a.id not in seated
    assert first.committee.draws[-1].purpose == f"replacement:{leaving}"


def test_a_replacement_without_a_statutory_reason_is_refused():
    ev = evaluation()
    with pytest.raises(RuleViolation) as caught:
        ev.replace_member(ev.committee.active()[0].id, reason="prefers_another", note="", pool=pool(), seed="s", at=AT, by="agent")
    assert caught.value.code == "works_expert_replacement_reason"
    assert caught.value.rule.citation.article == 48


def test_two_of_five_members_saying_time_is_short_require_an_extension():
    ev = evaluation()
    first, second = (m.id for m in ev.committee.active()[:2])
    assert ev.declare_time_insufficient(first) is False
    assert ev.declare_time_insufficient(second) is True


def test_every_event_uses_the_closed_tag_vocabulary():
    ev = evaluation()
    score_all(ev)
    ev.replace_member(ev.committee.active()[0].id, reason="left_post", note="", pool=pool(), seed="s", at=AT, by="agent")
    score_all(ev)
    ev.finish(at=AT, by="agent")
    assert {e.tag for e in ev.events} <= TAGS
    assert ev.events[-1].tag == "evaluation:report:finished"


def test_bids_must_have_unique_ids():
    with pytest.raises(Invalid):
        evaluation(bids=[bid("A", "1"), bid("A", "2")], config=lowest_price())
