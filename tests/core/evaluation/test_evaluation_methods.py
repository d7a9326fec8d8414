from decimal import Decimal

import pytest
from evaluation_builders import composite

from tenderhub.core.evaluation.methods import (
    Category,
    Criterion,
    Method,
    MethodConfig,
    PriceFormula,
    price_scores,
    validate_config,
)
from tenderhub.core.shared.errors import Invalid, RuleViolation

D = Decimal


def test_lowest_benchmark_scores_the_lowest_price_full_points_and_others_pro_rata():
    scores = price_scores({"A": D(100), "B": D(125), "C": D(200)}, D(30), PriceFormula("lowest_benchmark"))
    assert scores == {"A": D("30.00"), "B": D("24.00"), "C": D("15.00")}


def test_lowest_benchmark_rounds_to_a_hundredth_of_a_point():
    scores = price_scores({"A": D(100), "B": D(300)}, D(10), PriceFormula("lowest_benchmark"))
    assert scores["B"] == D("3.33")


def test_mean_deviation_gives_full_points_at_the_mean_and_deducts_per_percent():
    formula = PriceFormula("mean_deviation", above_penalty=D(1), below_penalty=D("0.5"))
    scores = price_scores({"A": D(80), "B": D(100), "C": D(120)}, D(40), formula)
    # mean 100: A is 20 % below (-10), C is 20 % above (-20)
    assert scores == {"A": D("30.00"), "B": D("40.00"), "C": D("20.00")}


def test_mean_deviation_applies_the_coefficient_to_the_benchmark():
    formula = PriceFormula("mean_deviation", coefficient=D("0.95"), above_penalty=D(1))
    scores = price_scores({"A": D(80), "B": D(100), "C": D(120)}, D(40), formula)
    # benchmark 95: B is 5.263 % above -> 40 - 5.26
    assert scores["B"] == D("34.74")


def test_mean_deviation_never_goes_below_zero():
    formula = PriceFormula("mean_deviation", above_penalty=D(2))
    scores = price_scores({"A": D(100), "B": D(100), "C": D(160)}, D(40), formula)
    assert scores["C"] == D("0.00")


def invalid_field(config, regime="works"):
    with pytest.raises(Invalid) as caught:
        validate_config(config, regime)
    return caught.value.field


def test_criteria_that_do_not_sum_to_100_are_invalid():
    config = composite()
    config.criteria[0].max_points = D(50)
    assert invalid_field(config) == "criteria"


def test_composite_without_a_price_criterion_is_invalid():
    config = MethodConfig(Method.COMPOSITE, Category.WORKS, [Criterion("tech", "技术", D(100))], PriceFormula())
    assert invalid_field(config) == "criteria.price"


def test_an_unknown_price_formula_is_invalid():
    assert invalid_field(composite(formula=PriceFormula("closest_to_secret_base"))) == "price_formula.name"


def test_the_lowest_price_method_takes_no_criteria():
    config = MethodConfig(Method.LOWEST_EVALUATED_PRICE, Category.WORKS, composite().criteria)
    assert invalid_field(config) == "criteria"


def test_gp_goods_price_weight_of_30_points_passes_and_29_is_refused():
    validate_config(composite(category=Category.GOODS, price_points="30"), "gp")
    with pytest.raises(RuleViolation) as caught:
        validate_config(composite(category=Category.GOODS, price_points="29"), "gp")
    assert caught.value.code == "gp_price_weight_goods"
    assert caught.value.rule.citation.article == 55


def test_gp_services_price_weight_of_10_points_passes_and_9_is_refused():
    validate_config(composite(category=Category.SERVICES, price_points="10"), "gp")
    with pytest.raises(RuleViolation) as caught:
        validate_config(composite(category=Category.SERVICES, price_points="9"), "gp")
    assert caught.value.code == "gp_price_weight_services"


def test_gp_composite_must_use_the_low_price_first_formula():
    with pytest.raises(RuleViolation) as caught:
        validate_config(composite(category=Category.GOODS, formula=PriceFormula("mean_deviation")), "gp")
    assert caught.value.code == "gp_price_formula"


def test_works_composite_may_use_the_mean_deviation_formula():
    validate_config(composite(formula=PriceFormula("mean_deviation", above_penalty=D(1))), "works")


def test_gp_tender_for_works_category_is_invalid():
    assert invalid_field(composite(category=Category.WORKS), "gp") == "category"


def test_works_configuration_with_four_candidates_is_refused():
    with pytest.raises(RuleViolation) as caught:
        validate_config(composite(candidates=4), "works")
    assert caught.value.code == "works_candidates_max"
    assert caught.value.rule.citation.article == 53
