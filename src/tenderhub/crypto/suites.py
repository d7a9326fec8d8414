"""The two algorithm suites: ``intl`` (P-256/SHA-256/AES-256-GCM) and ``gm`` (SM2/SM3/SM4)."""

from __future__ import annotations

from tenderhub.core.shared.errors import Invalid

SUITES = ("intl", "gm")


def check_suite(name: str) -> str:
    """The suite name, or ``Invalid`` naming the field ``suite``."""
    if name not in SUITES:
        raise Invalid(
            f"unknown crypto suite {name!r}: use one of {', '.join(SUITES)}",
            message_zh=f"未知的密码套件 {name!r}，可选 {', '.join(SUITES)}",
            field="suite",
        )
    return name
