"""Personal data in exchanged documents: detection, masking and role-filtered views.

Why and what (the decisions, with the articles of 个人信息保护法) are in ``docs/personal-data.md``.
In short: every field of the exchange schema that can carry personal data is classified in
``FIELD_CLASSES`` (个人信息保护法 第51条第二项 分类管理), restricted values are masked and secret
ones dropped for every viewer but the regulator, the platform operator and the data subject
(第51条第三项 去标识化, 第73条第三项), and free text is scanned for ID numbers, phone numbers and
e-mail addresses that no classification foresaw.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from tenderhub.core.shared.roles import Role

Level = Literal["public", "restricted", "secret"]
Kind = Literal["id_number", "mobile", "landline", "email"]

# ---- GB 11643 居民身份证号码 and GB 32100 统一社会信用代码 ------------------------------------

ID_WEIGHTS = tuple(2 ** (17 - i) % 11 for i in range(17))  # 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2
ID_CHECK = "10X98765432"
# GB/T 2260 provinces; 71 台湾, 81 香港, 82 澳门, 83 港澳台居民居住证 (built by the same standard)
PROVINCES = frozenset({*range(11, 16), *range(21, 24), *range(31, 38), *range(41, 47),
                       *range(50, 55), *range(61, 66), 71, 81, 82, 83})
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def id_check_character(first17: str) -> str:
    """The GB 11643 check character (ISO 7064 MOD 11-2) of the first 17 digits."""
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def is_id_number(text: str) -> bool:
    """An 18-character ID number with a valid region, birth date and check character, or a
    15-digit one (issued before 1999) with a valid region and birth date (no check character)."""
    t = text.upper()
    if re.fullmatch(r"[0-9]{17}[0-9X]", t):
        return _plausible(t[:2], t[6:14]) and id_check_character(t[:17]) == t[17]
    return bool(re.fullmatch(r"[0-9]{15}", t)) and _plausible(t[:2], "19" + t[6:12])


def _plausible(province: str, birth: str) -> bool:
    if int(province) not in PROVINCES or not 1900 <= int(birth[:4]) <= 2099:
        return False
    try:
        date(int(birth[:4]), int(birth[4:6]), int(birth[6:8]))
    except ValueError:
        return False
    return True


def is_uscc(text: str) -> bool:
    """A 统一社会信用代码 with a valid GB 32100 check character (ISO 7064 MOD 31-3)."""
    if len(text) != 18 or any(c not in USCC_CHARS for c in text):
        return False
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(text, USCC_WEIGHTS, strict=False))
    return USCC_CHARS[(31 - total % 31) % 31] == text[17]


# ---- masking one value -------------------------------------------------------------------


def _stars(n: int) -> str:
    return "*" * max(n, 1)


def mask_id_number(value: str) -> str:
    """``110***********1234``: the first 3 and the last 4 characters, the length kept."""
    return value[:3] + _stars(len(value) - 7) + value[-4:] if len(value) > 7 else _stars(len(value))


def mask_mobile(value: str) -> str:
    """``138****5678`` (a ``+86`` prefix is kept; separators are dropped)."""
    digits = re.sub(r"[^0-9]", "", value)
    prefix = "+86 " if len(digits) == 13 and digits.startswith("86") else ""
    return prefix + digits[-11:-8] + "****" + digits[-4:]


def mask_landline(value: str) -> str:
    """``010-****5678``: the area code and the last 4 digits of the number (extension dropped)."""
    found = re.fullmatch(r"\(?(0[0-9]{2,3})\)?[- ]?([0-9]{7,8})(?:-[0-9]{1,6})?", value.strip())
    if found is None:
        return mask_tail(value)
    return f"{found[1]}-{_stars(len(found[2]) - 4)}{found[2][-4:]}"


def mask_phone(value: str) -> str:
    """A telephone field: a mobile or landline as above, anything else down to its last 4."""
    if MOBILE.fullmatch(value.strip()):
        return mask_mobile(value)
    return mask_landline(value)


def mask_email(value: str) -> str:
    """``z***@example.com``: the first character of the local part and the domain."""
    local, at, domain = value.rpartition("@")
    return f"{local[:1]}***@{domain}" if at and local else _stars(len(value))


def mask_tail(value: str) -> str:
    """Bank account and reference numbers: ``****1234``, the last 4 characters only."""
    kept = re.sub(r"[\s-]", "", value)
    return _stars(len(kept) - 4) + kept[-4:] if len(kept) > 4 else _stars(len(kept))


mask_bank_account = mask_tail


def mask_name(value: str) -> str:
    """``张**``: the first character (the family name for most Chinese names) and a star for each
    other character. Compound family names (欧阳) lose their second character."""
    name = value.strip()
    return name[:1] + _stars(len(name) - 1) if name else name


def mask_subject_code(value: str) -> str:
    """A subject code (GB 32100 USCC, GB 11714 or GB 11643): masked only if it is an ID number."""
    return mask_id_number(value) if is_id_number(value) else value


# ---- finding personal data in text -------------------------------------------------------

_B = r"(?<![0-9A-Za-z])(?<![0-9]\.)"  # not inside a code, a hash or a decimal amount
_E = r"(?![0-9A-Za-z])(?!\.[0-9])"
EMAIL = re.compile(r"(?<![A-Za-z0-9._%+*-])([A-Za-z0-9._%+*-]+)@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})(?![A-Za-z0-9-])", re.ASCII)
ID_NUMBER = re.compile(_B + r"(?:[0-9]{17}[0-9Xx]|[0-9]{15})" + _E, re.ASCII)
MOBILE = re.compile(_B + r"(?:\+?86[- ]?)?1[3-9][0-9](?:[- ]?[0-9]{4}){2}" + _E, re.ASCII)
LANDLINE = re.compile(_B + r"(?:\(0[0-9]{2,3}\) ?|0[0-9]{2,3}-)[2-9][0-9]{6,7}(?:-[0-9]{1,6})?" + _E, re.ASCII)

# In priority order: an e-mail address hides the phone number in its local part.
DETECTORS: tuple[tuple[Kind, re.Pattern[str], Callable[[str], bool], Callable[[str], str]], ...] = (
    ("email", EMAIL, lambda m: "*" not in m.partition("@")[0], mask_email),
    ("id_number", ID_NUMBER, is_id_number, mask_id_number),
    ("mobile", MOBILE, lambda m: True, mask_mobile),
    ("landline", LANDLINE, lambda m: True, mask_landline),
)


@dataclass(frozen=True)
class Finding:
    path: str  # e.g. ``parties[0].contactPoint.email``; ``""`` for a bare string
    kind: Kind


def _spans(text: str) -> list[tuple[int, int, Kind, Callable[[str], str]]]:
    """Unmasked personal data in ``text``: (start, end, kind, masker), left to right."""
    taken: list[tuple[int, int]] = []
    found: list[tuple[int, int, Kind, Callable[[str], str]]] = []
    for kind, pattern, valid, masker in DETECTORS:
        for m in pattern.finditer(text):
            if any(m.start() < end and start < m.end() for start, end in taken):
                continue
            if kind == "email" or valid(m[0]):  # a masked e-mail still hides its domain
                taken.append(m.span())
            if valid(m[0]):
                found.append((m.start(), m.end(), kind, masker))
    return sorted(found, key=lambda f: f[0])


def detect(text: str) -> list[Kind]:
    """The kinds of unmasked personal data in a piece of text, in order of appearance."""
    return [kind for _, _, kind, _ in _spans(text)]


def mask_text(text: str) -> str:
    """``text`` with every detected ID number, phone number and e-mail address masked."""
    for start, end, _, masker in reversed(_spans(text)):
        text = text[:start] + masker(text[start:end]) + text[end:]
    return text


def _strings(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from _strings(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list | tuple):
        for n, item in enumerate(value):
            yield from _strings(item, f"{path}[{n}]")
    elif isinstance(value, str):
        yield path, value


def find_personal_data(value: Any) -> list[Finding]:
    """Unmasked ID numbers, phone numbers and e-mail addresses in the strings of a JSON-like
    value, each with its path. Numbers are not scanned (amounts would look like phones)."""
    return [Finding(path, kind) for path, text in _strings(value) for kind in detect(text)]


# ---- classification ----------------------------------------------------------------------


@dataclass(frozen=True)
class FieldClass:
    level: Level
    kind: str  # a key of MASKERS: how a restricted value is masked
    dataset: str  # the national data-spec dataset, or "OCDS"
    basis: tuple[str, ...]  # 个人信息保护法 articles and other grounds


PIPL = "个人信息保护法"
CONTACT = (f"{PIPL} 第4条", f"{PIPL} 第25条", f"{PIPL} 第51条")
SENSITIVE = (f"{PIPL} 第28条", f"{PIPL} 第29条", f"{PIPL} 第51条")
MASKERS: dict[str, Callable[[str], str]] = {
    "id_number": mask_id_number, "phone": mask_phone, "email": mask_email, "name": mask_name,
    "bank_account": mask_bank_account, "reference": mask_tail, "subject_code": mask_subject_code,
}

FIELD_CLASSES: dict[str, FieldClass] = {
    # OCDS release paths
    "parties[].contactPoint.name": FieldClass("restricted", "name", "OCDS", CONTACT),
    "parties[].contactPoint.email": FieldClass("restricted", "email", "OCDS", CONTACT),
    "parties[].contactPoint.telephone": FieldClass("restricted", "phone", "OCDS", CONTACT),
    "parties[].contactPoint.faxNumber": FieldClass("restricted", "phone", "OCDS", CONTACT),
    "parties[].identifier.id": FieldClass("restricted", "subject_code", "OCDS", SENSITIVE),
    "parties[].additionalIdentifiers[].id": FieldClass("restricted", "subject_code", "OCDS", SENSITIVE),
    # the tenderhub extension (national data-spec fields)
    "tenderhub.openingRecords[].entries[].bidderIdentifier.id": FieldClass("restricted", "subject_code", "506", SENSITIVE),
    "tenderhub.bidderLists[].bidders[].identifier.id": FieldClass("restricted", "subject_code", "507", SENSITIVE),
    "tenderhub.bidderLists[].bidders[].projectManager.name": FieldClass("public", "name", "507 BID_MANAGER", (f"{PIPL} 第13条第一款第三项", "招标公告和公示信息发布管理办法 第6条 ◐")),
    "tenderhub.bidderLists[].bidders[].projectManager.idNumber": FieldClass("restricted", "id_number", "507 PM_CODE", SENSITIVE),
    "tenderhub.candidates[].candidates[].identifier.id": FieldClass("restricted", "subject_code", "510", SENSITIVE),
    "tenderhub.evaluationExperts[].members[].name": FieldClass("public", "name", "508", (f"{PIPL} 第13条第一款第三项", "政府采购法实施条例 第43条第三款", "招标投标法 第37条第五款")),
    "tenderhub.evaluationExperts[].members[].idNumber": FieldClass("secret", "id_number", "508", SENSITIVE),
    "tenderhub.evaluationExperts[].members[].telephone": FieldClass("secret", "phone", "508", CONTACT),
    "tenderhub.bidFingerprints[].machine": FieldClass("secret", "opaque", "519 CPU_ID/HARD_DISK_SERIAL_NUMBER/MEMORY_SERIAL_NUMBER/NET_ID/MAC_ADDRESS", (f"{PIPL} 第4条", f"{PIPL} 第6条", f"{PIPL} 第51条")),
    "tenderhub.guarantees[].guaranteeNumber": FieldClass("restricted", "reference", "523 GUARANTEE_NO", (f"{PIPL} 第28条", f"{PIPL} 第51条")),
}

# A classification path is relative to a release; packages and records hold releases here.
ROOTS = ("", "releases[].", "records[].compiledRelease.", "records[].releases[].")


def pattern_of(path: str) -> str:
    """``parties[0].contactPoint.email`` → ``parties[].contactPoint.email``."""
    return re.sub(r"\[\d+\]", "[]", path)


def classify(path: str, classes: Mapping[str, FieldClass] = FIELD_CLASSES) -> FieldClass | None:
    """The class of the value at a concrete path, or ``None`` (unclassified: scanned only)."""
    pattern = pattern_of(path)
    for root in ROOTS:
        if pattern.startswith(root) and pattern[len(root):] in classes:
            return classes[pattern[len(root):]]
    return None


# ---- masking documents and role views ----------------------------------------------------

WHOLE_VIEW = frozenset({Role.REGULATOR, Role.OPERATOR})  # and the data subject: ``own=True``
_DROP = object()


def _leaves(value: Any, fn: Callable[[Any], Any]) -> Any:
    if isinstance(value, Mapping):
        return {k: _leaves(v, fn) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_leaves(v, fn) for v in value]
    return fn(value)


def _restricted(kind: str) -> Callable[[Any], Any]:
    masker = MASKERS.get(kind, lambda s: "***")
    return lambda v: v if v is None or isinstance(v, bool) else mask_text(masker(str(v)))


def _redact(value: Any) -> Any:
    return "***" if isinstance(value, str) else None


def _walk(value: Any, path: str, classes: Mapping[str, FieldClass], secret: Callable[[Any], Any]) -> Any:
    found = classify(path, classes) if path else None
    if found is not None and found.level == "secret":
        return secret(value)
    if found is not None and found.level == "restricted":
        return _leaves(value, _restricted(found.kind))
    if isinstance(value, Mapping):
        walked = {k: _walk(v, f"{path}.{k}" if path else str(k), classes, secret) for k, v in value.items()}
        return {k: v for k, v in walked.items() if v is not _DROP}
    if isinstance(value, list | tuple):
        items = [_walk(v, f"{path}[{n}]", classes, secret) for n, v in enumerate(value)]
        return [v for v in items if v is not _DROP]
    return mask_text(value) if isinstance(value, str) else value


def mask_document(value: Any, classification: Mapping[str, FieldClass] = FIELD_CLASSES) -> Any:
    """A copy of ``value`` with restricted fields masked by their kind, secret fields redacted
    (``"***"``, non-strings ``None``: the shape is kept) and every other string masked where
    ``find_personal_data`` would find something."""
    return _walk(value, "", classification, lambda v: _leaves(v, _redact))


def view_for(role: Role | str, value: Any, *, own: bool = False,
             classification: Mapping[str, FieldClass] = FIELD_CLASSES) -> Any:
    """``value`` as ``role`` may see it: whole for the regulator, the platform operator and the
    data subject (``own=True``: the caller has established that the data is the viewer's own);
    for everyone else restricted values masked, secret values dropped and free text masked."""
    if own or Role(role) in WHOLE_VIEW:
        return copy.deepcopy(value)
    return _walk(value, "", classification, lambda v: _DROP)
