"""Evaluation committee (评标委员会): make-up, expert qualification, conflicts, replacement.

Article numbers are checked against the texts in ``shared/reference/laws``; 87号令 第47条 and
评标委员会和评标方法暂行规定 第12条 are the ones cn-rules.md marks as read (✔).
"""

from __future__ import annotations

from decimal import Decimal

from tenderhub.core.rules.model import Rule, Unit, rule

LAW = "招标投标法"
REGS = "招标投标法实施条例"
BJ = "北京市招标投标条例"
GP_REGS = "政府采购法实施条例"
ORDER87 = "政府采购货物和服务招标投标管理办法"
COMMITTEE_RULES = "评标委员会和评标方法暂行规定"

RULES: list[Rule] = [
    rule(
        "works_committee_min_size", "works", [(LAW, 37), (BJ, 26)],
        ("评标委员会最少人数", "Minimum committee size"),
        ("评标委员会成员应为{limit}人以上，现为{size}人",
         "The committee needs at least {limit} members; it has {size}"),
        5, Unit.COUNT, key="committee_min_size",
    ),
    rule(
        "gp_committee_min_size", "gp", [(ORDER87, 47)],
        ("评标委员会最少人数", "Minimum committee size"),
        ("评标委员会成员应为{limit}人以上，现为{size}人",
         "The committee needs at least {limit} members; it has {size}"),
        5, Unit.COUNT, key="committee_min_size",
    ),
    rule(
        "works_committee_odd", "works", [(LAW, 37), (BJ, 26)],
        ("评标委员会人数为单数", "Odd committee size"),
        ("评标委员会成员人数应为单数，现为{size}人", "The committee must have an odd number of members; it has {size}"),
        key="committee_odd",
    ),
    rule(
        "gp_committee_odd", "gp", [(ORDER87, 47)],
        ("评标委员会人数为单数", "Odd committee size"),
        ("评标委员会成员人数应为单数，现为{size}人", "The committee must have an odd number of members; it has {size}"),
        key="committee_odd",
    ),
    rule(
        "works_committee_expert_share", "works", [(LAW, 37), (BJ, 26)],
        ("专家占比", "Share of experts"),
        ("技术、经济等方面的专家不得少于成员总数的{numerator}/{denominator}，现为{experts}/{size}",
         "Experts must be at least {numerator}/{denominator} of the members; they are {experts}/{size}"),
        None, Unit.RATIO, key="committee_expert_share", numerator=2, denominator=3,
    ),
    rule(
        "gp_committee_expert_share", "gp", [(ORDER87, 47)],
        ("评审专家占比", "Share of experts"),
        ("评审专家不得少于成员总数的{numerator}/{denominator}，现为{experts}/{size}",
         "Experts must be at least {numerator}/{denominator} of the members; they are {experts}/{size}"),
        None, Unit.RATIO, key="committee_expert_share", numerator=2, denominator=3,
    ),
    rule(
        "gp_committee_large_budget", "gp", [(ORDER87, 47)],
        ("大额或复杂项目的委员会人数", "Committee size for large or complex projects"),
        ("采购预算{budget_limit}元以上、技术复杂或社会影响较大的项目，评标委员会应为{limit}人以上单数，现为{size}人",
         "Projects with a budget of {budget_limit} yuan or more, technically complex or of large "
         "social impact need at least {limit} members (odd); the committee has {size}"),
        7, Unit.COUNT, key="committee_large_budget", budget_limit=Decimal("10000000"),
    ),
    rule(
        "works_expert_qualification", "works", [(LAW, 37)],
        ("评标专家资格", "Expert qualification"),
        ("专家{expert}应从事相关领域工作满{limit}年并具有高级职称或者同等专业水平",
         "Expert {expert} needs {limit} years in the field and a senior title or equivalent level"),
        8, Unit.COUNT, key="expert_qualification",
    ),
    rule(
        "works_expert_conflict", "works", [(REGS, 46), (LAW, 37), (COMMITTEE_RULES, 12), (BJ, 28)],
        ("评标专家回避", "Expert conflict of interest"),
        ("专家{expert}与{uscc}有利害关系，应当回避", "Expert {expert} has an interest in {uscc} and must withdraw"),
        key="expert_conflict",
    ),
    rule(
        "gp_expert_conflict", "gp", [(GP_REGS, 9)],
        ("评审专家回避", "Expert conflict of interest"),
        ("专家{expert}与供应商{uscc}有利害关系，应当回避",
         "Expert {expert} has an interest in supplier {uscc} and must withdraw"),
        key="expert_conflict",
    ),
    rule(
        "works_expert_random_draw", "works", [(REGS, 46)],
        ("随机抽取评标专家", "Random draw of experts"),
        ("专业“{specialty}”可抽取的专家不足：需要{needed}人，仅有{available}人，缺{short}人",
         "Not enough experts for specialty {specialty!r}: {needed} needed, {available} available, {short} short"),
        key="expert_random_draw",
    ),
    rule(
        "gp_expert_random_draw", "gp", [(GP_REGS, 39)],
        ("随机抽取评审专家", "Random draw of experts"),
        ("专业“{specialty}”可抽取的专家不足：需要{needed}人，仅有{available}人，缺{short}人",
         "Not enough experts for specialty {specialty!r}: {needed} needed, {available} available, {short} short"),
        key="expert_random_draw",
    ),
    rule(
        "works_expert_replacement_reason", "works", [(REGS, 48), (REGS, 46)],
        ("更换评标委员会成员的事由", "Grounds for replacing a member"),
        ("更换成员{member}须有法定事由（回避、擅离职守、健康等原因），所给事由为“{reason}”",
         "Replacing member {member} needs a statutory reason (recusal, leaving the post, health); given {reason!r}"),
        key="expert_replacement_reason",
    ),
    rule(
        "gp_expert_replacement_reason", "gp", [(GP_REGS, 9)],
        ("更换评标委员会成员的事由", "Grounds for replacing a member"),
        ("更换成员{member}须有法定事由（回避、擅离职守、健康等原因），所给事由为“{reason}”",
         "Replacing member {member} needs a statutory reason (recusal, leaving the post, health); given {reason!r}"),
        key="expert_replacement_reason",
    ),
    rule(
        "works_evaluation_time_extension", "works", [(REGS, 48)],
        ("评标时间不够时延长", "Extension when time is insufficient"),
        ("超过{numerator}/{denominator}的成员认为评标时间不够（{votes}/{size}），招标人应当适当延长",
         "More than {numerator}/{denominator} of the members say time is insufficient "
         "({votes}/{size}); the tenderer must extend it"),
        None, Unit.RATIO, key="evaluation_time_extension", numerator=1, denominator=3,
    ),
    rule(  # checked by the hub on every release it receives (hub/validation.py), dataset 508
        "experts_before_result", "works gp", [(LAW, 37), (GP_REGS, 43)],
        ("评标专家名单在中标结果确定前保密", "Expert names stay secret until the result"),
        ("评标委员会成员的名单在中标结果确定前应当保密：{path} 列出标段 {lot} 的评标专家，但本发布没有该标段有效的中标结果（awards[].status = active）",
         "The committee's names stay secret until the winner is determined: {path} names the experts of lot {lot}, "
         "but this release has no active award of that lot"),
        # party roles that name the committee or one of its experts (lowercased, separators removed);
        # OCDS 1.1.5's open partyRole codelist has none, and its reviewBody reviews challenges (投诉处理)
        expert_roles=(
            "bidevaluationcommittee", "bidevaluationexpert", "evaluationbody", "evaluationcommittee", "evaluationexpert",
            "evaluationexperts", "evaluationpanel", "evaluator", "evaluators", "expert", "experts",
            "评审委员会", "评审专家", "评审小组", "评标专家", "评标委员会", "评标委员会成员",
        ),
    ),
]
