"""Evaluation methods as data: lowest evaluated price or composite scoring with a price formula.

* 经评审的最低投标价法 / 最低评标价法 (法 第41条; 政府采购法实施条例 第34条);
* 综合评估法 / 综合评分法: criteria with maximum points summing to 100, one of them price;
  the price score is computed from a formula named in the configuration:
  ``lowest_benchmark`` — benchmark = lowest valid price, score = benchmark / price × points
  (87号令 第55条); ``mean_deviation`` — benchmark = mean of valid prices × coefficient, full
  points at the benchmark, minus ``above_penalty`` points per 1 % above and ``below_penalty``
  per 1 % below (pro rata), never below 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from tenderhub.core.evaluation.legal import check_regime, extra, rule_for
from tenderhub.core.shared.errors import Invalid, RuleViolation

POINTS = Decimal("0.01")
TOTAL_POINTS = Decimal(100)
FORMULAS = ("lowest_benchmark", "mean_deviation")


class Method(StrEnum):
    LOWEST_EVALUATED_PRICE = "lowest_evaluated_price"
    COMPOSITE = "composite"


class Category(StrEnum):
    WORKS = "works"
    GOODS = "goods"
    SERVICES = "services"


@dataclass
class Criterion:
    code: str
    name: str
    max_points: Decimal
    is_price: bool = False


@dataclass
class PriceFormula:
    name: str = "lowest_benchmark"
    coefficient: Decimal = Decimal(1)
    above_penalty: Decimal = Decimal(0)
    below_penalty: Decimal = Decimal(0)


@dataclass
class MethodConfig:
    method: Method
    category: Category
    criteria: list[Criterion] = field(default_factory=list)
    price_formula: PriceFormula | None = None
    candidates: int = 3

    def price_criterion(self) -> Criterion | None:
        return next((c for c in self.criteria if c.is_price), None)

    def scored_criteria(self) -> list[Criterion]:
        """The criteria members score by hand (every criterion but price)."""
        return [c for c in self.criteria if not c.is_price]


def validate_config(config: MethodConfig, regime: str) -> None:
    """Raise ``Invalid`` naming the field, or ``RuleViolation`` for a legal limit."""
    check_regime(regime)
    _check_candidates(config, regime)
    if config.method is Method.LOWEST_EVALUATED_PRICE:
        if config.criteria:
            raise Invalid("the lowest-price method takes no scoring criteria", message_zh="最低价法不设评分因素", field="criteria")
        return
    _check_criteria(config.criteria)
    _check_formula(config.price_formula)
    _check_gp(config, regime)


def price_scores(prices: dict[str, Decimal], points: Decimal, formula: PriceFormula) -> dict[str, Decimal]:
    """Price score per bid id, rounded to 0.01 point, for the valid bids' ``prices``."""
    if not prices:
        return {}
    if formula.name == "lowest_benchmark":
        low = min(prices.values())
        return {bid: _round(low / price * points) for bid, price in prices.items()}
    benchmark = sum(prices.values(), Decimal(0)) / len(prices) * formula.coefficient
    return {bid: _deviation_score(price, benchmark, points, formula) for bid, price in prices.items()}


def _deviation_score(price: Decimal, benchmark: Decimal, points: Decimal, formula: PriceFormula) -> Decimal:
    deviation = (price - benchmark) / benchmark * 100
    penalty = formula.above_penalty if deviation > 0 else formula.below_penalty
    return _round(max(Decimal(0), points - abs(deviation) * penalty))


def _round(value: Decimal) -> Decimal:
    return value.quantize(POINTS, rounding=ROUND_HALF_UP)


def _check_candidates(config: MethodConfig, regime: str) -> None:
    if config.candidates < 1:
        raise Invalid("at least one candidate must be named", message_zh="中标候选人至少1个", field="candidates")
    rule = rule_for(regime, "candidates_max")
    if rule is not None and isinstance(rule.limit, int) and config.candidates > rule.limit:
        raise RuleViolation(rule, field="candidates", count=config.candidates)


def _check_criteria(criteria: list[Criterion]) -> None:
    codes = [c.code for c in criteria]
    if len(set(codes)) != len(codes) or "" in codes:
        raise Invalid("criterion codes must be unique and not empty", message_zh="评分因素代码须唯一且非空", field="criteria")
    for c in criteria:
        if c.max_points <= 0:
            raise Invalid(f"criterion {c.code!r} needs max points > 0", message_zh=f"评分因素 {c.code} 分值须大于0", field=f"criteria.{c.code}.max_points")
    total = sum((c.max_points for c in criteria), Decimal(0))
    if total != TOTAL_POINTS:
        raise Invalid(f"criteria must sum to 100 points, not {total}", message_zh=f"评分因素分值合计须为100分，现为{total}", field="criteria")
    if sum(c.is_price for c in criteria) != 1:
        raise Invalid("exactly one criterion must be the price", message_zh="须有且仅有一个价格因素", field="criteria.price")


def _check_formula(formula: PriceFormula | None) -> None:
    if formula is None or formula.name not in FORMULAS:
        name = formula.name if formula else None
        raise Invalid(f"price formula must be one of {FORMULAS}, not {name!r}", message_zh="价格分计算方法无效", field="price_formula.name")
    if formula.coefficient <= 0:
        raise Invalid("the benchmark coefficient must be > 0", message_zh="基准价系数须大于0", field="price_formula.coefficient")
    if formula.above_penalty < 0 or formula.below_penalty < 0:
        raise Invalid("penalties must be >= 0", message_zh="扣分标准不得为负", field="price_formula.above_penalty")


def _check_gp(config: MethodConfig, regime: str) -> None:
    if regime == "gp" and config.category is Category.WORKS:
        raise Invalid("government procurement tenders buy goods or services", message_zh="政府采购招标品目须为货物或服务", field="category")
    formula_rule = rule_for(regime, "gp_price_formula")
    expected = extra(formula_rule, "expected") if formula_rule else None
    if formula_rule is not None and config.price_formula and config.price_formula.name != expected:
        raise RuleViolation(formula_rule, field="price_formula.name", formula=config.price_formula.name)
    weight_key = {Category.GOODS: "gp_price_weight_goods", Category.SERVICES: "gp_price_weight_services"}
    key = weight_key.get(config.category)
    rule = rule_for(regime, key) if key else None
    price = config.price_criterion()
    if rule is not None and price is not None and rule.limit is not None and price.max_points < rule.limit:
        raise RuleViolation(rule, field="criteria.price", weight=price.max_points)
