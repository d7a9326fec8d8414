"""Money is ``Decimal`` yuan with two places, never float."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from tenderhub.core.shared.errors import Invalid

CENT = Decimal("0.01")
LIMIT = Decimal("1e15")  # a thousand trillion yuan: far above any procurement, far below Decimal's limits


def money(value: object, *, field: str = "amount") -> Decimal:
    if isinstance(value, float):
        value = repr(value)
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise Invalid(f"{value!r} is not an amount of money", message_zh=f"{value!r} 不是有效金额", field=field) from exc
    if not amount.is_finite() or amount < 0:
        raise Invalid(f"{value!r} must be a finite amount >= 0", message_zh="金额必须为非负有限数", field=field)
    if amount >= LIMIT:
        raise Invalid(f"{value!r} is too large an amount", message_zh=f"金额 {value!r} 过大", field=field)
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def percent_of(amount: Decimal, percent: Decimal | int) -> Decimal:
    return (amount * Decimal(percent) / 100).quantize(CENT, rounding=ROUND_HALF_UP)
