"""Search folds text to lower case without accents; ASCII text takes a short way there."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from service.view.search import entry, fields_of, fold, tokens, words


def folded_the_long_way(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


@given(st.text(alphabet=st.characters(max_codepoint=127)) | st.text())
def test_fold_is_the_same_for_any_text(text: str) -> None:
    assert fold(text) == folded_the_long_way(text)


def test_fold_drops_accents() -> None:
    assert fold("Société Générale") == "societe generale"


def test_no_character_before_the_first_combining_mark_combines() -> None:
    assert not [c for c in map(chr, range(0x300)) if unicodedata.combining(c)]
    assert fold("Alpha · Beta") == "alpha · beta"


@given(st.text(alphabet=st.characters(max_codepoint=127)) | st.text())
def test_the_stored_words_are_the_tokens_for_any_text(text: str) -> None:
    assert words(text) == " ".join(tokens(text))


def test_ascii_words_split_on_punctuation_and_underscores() -> None:
    assert words("OpenAI_x's $10bn (2023) deal") == "openai x s 10bn 2023 deal"


@given(st.text(), st.lists(st.text()), st.lists(st.text(alphabet=st.characters(max_codepoint=127))))
def test_an_entry_holds_the_words_of_its_fields_as_read(
    summary: str, names: list[str], titles: list[str]
) -> None:
    body = {
        "partnership": "a-b",
        "id": "e1",
        "summary": summary,
        "data": {"parties": names, "amount": {"value": "1"}},
        "sources": [{"title": title} for title in titles],
    }
    fields = fields_of(body)
    assert entry(body, 1)[3:] == tuple(
        " ".join(tokens(fields[name])) for name in ("summary", "names", "sources")
    )
