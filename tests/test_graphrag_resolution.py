"""Entity names (`normalize`) and entity resolution (`find_merges`), embeddings by the bundled MiniLM."""

from __future__ import annotations

import random
from collections import Counter

import numpy as np
import pytest

from agentkit.graphrag.names import initials, normalize
from agentkit.graphrag.resolution import Merge, ResolutionConfig, find_merges
from agentkit.models import EmbeddingsConfig, get_embeddings


@pytest.mark.parametrize("name, key", [
    ("Lilu (mythology)", "lilu"),
    ("The Beatles", "beatles"),
    ("  Café  Müller ", "cafe muller"),
    ("B.B.C.", "bbc"),
    ("J. R. R. Tolkien", "jrr tolkien"),
    ("Hell's", "hell"),
    ("O'Brien", "obrien"),
    ("Lilo &amp; Stitch", "lilo and stitch"),
    ("Person - centered therapy", "person centered therapy"),
    ("World War II", "world war ii"),
    ("The", "the"),
    ("(band)", "band"),
    ("...", ""),
    ("", ""),
])
def test_normalize(name: str, key: str):
    assert normalize(name) == key


def test_initials_skip_connectors():
    assert initials("national aeronautics and space administration") == "nasa"
    assert initials("paris") == ""


def forms(**counts: int) -> dict[str, Counter[str]]:
    """key -> surface forms: the form is the key title-cased (upper-cased for short keys)."""
    out: dict[str, Counter[str]] = {}
    for key, n in counts.items():
        key = key.replace("_", " ")
        form = key.upper() if " " not in key and len(key) <= 5 else key.title()
        out[key] = Counter({form: n})
    return out


def pairs(merges: list[Merge]) -> set[tuple[str, str]]:
    return {(m.alias, m.canonical) for m in merges}


def test_acronym_merges_into_the_more_frequent_key():
    found = find_merges(forms(nasa=5, national_aeronautics_and_space_administration=2, mars=3))
    assert found == [Merge(alias="national aeronautics and space administration", canonical="nasa",
                           method="string", score=1.0)]
    assert pairs(find_merges(forms(nasa=1, national_aeronautics_and_space_administration=2))) == {
        ("nasa", "national aeronautics and space administration")}


def test_acronym_refused_when_ambiguous_a_person_or_mostly_something_else():
    two = forms(ioc=2, international_olympic_committee=1, irish_olympic_council=1)
    assert find_merges(two) == []
    assert find_merges(forms(mvp=2, marcus_vitruvius_pollio=2)) == []  # a person, not an institution
    assert find_merges(forms(bbc=40, boston_beer_company=1)) == []  # "BBC" mostly means something else
    assert pairs(find_merges(forms(us=30, united_states=400))) == {("us", "united states")}
    assert find_merges(forms(dj=30, david_jones=6)) == []  # two letters: only a very common name
    lower = {"nasa": Counter({"Nasa": 3}), "national aeronautics and space administration": Counter({"x": 1})}
    assert find_merges(lower) == []  # only an all-capitals form is an acronym


def test_disambiguation_suffix_shares_the_key_and_plain_homonyms_stay_apart():
    keys = {normalize(name) for name in ("Lilu (mythology)", "Lilu", "LILU", "Lilu (demon)")}
    assert keys == {"lilu"}
    assert find_merges(forms(lilu=3, lilith=2, lilu_texts=1)) == []


def test_word_order_and_spelling_merges_but_not_numbers_prefixes_or_endings():
    found = pairs(find_merges(forms(treaty_of_versailles=3, versailles_treaty=1, tchaikovsky=4, tchaikovski=1,
                                    world_war_i=2, world_war_ii=3, robert_smith=1, roberta_smith=1,
                                    anglicans=2, anglicanism=1)))
    assert found == {("versailles treaty", "treaty of versailles"), ("tchaikovski", "tchaikovsky")}


def test_blocked_pairs_are_never_merged_not_even_through_a_chain():
    names = forms(nasa=5, national_aeronautics_and_space_administration=2, aeronautics_and_space_administration_national=1)
    assert pairs(find_merges(names)) == {("national aeronautics and space administration", "nasa"),
                                         ("aeronautics and space administration national", "nasa")}
    blocked = {("national aeronautics and space administration", "nasa")}
    kept = pairs(find_merges(names, blocked=blocked))
    assert ("national aeronautics and space administration", "nasa") not in kept
    # the word-order twin may join either side, never both: that would rejoin the blocked pair
    groups = [{a, b} for a, b in kept]
    assert not any({"nasa", "national aeronautics and space administration"} <= g for g in groups)
    assert len(kept) == 1


def test_deterministic_whatever_the_input_order_and_canonical_ties_go_shorter_then_alphabetical():
    names = forms(treaty_of_versailles=2, versailles_treaty=2, tchaikovsky=1, tchaikovski=1,
                  nasa=3, national_aeronautics_and_space_administration=1)
    expected = find_merges(names)
    items = list(names.items())
    for seed in range(5):
        random.Random(seed).shuffle(items)
        assert find_merges(dict(items)) == expected
    canon = {m.alias: m.canonical for m in expected}
    assert canon["treaty of versailles"] == "versailles treaty"  # same count: the shorter key
    assert canon["tchaikovsky"] == "tchaikovski"  # same count, same length: alphabetical


@pytest.fixture(scope="module")
def embed():
    embeddings = get_embeddings(EmbeddingsConfig())
    return lambda names: np.asarray(embeddings.embed_documents(names), dtype=np.float32)


def test_embedding_merges_middle_names_with_the_real_minilm(embed):
    names = forms(sheldon_axler=4, sheldon_jay_axler=1, nelson_mandela=3, winnie_mandela=2, tigers=2,
                  detroit_tigers=3, royal_navy=3, royal_australian_navy=2)
    found = find_merges(names, ResolutionConfig(), embed)
    assert [(m.alias, m.canonical, m.method) for m in found] == [("sheldon jay axler", "sheldon axler", "embedding")]
    assert 0.88 <= found[0].score <= 1.0
    assert find_merges(names, ResolutionConfig(use_embeddings=False), embed) == []
    assert find_merges(names, ResolutionConfig(embedding_threshold=0.999), embed) == []


def test_an_ambiguous_short_name_is_not_merged_by_embeddings(embed):
    names = forms(john_smith=5, john_henry_smith=1, john_william_smith=1)
    assert find_merges(names, ResolutionConfig(), embed) == []


def test_merges_round_trip_as_json():
    merge = Merge(alias="a b", canonical="ab", method="embedding", score=0.91)
    assert Merge.model_validate_json(merge.model_dump_json()) == merge
    with pytest.raises(ValueError):
        ResolutionConfig(embedding_threshold=1.5)
