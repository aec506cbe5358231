"""The lexical extractor on small hand-written passages: what it takes, what it leaves."""

from __future__ import annotations

import pytest

from agentkit.graphrag.assemble import assemble
from agentkit.graphrag.lexical import LexicalConfig, LexicalExtractor
from agentkit.graphrag.names import normalize
from agentkit.graphrag.types import ChunkExtraction, entity_node
from agentkit.rag.chunks import Chunk, chunk_id


def chunk(text: str, title: str = "", doc: str = "doc") -> Chunk:
    return Chunk(id=chunk_id(doc, text), text=text, doc_id=doc, source=f"{doc}.jsonl", title=title)


def extract(text: str, title: str = "") -> ChunkExtraction:
    return LexicalExtractor().extract([chunk(text, title)])[0]


def names(extraction: ChunkExtraction) -> dict[str, str]:
    return {e.name: e.type for e in extraction.entities}


def test_title_is_an_entity_and_its_mentions_count():
    found = extract("Lilu is a demon in Akkadian texts. Later sources describe Lilu as a wind spirit.",
                    title="Lilu (mythology)")
    title = found.entities[0]
    assert (title.name, title.title, title.count) == ("Lilu (mythology)", True, 2)
    assert normalize(title.name) == "lilu"
    assert title.description == "Lilu is a demon in Akkadian texts."
    assert "Lilu" not in names(found)  # the mentions are the title entity, not a second one


def test_lower_case_title_mentions_count():
    found = extract("The rule of law is a principle. Courts apply the rule of law daily.", title="Rule of law")
    assert found.entities[0].count == 2


def test_multi_word_names_with_connectors_initials_and_abbreviations():
    found = names(extract(
        "In 1843 Ada Lovelace corresponded with Charles Babbage of the University of London. "
        "The speech by John F. Kennedy in St. Louis was praised by Charles de Gaulle. "
        "The house is on the National Register of Historic Places."))
    for name in ("Ada Lovelace", "Charles Babbage", "University of London", "John F. Kennedy", "St. Louis",
                 "Charles de Gaulle", "National Register of Historic Places"):
        assert name in found, (name, found)
    assert found["University of London"] == "organization"
    assert not {"Ada", "Lovelace", "John", "Kennedy", "In"} & set(found)


def test_acronyms():
    found = names(extract("The probe was built by NASA and filmed by the B.B.C. for a documentary."))
    assert found.get("NASA") == "organization"
    assert "B.B.C." in found
    assert normalize("B.B.C.") == normalize("BBC") == "bbc"


def test_sentence_start_words_are_not_taken():
    found = names(extract(
        "The museum opened in spring. However, the roof leaked. He left. Yesterday it rained. "
        "After Dark the band split. Kyoto hosted the show, and the press praised Kyoto."))
    assert not {"The", "However", "He", "Yesterday", "After", "After Dark"} & set(found)
    assert "Kyoto" in found  # capitalised inside a sentence too: a name
    assert "Dark" in found   # after a function word the capital is the name's


def test_function_words_months_nationalities_and_single_letters_alone_are_junk():
    found = names(extract("It was released in March by an American label. Critics praised it, said I. "
                          "The Beatles played on Monday at Shea Stadium in New York."))
    assert not {"March", "American", "I", "Monday", "The"} & set(found)
    assert {"Beatles", "Shea Stadium", "New York"} <= set(found)


def test_dates_become_one_form():
    found = names(extract("The album was released on July 15, 1997 and reissued on 3 March 2001."))
    assert found.get("15 July 1997") == "date" and found.get("3 March 2001") == "date"
    assert {"1997", "2001"} <= set(found)
    assert "July" not in found and "March" not in found


def test_quoted_works_possessives_and_suffixes():
    found = names(extract('The Paris-based duo recorded "Love Me Do" at King\'s College. '
                          "Smith's career began at Abbey Road Studios."))
    assert found.get("Love Me Do") == "work"
    assert "King's College" in found
    assert "Paris" in found and "Paris-based" not in found
    assert found.get("Abbey Road Studios") == "organization"


def test_a_lone_surname_counts_as_the_full_name():
    found = extract("Marie Curie was born in Warsaw. Curie later moved to Paris, where Curie worked.")
    by_name = {e.name: e for e in found.entities}
    assert by_name["Marie Curie"].count == 3
    assert "Curie" not in by_name


def test_person_type_from_cues():
    found = names(extract("The film was directed by Stephen Sommers and stars actor Hugh Jackman."))
    assert found["Stephen Sommers"] == found["Hugh Jackman"] == "person"
    bio = extract("Jagat Murari (5 October 1924 – 13 April 2007) was a filmmaker. He taught many.",
                  title="Jagat Murari")
    assert bio.entities[0].type == "person"


def test_co_occurrence_weights_follow_closeness_and_repetition():
    text = ("Alpha Corp hired Beta Smith. Alpha Corp was sold to a buyer after many long years of trading, "
            "under the name of Gamma Group. Beta Smith met Gamma Group later. Then Beta Smith joined Alpha Corp.")
    weights = {frozenset((r.source, r.target)): r.weight for r in extract(text).relations}
    close = 1 / (1 + 3 / 10)  # mentions 3 tokens apart
    assert weights[frozenset(("Beta Smith", "Gamma Group"))] == pytest.approx(close, abs=1e-3)
    assert weights[frozenset(("Alpha Corp", "Beta Smith"))] == pytest.approx(2 * close, abs=1e-3)  # two sentences
    far = weights[frozenset(("Alpha Corp", "Gamma Group"))]
    assert far == pytest.approx(1 / (1 + 18 / 10), abs=1e-3)  # distance in tokens, the comma too
    assert far < close


def test_title_relates_to_every_entity_and_relations_are_capped():
    text = "The cities include Paris, Lyon, Nice, Lille, Nantes and Rennes. Trains also reach Tours."
    found = extract(text, title="Cities of France")
    pairs = {frozenset((r.source, r.target)): r.weight for r in found.relations}
    assert pairs[frozenset(("Cities of France", "Tours"))] == pytest.approx(0.5)
    assert all(frozenset(("Cities of France", e.name)) in pairs for e in found.entities[1:])
    capped = LexicalExtractor(LexicalConfig(max_relations=3)).extract([chunk(text, "Cities of France")])[0]
    assert [r.weight for r in capped.relations] == sorted(pairs.values(), reverse=True)[:3]


def test_markdown_headings_are_entities():
    found = names(extract("# Entity resolution\nnames are merged.\n## Incremental builds\nonly new chunks."))
    assert found.get("Entity resolution") == "topic" and found.get("Incremental builds") == "topic"


def test_extract_keeps_order_reports_progress_and_is_deterministic():
    chunks = [chunk(f"Station {i} of Grand Line serves Port Royal.", title=f"Station {i}", doc=f"d{i}")
              for i in range(120)]
    done: list[int] = []
    first = LexicalExtractor().extract(chunks, done.append)
    assert [e.chunk_id for e in first] == [c.id for c in chunks]
    assert sum(done) == 120 and all(n > 0 for n in done)
    assert LexicalExtractor().extract(chunks) == first
    assert all(e.tokens == 0 and e.doc_id == c.doc_id for e, c in zip(first, chunks))


def test_a_passage_naming_another_documents_title_links_to_it():
    film = chunk("Van Helsing is a 2004 horror film directed by Stephen Sommers.", "Van Helsing (film)", "film")
    person = chunk("Stephen Sommers is an American filmmaker. He wrote The Mummy.", "Stephen Sommers", "person")
    graph = assemble(LexicalExtractor().extract([film, person]))
    node = graph.nodes[entity_node("stephen sommers")]
    assert node["chunk_ids"] == sorted([film.id, person.id])
    assert graph.has_edge(entity_node("stephen sommers"), entity_node("van helsing"))
