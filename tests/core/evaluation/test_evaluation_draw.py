import pytest
from evaluation_builders import expert, pool

from tenderhub.core.evaluation.draw import draw_experts
from tenderhub.core.shared.errors import Invalid, RuleViolation


def ids(experts):
    return [e.id for e in experts]


def draw(experts, seed="seed-1", **kw):
    kw.setdefault("avoid_uscc", [])
    return draw_experts(experts, kw.pop("requirements", {"建筑": 5}), regime=kw.pop("regime", "works"), seed=seed, **kw)


def test_the_same_seed_draws_the_same_experts():
    assert ids(draw(pool())) == ids(draw(pool()))


def test_the_draw_does_not_depend_on_the_order_of_the_pool():
    assert ids(draw(pool())) == ids(draw(list(reversed(pool()))))


def test_different_seeds_typically_draw_different_experts():
    draws = {tuple(sorted(ids(draw(pool(), seed=f"seed-{n}")))) for n in range(10)}
    assert len(draws) > 1


def test_conflicted_inactive_and_unqualified_experts_are_never_drawn():
    bad = [
        expert("B1", employer="9111BIDDER"), expert("B2", conflicts=["9111BIDDER"]),
        expert("B3", active=False), expert("B4", years=3), expert("B5", senior=False),
    ]
    good = pool(5)
    for n in range(20):
        assert sorted(ids(draw(bad + good, seed=str(n), avoid_uscc=["9111BIDDER"]))) == ids(good)


def test_experts_already_drawn_are_excluded():
    drawn = draw(pool(6), requirements={"建筑": 5}, exclude_ids=["E00"])
    assert "E00" not in ids(drawn)


def test_region_limits_the_draw_to_that_region():
    experts = pool(5) + [expert(f"T{i}", region="天津") for i in range(5)]
    assert all(e.region == "天津" for e in draw(experts, region="天津"))


def test_each_specialty_gets_its_own_count_without_drawing_anyone_twice():
    both = [expert(f"X{i}", specialties=["建筑", "造价"]) for i in range(4)]
    drawn = draw(both, requirements={"建筑": 2, "造价": 2})
    assert len(set(ids(drawn))) == 4


def test_an_insufficient_pool_names_the_specialty_and_the_shortfall():
    experts = [*pool(5), expert("C1", specialties=["造价"])]
    with pytest.raises(RuleViolation) as caught:
        draw(experts, requirements={"建筑": 3, "造价": 3})
    err = caught.value
    assert err.code == "works_expert_random_draw"
    assert err.field == "requirements.造价"
    assert err.params["short"] == 2
    assert "2 short" in err.message_en


def test_gp_shortfall_cites_the_random_draw_article_of_the_gp_regulation():
    with pytest.raises(RuleViolation) as caught:
        draw(pool(2), regime="gp")
    assert caught.value.rule.citation.article == 39


def test_a_draw_without_a_seed_is_refused():
    with pytest.raises(Invalid):
        draw(pool(), seed="")
