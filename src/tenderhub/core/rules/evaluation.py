"""Evaluation methods, rejection, candidates, failure and the report (评标方法与评标报告).

87号令 第55条 is cited for the price weights (✔ in cn-rules.md); its formula wording is marked
○ there, so the low-price-first formula rule cites the same article with that caveat.
"""

from __future__ import annotations

from tenderhub.core.rules.model import Rule, Unit, rule

LAW = "招标投标法"
REGS = "招标投标法实施条例"
BJ = "北京市招标投标条例"
GP_LAW = "政府采购法"
GP_REGS = "政府采购法实施条例"
ORDER87 = "政府采购货物和服务招标投标管理办法"

RULES: list[Rule] = [
    rule(
        "works_candidates_max", "works", [(REGS, 53), (BJ, 30)],
        ("中标候选人数量", "Number of candidates"),
        ("中标候选人应当不超过{limit}个，配置为{count}个", "At most {limit} candidates; {count} configured"),
        3, Unit.COUNT, key="candidates_max",
    ),
    rule(
        "works_rejection_ground", "works", [(REGS, 51)],
        ("否决投标的法定情形", "Statutory grounds for rejecting a bid"),
        ("否决投标{bid}须依据法定情形并说明理由", "Rejecting bid {bid} needs a statutory ground and a reason"),
        key="rejection_ground",
    ),
    rule(
        "works_few_valid_bids", "works", [(BJ, 34)],
        ("有效投标不足", "Too few valid bids"),
        ("有效投标不足{limit}个（现为{valid}个）时，评标委员会可以否决全部投标",
         "With fewer than {limit} valid bids ({valid}) the committee may reject all bids"),
        3, Unit.COUNT, key="few_valid_bids", mandatory=False,
    ),
    rule(
        "gp_few_valid_bids", "gp", [(GP_LAW, 36)],
        ("实质响应的供应商不足三家", "Fewer than three responsive suppliers"),
        ("对招标文件作实质响应的供应商不足{limit}家（现为{valid}家），应予废标",
         "Fewer than {limit} responsive suppliers ({valid}): the tender fails"),
        3, Unit.COUNT, key="few_valid_bids", mandatory=True,
    ),
    rule(
        "works_all_rejected", "works", [(LAW, 42), (BJ, 34)],
        ("所有投标被否决", "All bids rejected"),
        ("所有投标被否决，招标人应当依法重新招标", "All bids were rejected; the tenderer must tender again"),
        key="all_rejected",
    ),
    rule(
        "gp_all_rejected", "gp", [(GP_LAW, 36), (GP_LAW, 37)],
        ("所有投标无效", "All bids rejected"),
        ("没有实质响应的投标，应予废标并重新组织招标",
         "No responsive bid remains: the tender fails and must be organised again"),
        key="all_rejected",
    ),
    rule(
        "gp_price_weight_goods", "gp", [(ORDER87, 55)],
        ("货物项目价格分比重", "Price weight for goods"),
        ("货物项目价格分值占总分值的比重不得低于{limit}%，现为{weight}%",
         "For goods the price must weigh at least {limit}% of the total; it weighs {weight}%"),
        30, Unit.PERCENT, key="gp_price_weight_goods",
    ),
    rule(
        "gp_price_weight_services", "gp", [(ORDER87, 55)],
        ("服务项目价格分比重", "Price weight for services"),
        ("服务项目价格分值占总分值的比重不得低于{limit}%，现为{weight}%",
         "For services the price must weigh at least {limit}% of the total; it weighs {weight}%"),
        10, Unit.PERCENT, key="gp_price_weight_services",
    ),
    rule(
        "gp_price_formula", "gp", [(ORDER87, 55)],
        ("价格分计算方法", "Price-score formula"),
        ("综合评分法的价格分应当采用低价优先法（{expected}），配置为{formula}",
         "The composite method must score price low-price-first ({expected}); configured {formula}"),
        key="gp_price_formula", expected="lowest_benchmark",
    ),
    rule(
        "works_report_dissent", "works", [(REGS, 53)],
        ("评标报告签字与不同意见", "Signing the report and dissent"),
        ("成员{member}对评标结果有不同意见的，应当以书面形式说明不同意见和理由",
         "Member {member} must state the dissent and its reasons in writing"),
        key="report_dissent",
    ),
    rule(
        "gp_report_dissent", "gp", [(GP_REGS, 41)],
        ("评审报告签字与不同意见", "Signing the report and dissent"),
        ("成员{member}对评审报告有异议的，应当签署不同意见并说明理由",
         "Member {member} must state the dissent and its reasons in writing"),
        key="report_dissent",
    ),
    rule(
        "works_replaced_member_void", "works", [(REGS, 48)],
        ("被更换成员的评审结论无效", "A replaced member's conclusions are void"),
        ("成员{member}已被更换，其评审结论无效，不得再评分",
         "Member {member} was replaced; their conclusions are void and they may not score"),
        key="replaced_member_void",
    ),
]
