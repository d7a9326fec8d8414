import pytest

from tenderhub.core.rules import committee, evaluation
from tenderhub.core.rules.catalogue import all_rules, lookup

LAWS = {
    "招标投标法", "招标投标法实施条例", "政府采购法", "政府采购法实施条例",
    "政府采购货物和服务招标投标管理办法", "北京市招标投标条例", "评标委员会和评标方法暂行规定",
}
BOTH = [
    "committee_min_size", "committee_odd", "committee_expert_share", "expert_conflict",
    "expert_random_draw", "expert_replacement_reason", "few_valid_bids", "all_rejected", "report_dissent",
]


def test_every_committee_and_evaluation_rule_cites_an_official_law_by_article_number():
    for r in committee.RULES + evaluation.RULES:
        assert r.citations, r.code
        for c in r.citations:
            assert c.law in LAWS and isinstance(c.article, int) and c.article > 0, r.code


def test_every_rule_message_formats_in_both_languages_with_its_own_parameters():
    params = dict(size=4, experts=2, expert="E1", uscc="X", specialty="建筑", needed=3, available=1,
                  short=2, member="M", reason="r", votes=2, count=4, bid="B", valid=2, weight=9, formula="f", path="/awards/0", lot="L1")
    for r in committee.RULES + evaluation.RULES:
        zh, en = r.format(**params)
        assert zh and en


@pytest.mark.parametrize("key", BOTH)
def test_keys_used_in_both_regimes_have_one_rule_each(key):
    assert lookup("works", key).code.startswith("works_")
    assert lookup("gp", key).code.startswith("gp_")


def test_the_catalogue_collects_the_committee_and_evaluation_topics():
    codes = {r.code for r in all_rules()}
    assert {"works_committee_min_size", "gp_price_weight_goods"} <= codes
