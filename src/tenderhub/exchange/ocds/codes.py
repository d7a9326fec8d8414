"""OCDS code values the code compares against, named once (closed codelists of OCDS 1.1.5).

``awardStatus`` (closed): an award is ``pending`` (not yet decided: a candidate publicity),
``active`` (the winner is determined: 中标结果), ``cancelled`` or ``unsuccessful``. Whether a
release publishes the result of a lot is "an award of that lot is ``AWARD_ACTIVE``".
"""

from __future__ import annotations

AWARD_ACTIVE = "active"
AWARD_PENDING = "pending"
