"""Loaders, chunking, fusion and grounding: the pure parts of retrieval."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentkit.rag.chunking import Chunker, ChunkingConfig
from agentkit.rag.chunks import Chunk, Hit, chunk_id
from agentkit.rag.fusion import FusionConfig, fuse, min_max, reciprocal_rank
from agentkit.rag.grounding import groundedness, sentences
from agentkit.rag.loaders import LoadError, SourceDocument, find_files, load_file

def make_pdf(text: str) -> bytes:
    """A one-page PDF showing `text` in Helvetica, with a correct cross-reference table."""
    stream = f"BT /F1 12 Tf 10 50 Td ({text}) Tj ET".encode()
    objects = [
        b"<</Type/Catalog/Pages 2 0 R>>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 300 100]/Contents 4 0 R/Resources<</Font<</F1 5 0 R>>>>>>",
        b"<</Length %d>>stream\n%s\nendstream" % (len(stream), stream),
        b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def test_every_supported_format_loads(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("# Rockets\n\nAriane launches from Kourou.\n")
    (tmp_path / "b.txt").write_text("Plain text about tea.")
    (tmp_path / "c.html").write_text("<html><head><title>Cats</title><style>p{}</style></head>"
                                     "<body><nav>menu</nav><p>Cats purr.</p><script>x()</script></body></html>")
    (tmp_path / "d.pdf").write_bytes(make_pdf("Penguins live in Antarctica"))
    (tmp_path / "e.jsonl").write_text('{"_id": "7", "title": "T", "text": "Body", "metadata": {"year": 2020}}\n\n')
    docs = {p.suffix: load_file(p) for p in sorted(tmp_path.iterdir())}
    assert docs[".md"][0].title == "Rockets" and "Kourou" in docs[".md"][0].text
    assert docs[".txt"][0].doc_id == str(tmp_path / "b.txt")
    assert docs[".html"][0].title == "Cats" and docs[".html"][0].text == "Cats purr."
    assert "Penguins live in Antarctica" in docs[".pdf"][0].text and docs[".pdf"][0].metadata == {"pages": 1}
    beir = docs[".jsonl"][0]
    assert (beir.doc_id, beir.title, beir.text, beir.metadata) == ("7", "T", "Body", {"year": 2020})


@pytest.mark.parametrize(("name", "content", "expected"), [
    ("broken.pdf", b"%PDF-1.4 garbage", "not a readable PDF"),
    ("latin1.txt", "caf\xe9".encode("latin-1"), "not UTF-8"),
    ("bad.jsonl", b'{"_id": "1", "text": "ok"}\n{"title": "no id"}\n', "bad.jsonl:2: not a BEIR corpus line"),
    ("table.xlsx", b"PK", "no loader for .xlsx"),
])
def test_unreadable_files_raise_a_load_error_naming_them(
    tmp_path: Path, name: str, content: bytes, expected: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(LoadError, match=expected) as caught:
        load_file(path)
    assert name in str(caught.value)


def test_find_files_walks_folders_skips_hidden_and_reports_missing(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / ".hidden").mkdir()
    for name in ("sub/a.md", ".hidden/b.md", "c.txt", "d.png"):
        (tmp_path / name).write_text("x")
    found, missing = find_files([tmp_path, tmp_path / "nope.md"])
    assert [p.relative_to(tmp_path).as_posix() for p in found] == ["c.txt", "sub/a.md"]
    assert missing == [tmp_path / "nope.md"]


def test_chunks_respect_the_token_budget_and_overlap() -> None:
    chunker = Chunker(ChunkingConfig(chunk_size=40, chunk_overlap=10))
    text = " ".join(f"Sentence number {i} talks about topic {i}." for i in range(40))
    chunks = chunker.split(SourceDocument(doc_id="d", text=text, source="s.txt"))
    counts = [len(chunker._tokenizer(c.text, add_special_tokens=False)["input_ids"]) for c in chunks]
    assert len(chunks) > 5 and max(counts) <= 40
    assert chunks[0].text.startswith("Sentence number 0") and "topic 39." in chunks[-1].text
    first_sentences = sentences(chunks[0].text)
    assert first_sentences[-1] in chunks[1].text  # the overlap repeats the previous chunk's end
    assert [c.metadata["position"] for c in chunks] == list(range(len(chunks)))


def test_chunk_ids_are_content_hashes() -> None:
    chunker = Chunker(ChunkingConfig(chunk_size=64, chunk_overlap=8))
    doc = SourceDocument(doc_id="d", text="Alpha beta.\n\nGamma delta.", source="s.md")
    assert [c.id for c in chunker.split(doc)] == [c.id for c in chunker.split(doc)]
    assert chunker.split(doc)[0].id == chunk_id("d", "Alpha beta.\n\nGamma delta.")
    other = SourceDocument(doc_id="e", text=doc.text, source="t.md")
    assert chunker.split(other)[0].id != chunker.split(doc)[0].id


def test_an_overlong_unit_is_cut_at_token_boundaries() -> None:
    chunker = Chunker(ChunkingConfig(chunk_size=32, chunk_overlap=0))
    text = " ".join(f"w{i}" for i in range(200))
    chunks = chunker.split(SourceDocument(doc_id="d", text=text, source="s"))
    assert " ".join(c.text for c in chunks).split() == text.split()


def test_chunking_rejects_an_overlap_not_below_the_size() -> None:
    with pytest.raises(ValueError, match="chunk_overlap"):
        ChunkingConfig(chunk_size=50, chunk_overlap=50)


def test_reciprocal_rank_fusion_by_hand() -> None:
    fused = reciprocal_rank({"a": [("x", 9.0), ("y", 5.0)], "b": [("y", 0.9), ("z", 0.1)]}, k=1)
    assert fused == pytest.approx({"x": 1 / 2, "y": 1 / 3 + 1 / 2, "z": 1 / 3})


def test_weighted_fusion_uses_normalized_scores_and_alpha() -> None:
    assert min_max([("x", 4.0), ("y", 2.0), ("z", 3.0)]) == {"x": 1.0, "y": 0.0, "z": 0.5}
    ranked = fuse([("x", 10.0), ("y", 0.0)], [("y", 0.9), ("x", 0.1)], FusionConfig(method="weighted", alpha=0.8))
    assert [item for item, _ in ranked] == ["y", "x"]
    assert dict(ranked) == pytest.approx({"y": 0.8, "x": 0.2})
    assert [i for i, _ in fuse([("x", 1.0)], [], FusionConfig())] == ["x"]


def test_hits_become_langchain_documents_with_ids_and_scores() -> None:
    chunk = Chunk(id="c1", text="t", doc_id="d", source="s.md", title="T", metadata={"year": 2020})
    hit = Hit(chunk=chunk, score=0.5, scores={"bm25": 3.0, "dense": 0.4})
    document = hit.to_document()
    assert (document.id, document.page_content) == ("c1", "t")
    assert document.metadata == {"year": 2020, "id": "c1", "doc_id": "d", "source": "s.md", "title": "T",
                                 "score": 0.5, "score_bm25": 3.0, "score_dense": 0.4}


def test_groundedness_separates_supported_from_invented_answers() -> None:
    context = ["The Oberoi Group is a hotel company with its head office in Delhi."]
    assert groundedness("Delhi.", context).score == 1.0
    assert groundedness("The head office of the hotel company is in Delhi [1].", context).score == 1.0
    invented = groundedness("Mumbai, the financial capital of India.", context)
    assert invented.score < 0.5 and invented.names_found == 0.0
    assert groundedness("The answer is: it is.", context).score == 0.0  # says nothing
    # a lead-in and a citation claim nothing, even when the passage has the word "answer"
    assert groundedness("The answer is: [1]", ["The answer is in the head office."]).score == 0.0
    assert groundedness("No.", context).score == 1.0  # a bare short answer still passes
    assert groundedness("Delhi.", []).score == 0.0


def test_the_title_counts_against_the_chunk_budget() -> None:
    chunker = Chunker(ChunkingConfig(chunk_size=48, chunk_overlap=8))
    text = " ".join(f"Sentence number {i} talks about topic {i}." for i in range(30))

    def tokens(value: str) -> int:
        return len(chunker._tokenizer(value, add_special_tokens=False)["input_ids"])

    for title in ["Short title", " ".join(f"heading{i}" for i in range(60))]:
        chunks = chunker.split(SourceDocument(doc_id="d", text=text, source="s.md", title=title))
        assert max(tokens(c.content) for c in chunks) <= 48
        assert " ".join(c.text for c in chunks).count("topic 29.") >= 1
    long_title = chunks[0].title
    assert 0 < tokens(long_title) <= 24 and title.startswith(long_title)


def test_an_index_rebuild_removes_only_index_folders_a_store_wrote(tmp_path: Path) -> None:
    import numpy as np

    from agentkit.rag.stores.embedded import EmbeddedStore

    (tmp_path / "bm25-1").mkdir()  # e.g. another store's folder beside this one
    (tmp_path / "bm25-1" / "chunks.sqlite").write_bytes(b"not mine")
    (tmp_path / ".bm25-x").mkdir()
    store = EmbeddedStore(tmp_path)
    for n in range(3):  # each write moves the generation on: the old index folder goes
        chunk = Chunk(id=f"c{n}", text=f"otters {n}", doc_id="d", source="s")
        store.upsert([chunk], np.ones((1, 4), dtype=np.float32))
        assert store.search("otters", None, mode="bm25", k=5)
    written = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(("bm25-", ".bm25-")))
    assert written == [".bm25-x", "bm25-1", f"bm25-{store.generation()}"]
    assert (tmp_path / "bm25-1" / "chunks.sqlite").read_bytes() == b"not mine"


@pytest.mark.parametrize("name", [".", "..", ".hidden", "a/b", "", "x" * 101])
def test_store_names_are_plain_names(name: str) -> None:
    from agentkit.rag.config import StoreConfig

    with pytest.raises(ValueError, match="is not a plain name"):
        StoreConfig(name=name)
    assert StoreConfig(name="beir-1a2b-c200-o30").name == "beir-1a2b-c200-o30"
