"""Personal data in exchanged documents: masking formats, GB 11643 validation, the scanner,
the classification registry, role views, and the property that masking leaves nothing to find."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tenderhub.core.shared.roles import Role
from tenderhub.exchange.privacy import (
    FIELD_CLASSES,
    ID_WEIGHTS,
    PROVINCES,
    USCC_CHARS,
    USCC_WEIGHTS,
    Finding,
    classify,
    detect,
    find_personal_data,
    id_check_character,
    is_id_number,
    is_uscc,
    mask_bank_account,
    mask_document,
    mask_email,
    mask_id_number,
    mask_landline,
    mask_mobile,
    mask_name,
    mask_phone,
    mask_text,
    view_for,
)

ID = "11010519491231002X"  # the example of GB 11643-1999
OLD_ID = "110105491231002"  # the same person's 15-digit number
USCC = "91350100M000100Y43"  # the example of GB 32100-2015


def an_id(first17: str) -> str:
    return first17 + id_check_character(first17)


def a_release(**tenderhub: Any) -> dict[str, Any]:
    return {
        "ocid": "ocds-thxxxx-1", "id": "r1",
        "parties": [
            {"id": f"CN-USCC-{USCC}", "name": "某建设公司", "identifier": {"scheme": "CN-USCC", "id": USCC},
             "contactPoint": {"name": "张三丰", "email": "zhang.san@example.com", "telephone": "13812345678"}},
            {"id": "CN-RID-1", "name": "李四", "identifier": {"scheme": "CN-RID", "id": ID}},
        ],
        "tender": {"description": "联系人 王五 电话 010-62345678 邮箱 wangwu@example.cn"},
        "tenderhub": tenderhub,
    }


def extension_data() -> dict[str, Any]:
    return {
        "evaluationExperts": [{"id": "L1-1", "members": [{"id": "1", "name": "赵六", "idNumber": an_id("31010419800101123"), "telephone": "13900001111"}]}],
        "bidderLists": [{"id": "L1-1", "bidders": [{"id": "b1", "name": "某建设公司", "projectManager": {"name": "钱七", "idNumber": an_id("44030519850202456")}}]}],
        "bidFingerprints": [{"id": "bid-1", "relatedBid": "bid-1", "packageDigest": "ab" * 32, "machine": {"cpuId": "BFEBFBFF000906EA", "macAddress": "00-1A-2B-3C-4D-5E", "ipAddress": "10.1.2.3"}}],
        "guarantees": [{"id": "g1", "kind": "bidSecurity", "guaranteeNumber": "BG2024000123456789"}],
    }


# ---- masking formats --------------------------------------------------------------------


def test_an_id_number_keeps_its_first_three_and_last_four_characters() -> None:
    assert mask_id_number(ID) == "110***********002X"
    assert mask_id_number("110105194912311234") == "110***********1234"


def test_an_old_fifteen_digit_id_number_keeps_the_same_ends() -> None:
    assert mask_id_number(OLD_ID) == "110********1002"


def test_a_mobile_number_keeps_its_first_three_and_last_four_digits() -> None:
    assert mask_mobile("13812345678") == "138****5678"
    assert mask_mobile("+86 138-1234-5678") == "+86 138****5678"
    assert mask_phone("13812345678") == "138****5678"


def test_a_landline_keeps_its_area_code_and_last_four_digits() -> None:
    assert mask_landline("010-62345678") == "010-****5678"
    assert mask_landline("(0755) 8234567") == "0755-***4567"
    assert mask_phone("021-62345678-801") == "021-****5678"


def test_an_email_address_keeps_its_first_character_and_its_domain() -> None:
    assert mask_email("zhang.san@example.com") == "z***@example.com"


def test_a_bank_account_keeps_only_its_last_four_digits() -> None:
    assert mask_bank_account("6222 0212 3456 7890 123") == "***************0123"


def test_a_name_keeps_only_the_family_name() -> None:
    assert (mask_name("张三"), mask_name("张三丰")) == ("张*", "张**")


# ---- GB 11643 and GB 32100 --------------------------------------------------------------


def test_the_check_character_uses_the_gb_11643_weights() -> None:
    assert ID_WEIGHTS == (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    assert id_check_character(ID[:17]) == "X"


@pytest.mark.parametrize("number", [ID, ID.lower(), OLD_ID, an_id("44030519850202456"), an_id("83000019991231001")])
def test_a_valid_id_number_is_recognised(number: str) -> None:
    assert is_id_number(number)


@pytest.mark.parametrize("number", [
    "110105194912310021",  # wrong check character
    an_id("11010519490231002"),  # 31 February
    an_id("99010519491231002"),  # no such province
    an_id("11010518491231002"),  # born before 1900
    "110105491331002",  # old number, month 13
    "11010519491231002",  # 17 digits
])
def test_an_invalid_id_number_is_not_recognised(number: str) -> None:
    assert not is_id_number(number)


def all_digit_uscc_passing_the_id_checksum() -> str:
    """A USCC of a 机关 (11) in Beijing whose digits also pass the GB 11643 checksum."""
    for serial in range(10**8):
        base = f"11110000{serial:09d}"
        code = base + USCC_CHARS[(31 - sum(USCC_CHARS.index(c) * w for c, w in zip(base, USCC_WEIGHTS, strict=True)) % 31) % 31]
        if code[17].isdigit() and id_check_character(code[:17]) == code[17]:
            return code
    raise AssertionError("unreachable")


def test_a_uscc_is_not_an_id_number() -> None:
    digits = all_digit_uscc_passing_the_id_checksum()
    assert is_uscc(USCC) and is_uscc(digits)
    assert not is_id_number(USCC) and not is_id_number(digits)
    assert find_personal_data({"identifier": {"id": USCC}, "code": digits, "ocid": f"CN-USCC-{digits}"}) == []


def test_an_id_number_is_not_a_uscc() -> None:
    assert not is_uscc("110105194912310021")


# ---- the scanner ------------------------------------------------------------------------


def test_the_scanner_finds_planted_values_at_their_paths() -> None:
    assert find_personal_data(a_release()) == [
        Finding("parties[0].contactPoint.email", "email"),
        Finding("parties[0].contactPoint.telephone", "mobile"),
        Finding("parties[1].identifier.id", "id_number"),
        Finding("tender.description", "landline"),
        Finding("tender.description", "email"),
    ]


def test_the_scanner_walks_lists_inside_lists() -> None:
    assert find_personal_data([[{"a": ["x", f"证件 {OLD_ID}"]}]]) == [Finding("[0][0].a[1]", "id_number")]


def test_the_scanner_ignores_masked_values() -> None:
    masked = {"id": "110***********002X", "m": "138****5678", "l": "010-****5678", "e": "z***@example.com", "e2": "1***@13812345678.com"}
    assert find_personal_data(masked) == []


def test_an_email_whose_local_part_is_a_phone_number_is_one_finding() -> None:
    assert detect("13812345678@qq.com") == ["email"]
    assert mask_text("13812345678@qq.com") == "1***@qq.com"


@pytest.mark.parametrize("text", [
    "13812345678.00",  # an amount
    "a13812345678b" + "0" * 40,  # inside a hex digest
    "20240301093000",  # a data-spec timestamp
    "2024-03-01T09:00:00+08:00",
    "TH110000001-20240301-000001",
    "110105194912310021",  # a failed check character
])
def test_amounts_digests_timestamps_and_codes_are_not_personal_data(text: str) -> None:
    assert detect(text) == []


def test_numbers_are_not_scanned() -> None:
    assert find_personal_data({"amount": 13812345678}) == []


# ---- classification, masking documents, role views ----------------------------------------


def test_every_classified_field_cites_the_personal_information_protection_law() -> None:
    for path, found in FIELD_CLASSES.items():
        assert any(b.startswith("个人信息保护法 第") for b in found.basis), path
        assert found.level in ("public", "restricted", "secret")


def test_a_package_or_a_record_is_classified_like_a_release() -> None:
    email = FIELD_CLASSES["parties[].contactPoint.email"]
    assert classify("parties[3].contactPoint.email") is email
    assert classify("releases[0].parties[3].contactPoint.email") is email
    assert classify("records[1].compiledRelease.parties[0].contactPoint.email") is email
    assert classify("tender.parties[0].contactPoint.email") is None


def test_mask_document_masks_restricted_fields_by_kind_and_redacts_secret_ones() -> None:
    masked = mask_document(a_release(**extension_data()))
    party, person = masked["parties"]
    assert party["contactPoint"] == {"name": "张**", "email": "z***@example.com", "telephone": "138****5678"}
    assert party["identifier"]["id"] == USCC and person["identifier"]["id"] == "110***********002X"
    assert masked["tender"]["description"] == "联系人 王五 电话 010-****5678 邮箱 w***@example.cn"
    expert = masked["tenderhub"]["evaluationExperts"][0]["members"][0]
    assert expert == {"id": "1", "name": "赵六", "idNumber": "***", "telephone": "***"}
    assert masked["tenderhub"]["bidFingerprints"][0]["machine"] == {"cpuId": "***", "macAddress": "***", "ipAddress": "***"}
    assert masked["tenderhub"]["guarantees"][0]["guaranteeNumber"] == "**************6789"
    assert masked["tenderhub"]["bidderLists"][0]["bidders"][0]["projectManager"]["idNumber"].startswith("440***")
    assert find_personal_data(masked) == []


def test_mask_document_leaves_its_input_unchanged() -> None:
    release = a_release(**extension_data())
    mask_document(release)
    assert release == a_release(**extension_data())


def test_the_public_sees_restricted_values_masked_and_no_secret_values() -> None:
    seen = view_for(Role.PUBLIC, a_release(**extension_data()))
    assert seen["parties"][0]["contactPoint"]["telephone"] == "138****5678"
    assert seen["tenderhub"]["evaluationExperts"][0]["members"][0] == {"id": "1", "name": "赵六"}
    assert "machine" not in seen["tenderhub"]["bidFingerprints"][0]
    assert seen["tenderhub"]["bidFingerprints"][0]["packageDigest"] == "ab" * 32
    assert find_personal_data(seen) == []


@pytest.mark.parametrize("role", [Role.BIDDER, Role.TENDERER, Role.AGENCY, Role.EXPERT, "public"])
def test_other_roles_see_what_the_public_sees(role: Role | str) -> None:
    assert view_for(role, a_release(**extension_data())) == view_for(Role.PUBLIC, a_release(**extension_data()))


@pytest.mark.parametrize("role", [Role.REGULATOR, Role.OPERATOR, "regulator"])
def test_the_regulator_and_the_operator_see_everything_whole(role: Role | str) -> None:
    release = a_release(**extension_data())
    assert view_for(role, release) == release


def test_the_data_subject_sees_its_own_data_whole() -> None:
    release = a_release(**extension_data())
    assert view_for(Role.BIDDER, release, own=True) == release


def test_a_custom_classification_can_drop_a_whole_list_element() -> None:
    from tenderhub.exchange.privacy import FieldClass

    classes = {"items[]": FieldClass("secret", "opaque", "test", ("个人信息保护法 第51条",))}
    assert view_for(Role.PUBLIC, {"items": [1, 2], "other": "x"}, classification=classes) == {"items": [], "other": "x"}


def test_scenario_releases_carry_no_personal_data(scenario_releases: dict[str, list[dict[str, Any]]]) -> None:
    releases = [r for rs in scenario_releases.values() for r in rs]
    assert find_personal_data(releases) == []
    assert view_for(Role.PUBLIC, releases) == releases


# ---- the property: masking leaves nothing to find ----------------------------------------

PROVINCE_LIST = sorted(PROVINCES)
births = st.dates(date(1900, 1, 1), date(2099, 12, 31))


@st.composite
def id_numbers(draw: st.DrawFn) -> str:
    region = f"{draw(st.sampled_from(PROVINCE_LIST))}{draw(st.integers(0, 9999)):04d}"
    born = draw(st.dates(date(1900, 1, 1), date(1999, 12, 31)) if draw(st.booleans()) else births)
    if born.year < 2000 and draw(st.integers(0, 4)) == 0:
        return f"{region}{born:%y%m%d}{draw(st.integers(0, 999)):03d}"
    first17 = f"{region}{born:%Y%m%d}{draw(st.integers(0, 999)):03d}"
    return first17 + id_check_character(first17)


@st.composite
def mobiles(draw: st.DrawFn) -> str:
    digits = f"1{draw(st.integers(3, 9))}{draw(st.integers(0, 999_999_999)):09d}"
    sep = draw(st.sampled_from(["", "-", " "]))
    prefix = draw(st.sampled_from(["", "+86 ", "+86-", "86"]))
    return prefix + sep.join((digits[:3], digits[3:7], digits[7:]))


local_parts = st.text("abcdefghijklmnopqrstuvwxyz0123456789._-+", min_size=1, max_size=12).filter(lambda s: s[0].isalnum())
emails = st.builds("{}@{}.{}".format, local_parts, st.from_regex(r"[a-z0-9]{1,10}", fullmatch=True), st.sampled_from(["com", "cn", "com.cn", "org"]))
planted = st.one_of(id_numbers(), mobiles(), emails)
filler = st.text("张三李四公司电话证件abcXYZ -:,.()", max_size=12)
texts = st.builds(lambda a, p, b: f"{a} {p} {b}", filler, planted, filler)
leaves = st.one_of(texts, filler, st.integers(), st.none(), st.booleans())
keys = st.sampled_from(["parties", "contactPoint", "email", "telephone", "identifier", "id", "name", "description", "tenderhub", "machine", "x"])
documents = st.recursive(leaves, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4), max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(planted)
def test_every_generated_value_is_found_alone_and_masked_away(value: str) -> None:
    assert len(detect(value)) == 1, value
    assert detect(mask_text(value)) == []


@settings(max_examples=300, deadline=None)
@given(documents)
def test_nothing_is_found_in_a_masked_document(document: Any) -> None:
    assert find_personal_data(mask_document(document)) == []
    assert find_personal_data(view_for(Role.PUBLIC, document)) == []


@settings(max_examples=200, deadline=None)
@given(st.lists(texts, min_size=1, max_size=5))
def test_every_planted_value_is_found_before_masking(values: list[str]) -> None:
    assert len(find_personal_data({"parties": [{"description": v} for v in values]})) >= len(values)
