"""Identifier codes: USCC, organisation code, project/tender/lot codes, deal code, investment code.

* **USCC** 统一社会信用代码, GB 32100-2015: 18 characters from a 31-character set (no I, O, S, V,
  Z); positions 3–8 are the registration authority's division code (digits); the 18th is a
  check character, weights 3^(i−1) mod 31, check = 31 − (Σ mod 31), 31 → 0.
* **Organisation code** 组织机构代码, GB 11714 (positions 9–17 of a USCC): weights 3 7 9 10 5 8 4 2,
  check = 11 − (Σ mod 11), 10 → X, 11 → 0. Not every USCC subject identifier passes it, so a
  mismatch is a warning, never a refusal.
* **Project codes** (公共资源交易平台系统数据规范, 技术规范 附录B.3; structure unverified, see
  cn-rules §9.8 and §17): our reading is the nesting PROJECT_CODE C17 = the trading platform's
  C11 identifier + a 6-digit serial; TENDER_PROJECT_CODE C20 = project code + 3-digit serial;
  BID_SECTION_CODE C23 = tender project code + 3-digit serial. Serials start at 1. The platform
  identifier is taken as 11 characters of 0–9/A–Z. (No year is embedded: 17 − 11 leaves six
  characters, all given to the serial.)
* **Unified deal code** 统一交易标识码 (数据规范 §3, field C40; unverified): platform USCC, an
  8-digit date ``yyyyMMdd``, a 6-digit serial and one check character, joined by ``-`` (36
  characters). The check is ISO 7064 MOD 37-2 (pure system, character set 0–9 A–Z ``*`` with
  values 0–36) over the 32 data characters without the hyphens, so that
  Σ aᵢ·2^(i−1) ≡ 1 (mod 37) with i = 1 at the check character. One published implementation
  (lishanling/GGZY) also prefixes the 3-character industry code to the checked data, which
  makes its codes unverifiable without that code; we do not.
* **Investment project code** 投资项目代码 (C24): shape only, ``YYYY-RRRRRR-II-TT-NNNNNN``.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from itertools import accumulate, pairwise

from tenderhub.core.shared.errors import Invalid

USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
ORG_CODE_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
MOD37_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ*"
PLATFORM_ID = re.compile(r"[0-9A-Z]{11}", re.ASCII)
DEAL_CODE = re.compile(r"([0-9A-Z]{18})-(\d{8})-(\d{6})-([0-9A-Z*])", re.ASCII)
INVEST_PROJECT_CODE = re.compile(r"\d{4}-\d{6}-\d{2}-\d{2}-\d{6}", re.ASCII)
# level -> (name zh, name en, total length, widths of the serials after the platform identifier)
CODE_LEVELS = {
    "project_code": ("项目编号", "project code", 17, (6,)),
    "tender_project_code": ("招标项目编号", "tender project code", 20, (6, 3)),
    "bid_section_code": ("标段编号", "bid section code", 23, (6, 3, 3)),
}
# error code -> (message zh, message en); the templates take keyword parameters
MESSAGES = {
    "code.type": ("应为字符串，实为 {got}", "must be a string, got {got}"),
    "code.serial": (
        "流水号应为 1 至 {top} 的整数，实为 {got}",
        "serial must be an integer 1..{top}, got {got}",
    ),
    "code.platform_id": (
        "交易平台标识码应为11位数字或大写字母：{got}",
        "a platform identifier has 11 digits or capitals, got {got}",
    ),
    "code.shape": (
        "{zh}应为{n}位：11位交易平台标识码加数字流水号，且流水号不为0",
        "a {en} has {n} characters: an 11-character platform identifier and non-zero digit serials",
    ),
    "code.parent": ("{zh}不属于上级编号 {parent}", "the {en} does not lie under {parent}"),
    "uscc.length": (
        "统一社会信用代码应为18位（GB 32100-2015），实为{n}位",
        "a unified social credit code has 18 characters (GB 32100-2015), got {n}",
    ),
    "uscc.first17": (
        "计算校验码需要前17位（GB 32100-2015），实为{n}位",
        "the check character needs the first 17 characters (GB 32100-2015), got {n}",
    ),
    "uscc.charset": (
        "统一社会信用代码含非法字符 {bad}（GB 32100-2015 字符集不含 I、O、S、V、Z）",
        "characters {bad} are not allowed (GB 32100-2015 charset, no I O S V Z)",
    ),
    "uscc.region": (
        "第3–8位登记管理机关行政区划码应为数字（GB 32100-2015）",
        "positions 3-8 (registration authority division code) must be digits (GB 32100-2015)",
    ),
    "uscc.check_char": (
        "校验码应为 {expected}，实为 {got}（GB 32100-2015）",
        "check character should be {expected}, got {got} (GB 32100-2015)",
    ),
    "deal_code.shape": (
        "统一交易标识码应为 统一社会信用代码-yyyyMMdd-6位流水号-校验位",
        "a unified deal code reads <USCC>-<yyyyMMdd>-<6-digit serial>-<check character>",
    ),
    "deal_code.date": (
        "统一交易标识码的日期 {day} 不存在",
        "the date {day} of the unified deal code does not exist",
    ),
    "deal_code.check_char": (
        "统一交易标识码校验位应为 {expected}，实为 {got}（ISO 7064 MOD 37-2）",
        "check character should be {expected}, got {got} (ISO 7064 MOD 37-2)",
    ),
    "invest_project_code.shape": (
        "投资项目代码应为24位：YYYY-RRRRRR-II-TT-NNNNNN，实为 {got}",
        "an investment project code reads YYYY-RRRRRR-II-TT-NNNNNN (24 characters), got {got}",
    ),
}


def fail(field: str, code: str, **params: object) -> Invalid:
    zh, en = MESSAGES[code]
    return Invalid(en.format(**params), message_zh=zh.format(**params), field=field, code=code)


def normalise(code: str) -> str:
    """Full-width to ASCII (NFKC), surrounding blanks removed, upper case."""
    return unicodedata.normalize("NFKC", code).strip().upper()


def text_of(code: object, field: str) -> str:
    if not isinstance(code, str):
        raise fail(field, "code.type", got=type(code).__name__)
    return normalise(code)


# --- USCC, GB 32100-2015 -------------------------------------------------------------------


def uscc_check_char(first17: str) -> str:
    """The check character (18th) of the USCC whose first 17 characters are given."""
    text = text_of(first17, "uscc")
    if len(text) != 17:
        raise fail("uscc", "uscc.first17", n=len(text))
    if bad := sorted(set(text) - set(USCC_CHARS)):
        raise fail("uscc", "uscc.charset", bad="".join(bad))
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(text, USCC_WEIGHTS, strict=True))
    return USCC_CHARS[(31 - total % 31) % 31]


def validate_uscc(code: str, *, field: str = "uscc") -> str:
    """The normalised code, or ``Invalid`` naming GB 32100 and the check that failed."""
    text = text_of(code, field)
    if len(text) != 18:
        raise fail(field, "uscc.length", n=len(text))
    if bad := sorted(set(text) - set(USCC_CHARS)):
        raise fail(field, "uscc.charset", bad="".join(bad))
    if not text[2:8].isdigit():
        raise fail(field, "uscc.region")
    if (expected := uscc_check_char(text[:17])) != text[17]:
        raise fail(field, "uscc.check_char", expected=expected, got=text[17])
    return text


def is_valid_uscc(code: str) -> bool:
    try:
        validate_uscc(code)
    except Invalid:
        return False
    return True


# --- Organisation code, GB 11714 (a warning, never a refusal) -------------------------------


def org_code_check_char(first8: str) -> str:
    total = sum(ORG_CODE_CHARS.index(c) * w for c, w in zip(first8, ORG_CODE_WEIGHTS, strict=True))
    value = 11 - total % 11
    return {10: "X", 11: "0"}.get(value, str(value))


def org_code_warning(code: str) -> str | None:
    """None when the GB 11714 code (9 characters, or positions 9–17 of a USCC) checks; else why."""
    text = normalise(code).replace("-", "") if isinstance(code, str) else ""
    text = text[8:17] if len(text) == 18 else text
    if len(text) != 9 or not set(text) <= set(ORG_CODE_CHARS):
        return f"组织机构代码应为9位数字或大写字母（GB 11714） / an organisation code has 9 digits or capitals (GB 11714): {code!r}"
    if (expected := org_code_check_char(text[:8])) == text[8]:
        return None
    return f"组织机构代码 {text} 的校验码应为 {expected}（GB 11714，仅提示） / the GB 11714 check character of {text} should be {expected} (warning only)"


# --- Project, tender project and bid section codes ------------------------------------------


def project_code(platform_id: str, serial: int) -> str:
    """PROJECT_CODE C17: the platform's 11-character identifier and a 6-digit serial."""
    platform = text_of(platform_id, "platform_id")
    if not PLATFORM_ID.fullmatch(platform):
        raise fail("platform_id", "code.platform_id", got=repr(platform_id))
    return platform + serial_text(serial, 6)


def tender_project_code(project: str, serial: int) -> str:
    """TENDER_PROJECT_CODE C20: the project code and a 3-digit serial."""
    return validate_project_code(project) + serial_text(serial, 3)


def bid_section_code(tender_project: str, serial: int) -> str:
    """BID_SECTION_CODE C23: the tender project code and a 3-digit serial."""
    return validate_tender_project_code(tender_project) + serial_text(serial, 3)


def serial_text(serial: int, width: int) -> str:
    top = 10**width - 1
    if isinstance(serial, bool) or not isinstance(serial, int) or not 1 <= serial <= top:
        raise fail("serial", "code.serial", top=top, got=repr(serial))
    return str(serial).zfill(width)


def validate_project_code(code: str, *, field: str = "project_code") -> str:
    return validate_nested_code(code, "project_code", field=field)


def validate_tender_project_code(
    code: str, *, field: str = "tender_project_code", project: str | None = None
) -> str:
    """Shape check; when ``project`` is given, also that the code lies under that project."""
    return validate_nested_code(code, "tender_project_code", field=field, parent=project)


def validate_bid_section_code(
    code: str, *, field: str = "bid_section_code", tender_project: str | None = None
) -> str:
    """Shape check; when ``tender_project`` is given, also that the lot lies under it."""
    return validate_nested_code(code, "bid_section_code", field=field, parent=tender_project)


def validate_nested_code(code: str, level: str, *, field: str, parent: str | None = None) -> str:
    zh, en, length, widths = CODE_LEVELS[level]
    text = text_of(code, field)
    if (
        len(text) != length
        or not PLATFORM_ID.fullmatch(text[:11])
        or not serials_ok(text[11:], widths)
    ):
        raise fail(field, "code.shape", zh=zh, en=en, n=length)
    if parent is not None and not text.startswith(normalise(parent)):
        raise fail(field, "code.parent", zh=zh, en=en, parent=parent)
    return text


def serials_ok(digits: str, widths: tuple[int, ...]) -> bool:
    """Only ASCII digits, and no serial part all zeros."""
    if not (digits.isascii() and digits.isdigit()):
        return False
    bounds = [0, *accumulate(widths)]
    return all(int(digits[a:b]) > 0 for a, b in pairwise(bounds))


# --- Unified deal code (ISO 7064 MOD 37-2) ------------------------------------------------------


def mod37_2_check_char(data: str) -> str:
    """ISO 7064 MOD 37-2 (pure system) check character of ``data`` (0-9, A-Z, '*')."""
    total = 0
    for char in data:
        total = (total + MOD37_CHARS.index(char)) * 2 % 37
    return MOD37_CHARS[(38 - total) % 37]


def deal_code(platform_uscc: str, day: date, serial: int) -> str:
    """UNIFIED_DEAL_CODE ``<USCC>-<yyyyMMdd>-<6-digit serial>-<check>`` (36 characters)."""
    if isinstance(day, datetime) or not isinstance(day, date):
        raise fail("day", "code.type", got=f"{type(day).__name__} (a date is needed)")
    uscc = validate_uscc(platform_uscc, field="platform_uscc")
    parts = (uscc, f"{day:%Y%m%d}", serial_text(serial, 6))
    return "-".join((*parts, mod37_2_check_char("".join(parts))))


def validate_deal_code(code: str, *, field: str = "unified_deal_code") -> str:
    """The normalised deal code, or ``Invalid`` naming the part that failed."""
    match = DEAL_CODE.fullmatch(text_of(code, field))
    if match is None or int(match.group(3)) == 0:
        raise fail(field, "deal_code.shape")
    uscc, day, serial, check = match.groups()
    validate_uscc(uscc, field=field)
    if not is_calendar_date(day):
        raise fail(field, "deal_code.date", day=day)
    if (expected := mod37_2_check_char(uscc + day + serial)) != check:
        raise fail(field, "deal_code.check_char", expected=expected, got=check)
    return match.group(0)


def is_calendar_date(yyyymmdd: str) -> bool:
    try:
        date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:]))
    except ValueError:
        return False
    return True


# --- Investment project code -------------------------------------------------------------------


def validate_invest_project_code(code: str, *, field: str = "invest_project_code") -> str:
    """Shape only: 24 characters ``YYYY-RRRRRR-II-TT-NNNNNN`` (e.g. 2017-110105-47-01-012345)."""
    text = text_of(code, field)
    if not INVEST_PROJECT_CODE.fullmatch(text):
        raise fail(field, "invest_project_code.shape", got=repr(code))
    return text
