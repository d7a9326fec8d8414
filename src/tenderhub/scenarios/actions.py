"""The scenario actions: each maps a step's ``with`` onto one use case."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tenderhub.services import awards, bids, evaluation, sealed, subjects, tenders

Handler = Callable[..., Any]

# do -> (use case, takes a tender id)
ACTIONS: dict[str, tuple[Handler, bool]] = {
    "create_tender": (tenders.create_tender, False),
    "publish": (tenders.publish, True),
    "clarify": (tenders.clarify, True),
    "object": (tenders.raise_objection, True),
    "answer_objection": (tenders.answer_objection, True),
    "suspend": (tenders.suspend, True),
    "resume": (tenders.resume, True),
    "cancel": (tenders.cancel, True),
    "retender": (tenders.retender, True),
    "register_bidder": (bids.register, True),
    "submit_bid": (bids.submit, True),
    "modify_bid": (bids.modify, True),
    "withdraw_bid": (bids.withdraw, True),
    "open_bids": (bids.open_bids, True),
    "draw_experts": (evaluation.draw_committee, True),
    "score": (evaluation.score, True),
    "reject_bid": (evaluation.reject, True),
    "adjust_price": (evaluation.adjust_price, True),
    "finish_evaluation": (evaluation.finish, True),
    "sign_report": (evaluation.sign_report, True),
    "publicize_candidates": (awards.publicize, True),
    "award": (awards.award, True),
    "sign_contract": (awards.sign_contract, True),
    "record_performance": (awards.record_performance, True),
    "replace_expert": (evaluation.replace_member, True),
    "fail_decrypt": (sealed.fail_decrypt, True),
    "close_decryption": (sealed.close_decryption, True),
    "sign_opening_record": (sealed.sign_opening_record, True),
    "object_at_opening": (tenders.object_at_opening, True),
    "archive": (tenders.archive, True),
    "add_expert": (subjects.add_expert, False),
}
