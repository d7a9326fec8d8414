"""Tokens of the portal index: bigrams and single characters for Chinese, words for ASCII."""

from __future__ import annotations

from tenderhub.hub.search.tokens import (
    document_tokens,
    matches,
    query_tokens,
    query_words,
    region_prefix,
    region_tokens,
    text_tokens,
)


def test_chinese_text_gives_every_character_and_every_bigram() -> None:
    assert text_tokens("道路工程") == ["道", "路", "工", "程", "道路", "路工", "工程"]


def test_ascii_words_are_lower_cased_whole_words_and_full_width_is_folded() -> None:
    assert text_tokens("ＰＰＰ项目 EPC-2024") == ["ppp", "项", "目", "项目", "epc", "2024"]


def test_punctuation_separates_runs_so_no_bigram_spans_it() -> None:
    assert "道路" not in text_tokens("道，路")


def test_a_query_word_needs_all_its_bigrams_and_a_single_character_itself() -> None:
    assert query_tokens(query_words("道路工程")) == ["道路", "路工", "工程"]
    assert query_tokens(query_words("桥")) == ["桥"]
    assert query_tokens(query_words("PPP项目")) == ["ppp", "项目"]


def test_the_substring_check_rejects_characters_apart() -> None:
    assert matches(["道路"], "某某道和某某路") is False
    assert matches(["道路", "ppp项目"], "市政道路", "ＰＰＰ项目")


def test_region_codes_are_indexed_at_every_level() -> None:
    assert [region_prefix(c) for c in ("110000", "110100", "110105", "500000")] == ["11", "1101", "110105", "50"]
    assert len(region_tokens("110105")) == 3 and len(region_tokens("110000")) == 1


def test_the_document_token_string_holds_each_token_once() -> None:
    tokens = document_tokens("医院医院", "医院", {"t": "contract", "m": None}, "110105").split()
    assert len(tokens) == len(set(tokens)) and "医院" in tokens and "院医" in tokens
