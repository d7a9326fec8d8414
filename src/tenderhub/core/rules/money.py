"""Money limits (cn-rules §3): bid security, performance security, price ceilings."""

from __future__ import annotations

from decimal import Decimal

from tenderhub.core.rules.model import Unit, rule

REG = "招标投标法实施条例"
GPR = "政府采购法实施条例"
WORKS_30 = "工程建设项目施工招标投标办法"
SURVEY_2 = "工程建设项目勘察设计招标投标办法"
GOODS_27 = "工程建设项目货物招标投标办法"
P, Y = Unit.PERCENT, Unit.YUAN

RULES = [
    rule("BID_SECURITY_MAX_PERCENT", "works", [(REG, 26)],
         ("投标保证金比例上限", "Bid security ceiling"),
         ("投标保证金不得超过招标项目估算价的{limit}%（估算价 {base} 元，上限 {max} 元，要求 {amount} 元）",
          "bid security may not exceed {limit}% of the estimated price (estimate {base}, ceiling {max}, asked {amount})"),
         Decimal(2), P, key="bid_security_max_percent"),
    rule("GP_BID_SECURITY_MAX_PERCENT", "gp", [(GPR, 33)],
         ("投标保证金比例上限", "Bid security ceiling"),
         ("投标保证金不得超过采购项目预算金额的{limit}%（预算 {base} 元，上限 {max} 元，要求 {amount} 元）",
          "bid security may not exceed {limit}% of the budget (budget {base}, ceiling {max}, asked {amount})"),
         Decimal(2), P, key="bid_security_max_percent"),
    rule("BID_SECURITY_CAP_WORKS", "works", [(WORKS_30, 37), (GOODS_27, 27)],
         ("施工、货物投标保证金最高限额", "Bid security cap for works and goods"),
         ("施工和货物招标的投标保证金最高不得超过{limit}元（要求 {amount} 元）",
          "bid security for works and goods is capped at {limit} yuan (asked {amount})"),
         Decimal(800000), Y, key="bid_security_cap", category="works goods"),
    rule("BID_SECURITY_CAP_SURVEY", "works", [(SURVEY_2, 24)],
         ("勘察设计投标保证金最高限额", "Bid security cap for survey and design"),
         ("勘察设计招标的投标保证金最高不得超过{limit}元（要求 {amount} 元）",
          "bid security for survey and design is capped at {limit} yuan (asked {amount})"),
         Decimal(100000), Y, key="bid_security_cap_survey", category="survey_design"),
    rule("GP_BID_SECURITY_NON_CASH", "gp", [(GPR, 33)],
         ("投标保证金形式", "Form of bid security"),
         ("政府采购投标保证金应当以支票、汇票、本票或者保函等非现金形式提交（提交形式：{form}）",
          "government-procurement bid security must be non-cash: cheque, draft, promissory note or guarantee (given: {form})"),
         None, key="bid_security_form"),
    rule("PERFORMANCE_SECURITY_MAX", "works", [(REG, 58)],
         ("履约保证金上限", "Performance security ceiling"),
         ("履约保证金不得超过中标合同金额的{limit}%（合同金额 {base} 元，上限 {max} 元，要求 {amount} 元）",
          "performance security may not exceed {limit}% of the contract amount (contract {base}, ceiling {max}, asked {amount})"),
         Decimal(10), P, key="performance_security_max_percent"),
    rule("GP_PERFORMANCE_SECURITY_MAX", "gp", [(GPR, 48)],
         ("履约保证金上限", "Performance security ceiling"),
         ("履约保证金的数额不得超过政府采购合同金额的{limit}%（合同金额 {base} 元，上限 {max} 元，要求 {amount} 元）",
          "performance security may not exceed {limit}% of the contract amount (contract {base}, ceiling {max}, asked {amount})"),
         Decimal(10), P, key="performance_security_max_percent"),
    rule("NO_MINIMUM_PRICE", "works", [(REG, 27)],
         ("不得规定最低投标限价", "No minimum bid price"),
         ("招标人不得规定最低投标限价", "the tenderer may not set a minimum bid price"),
         None, key="no_minimum_price"),
    rule("PRICE_ABOVE_CEILING", "works gp", [(REG, 51)],
         ("投标报价高于最高投标限价", "Bid above the maximum price"),
         ("投标报价 {price} 元高于招标文件设定的最高投标限价 {ceiling} 元",
          "the bid price {price} is above the maximum price {ceiling}"),
         None, key="price_above_ceiling"),
    rule("CONTRACT_MATCHES_AWARD", "works", [("招标投标法", 46)],
         ("合同实质性内容", "Contract substance"),
         ("合同金额 {amount} 元与中标金额 {awarded} 元不一致：不得再行订立背离合同实质性内容的其他协议",
          "the contract amount {amount} differs from the awarded amount {awarded}: the substance may not depart from the bid"),
         None, key="contract_matches_award"),
    rule("GP_CONTRACT_MATCHES_AWARD", "gp", [("政府采购法", 46)],
         ("合同实质性内容", "Contract substance"),
         ("合同金额 {amount} 元与中标金额 {awarded} 元不一致：应当按照采购文件确定的事项签订合同",
          "the contract amount {amount} differs from the awarded amount {awarded}: it must follow the procurement documents"),
         None, key="contract_matches_award"),
    rule("BASE_PRICE_SECRET", "works", [(REG, 27), (REG, 50)],
         ("标底保密", "The base price is secret"),
         ("一个招标项目只能有一个标底，标底必须保密，开标时公布；标底只能作为评标的参考",
          "one base price per project, kept secret and announced at opening; only a reference for evaluation"),
         None, key="base_price_secret"),
]
