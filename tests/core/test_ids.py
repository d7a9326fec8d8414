from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tenderhub.core.shared.errors import Invalid
from tenderhub.core.shared.ids import (
    MOD37_CHARS,
    USCC_CHARS,
    bid_section_code,
    deal_code,
    is_valid_uscc,
    mod37_2_check_char,
    org_code_warning,
    project_code,
    tender_project_code,
    uscc_check_char,
    validate_bid_section_code,
    validate_deal_code,
    validate_invest_project_code,
    validate_project_code,
    validate_tender_project_code,
    validate_uscc,
)

PUBLIC_VALID_USCCS = [
    "91350100M000100Y43",
    "914403001922038216",
    "91110108551385082Q",
    "9144030071526726XG",
]
HUAWEI = "914403001922038216"
PLATFORM = "A1101050001"

uscc_bodies = st.builds(
    lambda head, region, subject: head + region + subject,
    st.text(USCC_CHARS, min_size=2, max_size=2),
    st.text("0123456789", min_size=6, max_size=6),
    st.text(USCC_CHARS, min_size=9, max_size=9),
)


def refusal(call, *args, **kwargs) -> Invalid:
    with pytest.raises(Invalid) as caught:
        call(*args, **kwargs)
    return caught.value


@pytest.mark.parametrize("code", PUBLIC_VALID_USCCS)
def test_published_credit_codes_are_valid(code):
    assert is_valid_uscc(code)
    assert validate_uscc(code) == code


def test_the_weights_of_gb_32100_are_powers_of_three_mod_31():
    from tenderhub.core.shared.ids import USCC_WEIGHTS

    assert USCC_WEIGHTS == (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def test_the_standards_worked_example_has_check_character_3():
    assert uscc_check_char("91350100M000100Y4") == "3"


def test_a_wrong_check_character_is_refused_naming_gb_32100():
    error = refusal(validate_uscc, "914403001922038217", field="tenderer_code")
    assert error.code == "uscc.check_char"
    assert error.field == "tenderer_code"
    assert "GB 32100" in error.message_en and "GB 32100" in error.message_zh
    assert "6" in error.message_en


def test_the_standards_bad_example_is_refused_for_its_letter_z():
    assert not is_valid_uscc("91350100M000100Y4Z")
    assert refusal(validate_uscc, "91350100M000100Y4Z").code == "uscc.charset"


@pytest.mark.parametrize(
    ("code", "rule"),
    [
        ("91440300192203821", "uscc.length"),
        ("9144030019220382166", "uscc.length"),
        ("91440300I92203821X", "uscc.charset"),
        ("9144O3001922038216", "uscc.charset"),
        ("9144A3001922038216", "uscc.region"),
    ],
)
def test_each_failed_uscc_check_is_named(code, rule):
    assert refusal(validate_uscc, code).code == rule
    assert not is_valid_uscc(code)


def test_a_credit_code_is_normalised_from_lower_case_and_full_width():
    assert validate_uscc(" 91110108551385082q ") == "91110108551385082Q"
    assert validate_uscc("９１４４０３００１９２２０３８２１６") == HUAWEI


def test_a_credit_code_that_is_not_text_is_refused_and_not_valid():
    assert refusal(validate_uscc, 914403001922038216).code == "code.type"
    assert not is_valid_uscc(None)  # type: ignore[arg-type]


@given(uscc_bodies)
def test_every_17_character_body_with_its_check_character_is_valid(body):
    assert is_valid_uscc(body + uscc_check_char(body))


@given(uscc_bodies, st.integers(0, 16), st.sampled_from(USCC_CHARS))
def test_changing_one_character_of_a_valid_code_breaks_it(body, position, char):
    code = body + uscc_check_char(body)
    changed = code[:position] + char + code[position + 1 :]
    assert is_valid_uscc(changed) == (changed == code)


def test_an_organisation_code_that_checks_gives_no_warning():
    assert org_code_warning("M000100Y4") is None
    assert org_code_warning("19220382-1") is None
    assert all(org_code_warning(code) is None for code in PUBLIC_VALID_USCCS)


def test_an_organisation_code_with_a_bad_check_gives_a_warning_naming_gb_11714():
    warning = org_code_warning("M000100Y5")
    assert warning is not None and "GB 11714" in warning and "4" in warning


def test_a_malformed_organisation_code_gives_a_warning():
    assert org_code_warning("ABC") is not None


def test_project_codes_nest_with_three_digit_serials():
    project = project_code(PLATFORM, 1)
    tender = tender_project_code(project, 2)
    section = bid_section_code(tender, 3)
    assert (project, tender, section) == (
        "A1101050001000001",
        "A1101050001000001002",
        "A1101050001000001002003",
    )
    assert validate_bid_section_code(section, tender_project=tender) == section


def test_a_lot_code_under_another_tender_project_is_refused():
    other = tender_project_code(project_code(PLATFORM, 1), 9)
    section = bid_section_code(tender_project_code(project_code(PLATFORM, 1), 2), 1)
    assert refusal(validate_bid_section_code, section, tender_project=other).code == "code.parent"


def test_a_tender_project_code_checks_its_parent_project():
    tender = tender_project_code(project_code(PLATFORM, 7), 1)
    assert validate_tender_project_code(tender, project=project_code(PLATFORM, 7)) == tender
    error = refusal(validate_tender_project_code, tender, project=project_code(PLATFORM, 8))
    assert error.field == "tender_project_code"


@pytest.mark.parametrize(
    ("call", "code"),
    [
        (validate_project_code, "A110105000100000"),
        (validate_project_code, "A1101050001000000"),
        (validate_project_code, "A110105000#000001"),
        (validate_tender_project_code, "A1101050001000001000"),
        (validate_tender_project_code, "A11010500010000010A2"),
        (validate_bid_section_code, "A1101050001000001001000"),
    ],
)
def test_a_malformed_or_zero_serial_code_is_refused(call, code):
    assert refusal(call, code).code == "code.shape"


@pytest.mark.parametrize("serial", [0, 1000, -1, True, "1"])
def test_a_serial_outside_its_width_is_refused(serial):
    assert refusal(tender_project_code, project_code(PLATFORM, 1), serial).field == "serial"


def test_a_platform_identifier_must_have_eleven_characters():
    assert refusal(project_code, "A110105", 1).field == "platform_id"


def test_the_mod_37_2_check_matches_the_iso_7064_example():
    assert mod37_2_check_char("G123489654321") == "Y"


@given(st.text(MOD37_CHARS, min_size=1, max_size=40))
def test_a_mod_37_2_checked_string_sums_to_one(data):
    total = 0
    for char in data + mod37_2_check_char(data):
        total = (total * 2 + MOD37_CHARS.index(char)) % 37
    assert total == 1


def test_a_deal_code_has_the_uscc_date_serial_and_check():
    code = deal_code(HUAWEI, date(2025, 3, 1), 42)
    assert code.startswith(f"{HUAWEI}-20250301-000042-")
    assert len(code) == 36
    assert validate_deal_code(code.lower()) == code


@given(st.dates(date(2000, 1, 1), date(2099, 12, 31)), st.integers(1, 999_999), st.integers(0, 31))
def test_changing_one_character_of_a_deal_code_is_detected(day, serial, position):
    code = deal_code(HUAWEI, day, serial)
    data_positions = [i for i, c in enumerate(code) if c != "-"]
    where = data_positions[position % len(data_positions)]
    for char in "0123456789":
        changed = code[:where] + char + code[where + 1 :]
        if changed != code:
            with pytest.raises(Invalid):
                validate_deal_code(changed)


@pytest.mark.parametrize(
    ("code", "rule"),
    [
        (f"{HUAWEI}-20250301-000042", "deal_code.shape"),
        (f"{HUAWEI}-20250301-000000-0", "deal_code.shape"),
        ("914403001922038217-20250301-000042-F", "uscc.check_char"),
        (f"{HUAWEI}-20250231-000042-F", "deal_code.date"),
        (f"{HUAWEI}-20250301-000042-G", "deal_code.check_char"),
    ],
)
def test_each_failed_deal_code_check_is_named(code, rule):
    error = refusal(validate_deal_code, code)
    assert (error.code, error.field) == (rule, "unified_deal_code")


def test_an_investment_project_code_of_the_published_shape_is_accepted():
    assert validate_invest_project_code("2017-110105-47-01-012345") == "2017-110105-47-01-012345"


@pytest.mark.parametrize(
    "code", ["2017-110105-47-01-01234", "2017110105-47-01-0123456", "2017-11010A-47-01-012345", ""]
)
def test_an_investment_project_code_of_another_shape_is_refused(code):
    error = refusal(validate_invest_project_code, code)
    assert error.field == "invest_project_code"
