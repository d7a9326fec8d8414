from decimal import Decimal

import pytest
from evaluation_builders import AT, bid, drawn_committee, evaluation, lowest_price, score_all

from tenderhub.core.evaluation.evaluation import EvaluationStatus
from tenderhub.core.evaluation.methods import Category
from tenderhub.core.evaluation.report import sign
from tenderhub.core.shared.errors import Conflict, Forbidden, RuleViolation

S = EvaluationStatus


def ranked(report):
    return [r.bid_id for r in report.ranking]


def test_composite_ranks_by_total_with_the_computed_price_score():
    ev = evaluation()
    score_all(ev, {"A": "40", "B": "55", "C": "60"})
    report = ev.finish(at=AT, by="agent")
    # price 40 points: A 40, B 32, C 20 -> totals A 80, B 87, C 80
    assert ranked(report) == ["B", "A", "C"]
    assert [r.total for r in report.ranking] == [Decimal("87.00"), Decimal("80.00"), Decimal("80.00")]


def test_equal_totals_are_broken_by_the_lower_price():
    ev = evaluation()
    score_all(ev, {"A": "40", "B": "48", "C": "60"})  # A 80, B 80, C 80
    assert ranked(ev.finish(at=AT, by="agent")) == ["A", "B", "C"]


def test_equal_totals_and_prices_are_broken_by_the_earlier_submission():
    bids = [bid("A", "100", minutes=10), bid("B", "100", minutes=5), bid("C", "100", minutes=5)]
    ev = evaluation(bids=bids)
    score_all(ev)
    assert ranked(ev.finish(at=AT, by="agent")) == ["B", "C", "A"]


def test_lowest_evaluated_price_wins_after_the_recorded_adjustments():
    ev = evaluation(config=lowest_price(), bids=[bid("A", "100"), bid("B", "105"), bid("C", "120")])
    ev.adjust_price("A", Decimal("8"), "工期延长折算", at=AT, by="committee")
    report = ev.finish(at=AT, by="agent")
    assert ranked(report) == ["B", "A", "C"]
    assert report.ranking[1].evaluated_price == Decimal("108")


def test_lowest_price_ties_go_to_the_earlier_submission_then_the_bid_id():
    bids = [bid("C", "100", minutes=1), bid("B", "100", minutes=2), bid("A", "100", minutes=1)]
    ev = evaluation(config=lowest_price(), bids=bids)
    assert ranked(ev.finish(at=AT, by="agent")) == ["A", "C", "B"]


def test_at_most_three_candidates_are_named_from_five_bids():
    bids = [bid(x, str(100 + i)) for i, x in enumerate("ABCDE")]
    report = evaluation(config=lowest_price(), bids=bids).finish(at=AT, by="agent")
    assert report.candidates == ["A", "B", "C"] and len(report.ranking) == 5


def test_a_rejected_bid_is_neither_ranked_nor_scorable():
    ev = evaluation()
    ev.reject_bid("A", "not_responsive", "工期不满足招标文件要求", at=AT, by="committee")
    with pytest.raises(Conflict):
        ev.record_scores(ev.committee.active()[0].id, "A", {"tech": Decimal(1)}, at=AT)
    score_all(ev)
    report = ev.finish(at=AT, by="agent")
    assert ranked(report) == ["B", "C"]
    assert report.rejections[0].ground == "not_responsive"


def test_a_rejection_needs_a_listed_ground_and_a_written_reason():
    ev = evaluation()
    for ground, reason in (("looks_expensive", "太贵"), ("not_qualified", "  ")):
        with pytest.raises(RuleViolation) as caught:
            ev.reject_bid("A", ground, reason, at=AT, by="committee")
        assert caught.value.rule.citation.article == 51


def test_when_every_bid_is_rejected_the_lot_fails():
    ev = evaluation(config=lowest_price())
    for b in "ABC":
        ev.reject_bid(b, "not_qualified", "资质不符", at=AT, by="committee")
    report = ev.finish(at=AT, by="agent")
    assert ev.status is S.FAILED
    assert report.failed and report.failure_rule == "works_all_rejected" and report.candidates == []


def test_finishing_as_finished_is_refused_when_every_bid_is_rejected():
    ev = evaluation(config=lowest_price(), bids=[bid("A", "100")])
    ev.reject_bid("A", "not_qualified", "资质不符", at=AT, by="committee")
    with pytest.raises(RuleViolation) as caught:
        ev.transition_to(S.FINISHED, at=AT, by="agent")
    assert caught.value.rule.citation.article == 42


def test_works_committee_may_reject_all_when_fewer_than_three_valid_bids_remain():
    ev = evaluation(config=lowest_price())
    ev.reject_bid("C", "price_below_cost_or_above_cap", "超过最高投标限价", at=AT, by="committee")
    ev.reject_all("有效投标不足三个，缺乏竞争", at=AT, by="committee")
    report = ev.finish(at=AT, by="agent")
    assert report.failed and report.failure_rule == "works_few_valid_bids"


def test_works_committee_may_also_go_on_with_two_valid_bids():
    ev = evaluation(config=lowest_price())
    ev.reject_bid("C", "not_responsive", "未响应", at=AT, by="committee")
    report = ev.finish(at=AT, by="agent")
    assert not report.failed and report.candidates == ["A", "B"]


def test_rejecting_all_with_three_valid_bids_is_refused():
    with pytest.raises(Conflict):
        evaluation(config=lowest_price()).reject_all("不想要", at=AT, by="committee")


def test_failing_without_any_ground_is_refused():
    with pytest.raises(Conflict):
        evaluation(config=lowest_price()).transition_to(S.FAILED, at=AT, by="agent")


def test_gp_tender_fails_when_fewer_than_three_responsive_suppliers_remain():
    ev = evaluation(regime="gp", config=lowest_price(category=Category.GOODS),
                    committee=drawn_committee(regime="gp"))
    ev.reject_bid("C", "not_responsive", "未实质响应", at=AT, by="committee")
    report = ev.finish(at=AT, by="agent")
    assert report.failure_rule == "gp_few_valid_bids"
    assert ev.status is S.FAILED


def finished_report():
    ev = evaluation(config=lowest_price())
    return ev.finish(at=AT, by="agent")


def test_members_sign_and_a_dissent_needs_written_reasons():
    report = finished_report()
    first, second = report.committee[:2]
    sign(report, first, at=AT)
    with pytest.raises(RuleViolation) as caught:
        sign(report, second, at=AT, dissents=True)
    assert caught.value.code == "works_report_dissent"
    sign(report, second, at=AT, dissents=True, reason="B 的工期风险未充分评估")
    assert [s.member_id for s in report.dissents()] == [second]
    assert first not in report.unsigned() and len(report.unsigned()) == 3


def test_signing_twice_or_as_a_stranger_is_refused():
    report = finished_report()
    sign(report, report.committee[0], at=AT)
    with pytest.raises(Conflict):
        sign(report, report.committee[0], at=AT)
    with pytest.raises(Forbidden):
        sign(report, "stranger", at=AT)


def test_the_report_lists_method_committee_ids_and_seeds():
    report = finished_report()
    assert report.method == "lowest_evaluated_price"
    assert len(report.committee) == 5 and report.seeds == ["seed-1"]
