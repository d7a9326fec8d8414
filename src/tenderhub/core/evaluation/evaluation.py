"""The evaluation of one lot: the aggregate the Lot hands its opened bids to.

Lifecycle (one table, one guarded ``transition_to``): forming → scoring → finished | failed.
Entering ``scoring`` checks the committee make-up and conflicts against the actual bidders;
entering ``finished`` needs every active member's scores for every valid bid; ``failed``
is the outcome when no bid remains (法 第42条 / 政府采购法 第36条), when the committee rejects
all with fewer than three valid bids (京条例 第34条), or, in government procurement, when
fewer than three responsive suppliers remain (政府采购法 第36条).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from tenderhub.core.evaluation import committee as seats
from tenderhub.core.evaluation.committee import Committee, Member
from tenderhub.core.evaluation.experts import Expert
from tenderhub.core.evaluation.legal import check_regime, extra, rule_for
from tenderhub.core.evaluation.methods import Method, MethodConfig, validate_config
from tenderhub.core.evaluation.report import EvaluationReport
from tenderhub.core.evaluation.scoring import (
    OpenedBid,
    PriceAdjustment,
    Rejection,
    RejectionGround,
    Score,
    missing_scores,
    rank,
)
from tenderhub.core.rules.model import Rule
from tenderhub.core.shared.errors import Conflict, Forbidden, Invalid, NotFound, RuleViolation
from tenderhub.core.shared.events import DomainEvent
from tenderhub.core.shared.lifecycle import check_transition


class EvaluationStatus(StrEnum):
    FORMING = "forming"
    SCORING = "scoring"
    FINISHED = "finished"
    FAILED = "failed"


S = EvaluationStatus
TRANSITIONS: dict[EvaluationStatus, frozenset[EvaluationStatus]] = {
    S.FORMING: frozenset({S.SCORING}),
    S.SCORING: frozenset({S.FINISHED, S.FAILED}),
    S.FINISHED: frozenset(),
    S.FAILED: frozenset(),
}


@dataclass
class Evaluation:
    id: str
    lot_id: str
    regime: str
    config: MethodConfig
    committee: Committee
    bids: list[OpenedBid]
    tenderer_uscc: str = ""
    status: EvaluationStatus = EvaluationStatus.FORMING
    scores: list[Score] = field(default_factory=list)
    adjustments: list[PriceAdjustment] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    rejected_all_reason: str = ""
    time_insufficient: list[str] = field(default_factory=list)
    report: EvaluationReport | None = None
    events: list[DomainEvent] = field(default_factory=list)
    updated_at: datetime | None = None
    updated_by: str = ""

    # ---- lifecycle ------------------------------------------------------------------------

    def transition_to(self, new: EvaluationStatus, *, at: datetime, by: str, reason: str = "") -> None:
        check_transition(TRANSITIONS, self.status, new, what="evaluation")
        {S.SCORING: self._check_scoring, S.FINISHED: self._check_finished, S.FAILED: self._check_failed}[new]()
        self.status, self.updated_at, self.updated_by = new, at, by
        if new is S.SCORING:
            self._record("evaluation:committee:formed", at, by, reason, members=self.committee.ids())
            return
        self.report = self._build_report(at)
        self._record("evaluation:report:finished", at, by, reason, outcome=new.value,
                     candidates=self.report.candidates, failure_rule=self.report.failure_rule)

    def finish(self, *, at: datetime, by: str, reason: str = "") -> EvaluationReport:
        """Close the evaluation as finished, or as failed when a failure rule applies."""
        target = S.FAILED if self.failure_rule() is not None else S.FINISHED
        self.transition_to(target, at=at, by=by, reason=reason)
        assert self.report is not None
        return self.report

    # ---- committee ------------------------------------------------------------------------

    def avoid_uscc(self) -> list[str]:
        """The codes an expert must not be tied to: every bidder and the tenderer."""
        return [b.bidder_uscc for b in self.bids] + ([self.tenderer_uscc] if self.tenderer_uscc else [])

    def replace_member(
        self, member_id: str, *, reason: str, note: str, pool: list[Expert], seed: str,
        at: datetime, by: str, representative: Member | None = None,
    ) -> Member:
        """Replace a member (条例 第48条): their scores become void and a new member is drawn."""
        self._require(S.FORMING, S.SCORING)
        new = seats.replace_member(
            self.committee, member_id, reason=reason, note=note, pool=pool,
            avoid_uscc=self.avoid_uscc(), seed=seed, at=at, by=by, representative=representative,
        )
        for score in self.scores:
            score.void = score.void or score.member_id == member_id
        self._record("evaluation:expert:withdrew", at, by, note, member=member_id, ground=reason)
        self._record("evaluation:expert:replaced", at, by, note, member=member_id, replacement=new.id, seed=seed)
        return new

    def declare_time_insufficient(self, member_id: str) -> bool:
        """Record a member saying time is insufficient; returns whether an extension is due."""
        self._sitting(member_id)
        if member_id not in self.time_insufficient:
            self.time_insufficient.append(member_id)
        return self.extension_required()

    def extension_required(self) -> bool:
        """条例 第48条: more than 1/3 of the members say time is insufficient."""
        rule = rule_for(self.regime, "evaluation_time_extension")
        if rule is None:
            return False
        active = [m.id for m in self.committee.active()]
        votes = len([m for m in self.time_insufficient if m in active])
        return votes * int(str(extra(rule, "denominator"))) > len(active) * int(str(extra(rule, "numerator")))

    # ---- scoring --------------------------------------------------------------------------

    def record_scores(self, member_id: str, bid_id: str, points: dict[str, Decimal], *, at: datetime) -> None:
        """A member's points for one bid, per hand-scored criterion (0 ≤ points ≤ max)."""
        self._require(S.SCORING)
        self._sitting(member_id)
        self._valid_bid(bid_id)
        for code, value in points.items():
            self._put_score(Score(member_id, bid_id, code, self._checked_points(code, value), at))
        self._record("evaluation:score:recorded", at, member_id, "", bid=bid_id, criteria=sorted(points))

    def reject_bid(self, bid_id: str, ground: str, reason: str, *, at: datetime, by: str) -> Rejection:
        """Reject a non-responsive bid on a 条例 第51条 ground with a written reason."""
        self._require(S.SCORING)
        self._valid_bid(bid_id)
        rejection = Rejection(bid_id, self._ground(bid_id, ground, reason), reason.strip(), at, by)
        self.rejections.append(rejection)
        self._record("evaluation:bid:rejected", at, by, reason, bid=bid_id, ground=rejection.ground.value)
        return rejection

    def adjust_price(self, bid_id: str, amount: Decimal, reason: str, *, at: datetime, by: str) -> PriceAdjustment:
        """Record an adjustment to a bid's evaluated price (lowest evaluated price method)."""
        self._require(S.SCORING)
        self._valid_bid(bid_id)
        if self.config.method is not Method.LOWEST_EVALUATED_PRICE:
            raise Invalid("price adjustments belong to the lowest-price method", message_zh="仅最低价法可调整评审价格", field="method")
        if not reason.strip():
            raise Invalid("an adjustment needs a reason", message_zh="价格调整须说明理由", field="reason")
        adjustment = PriceAdjustment(bid_id, amount, reason.strip(), at, by)
        self.adjustments.append(adjustment)
        self._record("evaluation:price:adjusted", at, by, reason, bid=bid_id, amount=str(amount))
        return adjustment

    def reject_all(self, reason: str, *, at: datetime, by: str) -> None:
        """京条例 第34条: with fewer than three valid bids the committee may reject them all."""
        self._require(S.SCORING)
        rule = rule_for(self.regime, "few_valid_bids")
        valid = len(self.valid_bids())
        if rule is None or extra(rule, "mandatory") or not isinstance(rule.limit, int) or valid >= rule.limit:
            raise Conflict(f"rejecting all bids is not open with {valid} valid bids", message_zh=f"有效投标{valid}个，不能否决全部投标", field="bids", code="reject_all")
        if not reason.strip():
            raise Invalid("rejecting all bids needs a reason", message_zh="否决全部投标须说明理由", field="reason")
        self.rejected_all_reason, self.updated_at, self.updated_by = reason.strip(), at, by
        self._record("evaluation:bids:rejected_all", at, by, reason, valid=valid)

    # ---- reading --------------------------------------------------------------------------

    def valid_bids(self) -> list[OpenedBid]:
        rejected = {r.bid_id for r in self.rejections}
        return [b for b in self.bids if b.bid_id not in rejected]

    def failure_rule(self) -> Rule | None:
        """The rule that makes the lot fail now, if any."""
        valid = len(self.valid_bids())
        if valid == 0:
            return rule_for(self.regime, "all_rejected")
        few = rule_for(self.regime, "few_valid_bids")
        if few is not None and self.rejected_all_reason:
            return few
        mandatory = few is not None and extra(few, "mandatory") and isinstance(few.limit, int)
        return few if mandatory and few is not None and valid < int(str(few.limit)) else None

    def missing(self) -> list[tuple[str, str, str]]:
        active = [m.id for m in self.committee.active()]
        return missing_scores(self.config, self.valid_bids(), active, self.scores)

    # ---- guards and helpers ---------------------------------------------------------------

    def _check_scoring(self) -> None:
        seats.check_make_up(self.committee)
        seats.check_conflicts(self.committee, self.avoid_uscc())

    def _check_finished(self) -> None:
        failure = self.failure_rule()
        if failure is not None:
            raise RuleViolation(failure, field="bids", valid=len(self.valid_bids()))
        gaps = self.missing()
        if gaps:
            member, bid, criterion = gaps[0]
            raise Conflict(
                f"member {member!r} has not scored bid {bid!r} on {criterion!r} ({len(gaps)} scores missing)",
                message_zh=f"成员 {member} 尚未对投标 {bid} 的 {criterion} 评分（共缺{len(gaps)}项）",
                field="scores", code="scores_missing",
            )

    def _check_failed(self) -> None:
        if self.failure_rule() is None:
            raise Conflict("no ground makes this evaluation fail", message_zh="不存在废标或否决全部投标的情形", field="status", code="not_failed")

    def _build_report(self, at: datetime) -> EvaluationReport:
        failure = self.failure_rule()
        active = [m.id for m in self.committee.active()]
        ranking = [] if failure else rank(self.config, self.valid_bids(), active, self.scores, self.adjustments)
        return EvaluationReport(
            evaluation_id=self.id, lot_id=self.lot_id, regime=self.regime, method=self.config.method,
            committee=active, replaced=[m.id for m in self.committee.members if not m.active],
            ranking=ranking, rejections=list(self.rejections),
            candidates=[r.bid_id for r in ranking[: self.config.candidates]],
            seeds=self.committee.seeds(), finished_at=at, failed=failure is not None,
            failure_rule=failure.code if failure else "", rejected_all_reason=self.rejected_all_reason,
        )

    def _require(self, *states: EvaluationStatus) -> None:
        if self.status not in states:
            raise Conflict(
                f"not allowed while the evaluation is {self.status.value!r}",
                message_zh=f"评标当前状态 {self.status.value} 下不能进行此操作", field="status", code="evaluation_status",
            )

    def _sitting(self, member_id: str) -> Member:
        member = self.committee.member(member_id)
        if member.active:
            return member
        rule = rule_for(self.regime, "replaced_member_void")
        if rule is not None:
            raise RuleViolation(rule, field="member_id", member=member_id)
        raise Forbidden(f"member {member_id!r} was replaced", message_zh=f"成员 {member_id} 已被更换", field="member_id")

    def _valid_bid(self, bid_id: str) -> OpenedBid:
        bid = next((b for b in self.bids if b.bid_id == bid_id), None)
        if bid is None:
            raise NotFound(f"no opened bid {bid_id!r}", message_zh=f"无已开标投标 {bid_id}", field="bid_id")
        if bid not in self.valid_bids():
            raise Conflict(f"bid {bid_id!r} was rejected", message_zh=f"投标 {bid_id} 已被否决", field="bid_id", code="bid_rejected")
        return bid

    def _checked_points(self, code: str, value: Decimal) -> Decimal:
        criterion = next((c for c in self.config.scored_criteria() if c.code == code), None)
        if criterion is None:
            raise Invalid(f"{code!r} is not a hand-scored criterion", message_zh=f"{code} 不是人工评分因素", field=f"points.{code}")
        if not isinstance(value, Decimal) or not Decimal(0) <= value <= criterion.max_points:
            raise Invalid(
                f"{code!r} takes 0 to {criterion.max_points} points, not {value}",
                message_zh=f"{code} 分值应在0至{criterion.max_points}之间", field=f"points.{code}",
            )
        return value

    def _put_score(self, score: Score) -> None:
        same = (score.member_id, score.bid_id, score.criterion)
        self.scores = [s for s in self.scores if s.void or (s.member_id, s.bid_id, s.criterion) != same]
        self.scores.append(score)

    def _ground(self, bid_id: str, ground: str, reason: str) -> RejectionGround:
        if ground in RejectionGround.__members__.values() and reason.strip():
            return RejectionGround(ground)
        rule = rule_for(self.regime, "rejection_ground")
        if rule is not None:
            raise RuleViolation(rule, field="ground", bid=bid_id)
        raise Invalid("a rejection needs a listed ground and a reason", message_zh="否决投标须有法定情形和理由", field="ground")

    def _record(self, tag: str, at: datetime, by: str, reason: str, **data: object) -> None:
        self.events.append(DomainEvent(tag=tag, target=self.id, at=at, by=by, reason=reason, data=dict(data)))


def start_evaluation(
    evaluation_id: str, lot_id: str, *, regime: str, config: MethodConfig, committee: Committee,
    bids: list[OpenedBid], tenderer_uscc: str = "", at: datetime, by: str,
) -> Evaluation:
    """A new evaluation in ``forming``; the method configuration is checked now (条例 第49条: only the criteria of the tender documents)."""
    check_regime(regime)
    validate_config(config, regime)
    if committee.regime != regime:
        raise Invalid("the committee was formed under another regime", message_zh="评标委员会适用制度不符", field="committee")
    if len({b.bid_id for b in bids}) != len(bids):
        raise Invalid("bid ids must be unique", message_zh="投标编号重复", field="bids")
    evaluation = Evaluation(evaluation_id, lot_id, regime, config, committee, list(bids), tenderer_uscc)
    evaluation._record("evaluation:expert:drawn", at, by, "", seeds=committee.seeds(), members=committee.ids())
    return evaluation
