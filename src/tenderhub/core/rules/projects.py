"""Whether a tender may be started for its investment project (cn-rules §1)."""

from __future__ import annotations

from tenderhub.core.rules.model import rule

LAW = "招标投标法"

RULES = [
    rule("UNKNOWN_INVESTMENT_PROJECT", "works gp", [(LAW, 9)],
         ("投资项目未登记", "Investment project not registered"),
         ("投资项目代码 {code} 未在投资项目在线审批监管平台登记；须先履行项目审批手续方可招标",
          "investment project {code} is not in the investment project registry; a project needing approval is tendered only after its approval"),
         None, key="unknown_investment_project"),
    rule("REVOKED_INVESTMENT_PROJECT", "works gp", [(LAW, 9)],
         ("投资项目已撤销", "Investment project revoked"),
         ("投资项目代码 {code} 已在投资项目在线审批监管平台撤销；须先履行项目审批手续方可招标",
          "investment project {code} is revoked in the investment project registry; a project needing approval is tendered only after its approval"),
         None, key="revoked_investment_project"),
]
