"""`agentkit eval retrieval`: metrics against hand-computed values, BEIR loading errors,
and a tiny BEIR set end to end through the CLI with the real local MiniLM embeddings."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agentkit.cli.app import app
from agentkit.evals.retrieval.loading import (
    RetrievalDataError, load_beir, load_corpus, load_qrels, load_queries,
)
from agentkit.evals.retrieval.metrics import (
    documents_by_best_rank,
    mrr_at_k,
    ndcg_at_k,
    query_metrics,
    recall_at_k,
)
from agentkit.evals.retrieval.results import Latency
from agentkit.evals.corpus_store import default_store_name
from agentkit.rag.chunking import ChunkingConfig

# -- metrics -------------------------------------------------------------------------

RANKING = ["d1", "d2", "d3", "d4"]
GRADED = {"d2": 2, "d4": 1, "d9": 1}  # d9 is relevant but never retrieved


def test_ndcg_graded_gains_log2_discount_and_ideal_from_qrels() -> None:
    # DCG = 2/log2(3) + 1/log2(5) = 1.261860 + 0.430677 = 1.692536
    # ideal (2, 1, 1) = 2/log2(2) + 1/log2(3) + 1/log2(4) = 2 + 0.630930 + 0.5 = 3.130930
    assert ndcg_at_k(RANKING, GRADED, 10) == pytest.approx(1.69254 / 3.13093, abs=1e-5)
    assert ndcg_at_k(RANKING, GRADED, 10) == pytest.approx(0.540586, abs=1e-6)
    # cut at 2: DCG = 2/log2(3) = 1.26186; ideal (2, 1) = 2 + 1/log2(3) = 2.63093
    assert ndcg_at_k(RANKING, GRADED, 2) == pytest.approx(1.26186 / 2.63093, abs=1e-5)


def test_ndcg_edge_cases() -> None:
    assert ndcg_at_k(["a", "b"], {"a": 1, "b": 1}) == 1.0  # ideal order
    assert ndcg_at_k(["b", "a"], {"a": 2, "b": 1}) == pytest.approx(
        (1 + 2 / math.log2(3)) / (2 + 1 / math.log2(3)))
    assert ndcg_at_k(["x", "y"], {"a": 1}) == 0.0  # nothing relevant retrieved
    assert ndcg_at_k([], {"a": 1}) == 0.0
    assert ndcg_at_k(["a"], {"a": 0}) == 0.0  # no relevant document at all
    # a 0 judgement is not relevant: (1/log2(3)) / 1
    assert ndcg_at_k(["d1", "d2"], {"d1": 0, "d2": 1}) == pytest.approx(0.630930, abs=1e-6)
    # the 11th document does not count at 10
    assert ndcg_at_k([f"x{i}" for i in range(10)] + ["a"], {"a": 1}, 10) == 0.0


def test_recall_counts_all_relevant_documents() -> None:
    assert recall_at_k(RANKING, GRADED, 10) == pytest.approx(2 / 3)
    assert recall_at_k(RANKING, GRADED, 2) == pytest.approx(1 / 3)
    assert recall_at_k(RANKING, GRADED, 1) == 0.0
    assert recall_at_k(["a", "b"], {"a": 1, "b": 0}, 10) == 1.0
    ranking = [f"x{i}" for i in range(99)] + ["a", "b"]
    assert recall_at_k(ranking, {"a": 1, "b": 1}, 100) == 0.5  # b is the 101st


def test_mrr_is_the_first_relevant_rank_within_k() -> None:
    assert mrr_at_k(RANKING, GRADED, 10) == 0.5
    assert mrr_at_k(["d4", "d2"], GRADED, 10) == 1.0
    assert mrr_at_k(["a", "b", "c"], {"c": 1}, 10) == pytest.approx(1 / 3)
    assert mrr_at_k(["a", "b", "c"], {"c": 1}, 2) == 0.0
    assert mrr_at_k(["a"], {"a": 0}, 10) == 0.0


def test_query_metrics_and_aggregation_by_best_rank() -> None:
    chunks = ["d3", "d2", "d3", "d1", "d2", "d4"]
    assert documents_by_best_rank(chunks) == ["d3", "d2", "d1", "d4"]
    figures = query_metrics(documents_by_best_rank(chunks), {"d1": 1})
    assert figures == {"ndcg_at_10": pytest.approx(1 / math.log2(4)), "recall_at_10": 1.0,
                       "recall_at_100": 1.0, "mrr_at_10": pytest.approx(1 / 3)}


def test_latency_percentiles() -> None:
    latency = Latency.of([float(i) for i in range(1, 101)])
    assert (latency.p50, latency.p95, latency.p99) == pytest.approx((50.5, 95.05, 99.01))
    assert latency.mean == 50.5 and latency.max == 100.0
    assert Latency.of([]).p50 == 0.0


# -- a tiny BEIR set -----------------------------------------------------------------

DOCS = {
    "volcano": ("Volcanoes", "Basaltic lava flows from a volcano erupt when magma rises through "
                "cracks in the crust. Hawaiian eruptions are effusive."),
    "axolotl": ("Axolotl regeneration", "The axolotl is a salamander that regrows lost limbs, "
                "spinal cord and even parts of its heart."),
    "coffee": ("Coffee", "Coffee beans are roasted seeds of the Coffea plant; caffeine blocks "
               "adenosine receptors and keeps people awake."),
    "tides": ("Ocean tides", "Tides are caused by the gravitational pull of the Moon and the Sun "
              "on the oceans of the Earth."),
    "photosynthesis": ("Photosynthesis", "Plants turn sunlight, water and carbon dioxide into "
                       "glucose and oxygen in their chloroplasts."),
    "bees": ("Honey bees", "Honey bees communicate the direction of flowers with a waggle dance "
             "inside the hive."),
    "chess": ("Chess openings", "The Sicilian Defence is a popular chess opening that answers "
              "1.e4 with c5."),
    "bread": ("Sourdough", "Sourdough bread rises thanks to wild yeast and lactic acid bacteria "
              "in a fermented starter."),
    "mars": ("Mars", "Mars is the fourth planet from the Sun, with a thin carbon dioxide "
             "atmosphere and red iron oxide dust."),
    "vaccines": ("Vaccines", "Vaccines train the immune system to recognise a pathogen by "
                 "presenting a harmless antigen."),
    "glaciers": ("Glaciers", "Glaciers are rivers of ice that carve valleys as they slowly "
                 "move downhill under their own weight."),
    "python": ("Python language", "Python is a programming language with dynamic typing and "
               "indentation-based blocks."),
}
QUERIES = [
    ("q1", "how does the axolotl regrow limbs", "train", {"axolotl": 1}),
    ("q2", "what makes the ocean tides", "train", {"tides": 1}),
    ("q3", "why does coffee keep me awake", "train", {"coffee": 2, "photosynthesis": 0}),
    ("q4", "which planet has red dust", "train", {"mars": 1}),
    ("q5", "how do plants make sugar from light", "test", {"photosynthesis": 1}),
    ("q6", "a query nobody judged", "train", {}),
]


def write_beir(folder: Path) -> tuple[Path, Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    corpus, queries, qrels = folder / "corpus.jsonl", folder / "queries.jsonl", folder / "qrels.tsv"
    corpus.write_text("".join(
        json.dumps({"_id": doc_id, "title": title, "text": text, "metadata": {}}) + "\n"
        for doc_id, (title, text) in DOCS.items()), encoding="utf-8")
    queries.write_text("".join(
        json.dumps({"_id": qid, "text": text, "metadata": {"split": split}}) + "\n"
        for qid, text, split, _ in QUERIES), encoding="utf-8")
    qrels.write_text("query-id\tcorpus-id\tscore\n" + "".join(
        f"{qid}\t{doc}\t{score}\n" for qid, _, _, judged in QUERIES
        for doc, score in judged.items()), encoding="utf-8")
    return corpus, queries, qrels


def test_load_beir_split_limit_and_unjudged_queries(tmp_path: Path) -> None:
    corpus, queries, qrels = write_beir(tmp_path / "beir")
    data = load_beir(corpus, queries, qrels, split="train")
    assert [q.id for q in data.queries] == ["q1", "q2", "q3", "q4"]
    assert data.skipped_queries == 1  # q6 has no relevant document
    assert data.qrels["q3"] == {"coffee": 2, "photosynthesis": 0}
    assert data.corpus_ids == set(DOCS)
    assert [q.id for q in load_beir(corpus, queries, qrels, limit=2).queries] == ["q1", "q2"]
    assert [q.id for q in load_beir(corpus, queries, qrels).queries] == ["q1", "q2", "q3", "q4", "q5"]
    with pytest.raises(RetrievalDataError, match="splits in the file: test, train"):
        load_queries(queries, "dev")


@pytest.mark.parametrize(("content", "line", "message"), [
    ("q1\td1\t1\n", 1, "expected the header"),
    ("query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\n", 3, "expected 3 tab-separated fields"),
    ("query-id\tcorpus-id\tscore\nq1\td1\thigh\n", 2, "is not an integer"),
])
def test_malformed_qrels_name_file_and_line(tmp_path: Path, content: str, line: int,
                                            message: str) -> None:
    path = tmp_path / "qrels.tsv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(RetrievalDataError, match=message) as error:
        load_qrels(path)
    assert str(error.value).startswith(f"{path}:{line}: ")


def test_malformed_queries_name_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "queries.jsonl"
    path.write_text('{"_id": "1", "text": "ok"}\n\n{"_id": "2", "text": \n', encoding="utf-8")
    with pytest.raises(RetrievalDataError, match="not valid JSON") as error:
        load_queries(path)
    assert str(error.value).startswith(f"{path}:3: ")
    path.write_text('{"_id": "1"}\n', encoding="utf-8")
    with pytest.raises(RetrievalDataError, match="needs a string `_id` and a string `text`"):
        load_queries(path)


def test_repeated_corpus_ids_and_empty_queries_name_their_lines(tmp_path: Path) -> None:
    corpus, queries, qrels = write_beir(tmp_path / "beir")
    lines = corpus.read_text(encoding="utf-8").splitlines()
    corpus.write_text("\n".join([*lines, "", json.dumps({"_id": "tides", "text": "Another text."})]) + "\n",
                      encoding="utf-8")
    with pytest.raises(RetrievalDataError, match=r"document id 'tides' repeats line 4\n.*fix: give every "
                                                 r"document its own `_id`") as error:
        load_corpus(corpus)
    assert str(error.value).startswith(f"{corpus}:{len(lines) + 2}: ")
    queries.write_text('{"_id": "1", "text": "fine"}\n{"_id": 2, "text": " \\n\\t"}\n', encoding="utf-8")
    with pytest.raises(RetrievalDataError, match=r"query '2' has an empty `text`\n.*fix: write the query's text") as error:
        load_queries(queries)
    assert str(error.value).startswith(f"{queries}:2: ")


def test_store_name_follows_corpus_path_and_chunking(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.jsonl"
    name = default_store_name(corpus, ChunkingConfig())
    assert name == default_store_name(corpus, ChunkingConfig())
    assert name != default_store_name(tmp_path / "other.jsonl", ChunkingConfig())
    assert name != default_store_name(corpus, ChunkingConfig(chunk_size=256))


# -- end to end ----------------------------------------------------------------------

def run_cli(*args: str) -> object:
    return CliRunner().invoke(app, ["eval", "retrieval", *args])


def test_eval_retrieval_end_to_end(tmp_path: Path, model_cache: Path) -> None:
    corpus, queries, qrels = write_beir(tmp_path / "beir")
    out, html = tmp_path / "out" / "run.json", tmp_path / "out" / "run.html"
    files = ["--corpus", str(corpus), "--queries", str(queries), "--qrels", str(qrels)]
    modes = ["bm25", "dense", "hybrid", "hybrid+rerank"]
    result = run_cli(*files, "--split", "train", "--json", str(out), "--html", str(html),
                     *[flag for mode in modes for flag in ("--mode", mode)])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    run = json.loads(out.read_text())
    assert run["kind"] == "retrieval" and run["metrics"]["n_queries"] == 4
    assert list(dict.fromkeys(i["group"] for i in run["items"])) == modes
    settings = run["config"]
    assert settings["documents"] == 12 and settings["chunks"] == 12  # one chunk per short doc
    assert settings["chunk_size"] == 200 and settings["split"] == "train"
    assert settings["fusion"]["rrf_k"] == 60 and settings["depth"] == 200
    assert settings["chunks_embedded"] == 12 and settings["skipped_queries"] == 1
    assert Path(settings["store_path"]).is_dir()
    assert run["models"]["embeddings"].startswith("all-MiniLM-L6-v2")
    assert {i["input"]["query"] for i in run["items"]} == {text for _, text, split, judged in QUERIES
                                                           if split == "train" and judged}
    metrics = run["metrics"]
    for mode in modes:
        queries = [i for i in run["items"] if i["group"] == mode]
        assert len(queries) == 4
        for metric in ("ndcg_at_10", "recall_at_10", "recall_at_100", "mrr_at_10"):
            assert 0 <= metrics[f"{mode}/{metric}"] <= 1
            assert all(0 <= q["scores"][metric] <= 1 for q in queries)
        assert 0 < metrics[f"{mode}/latency_p50_ms"] <= metrics[f"{mode}/latency_p95_ms"]
        assert run["directions"][f"{mode}/latency_p95_ms"] == "lower"
        for query in queries:
            assert set(query["scores"]) == {"ndcg_at_10", "recall_at_10", "recall_at_100", "mrr_at_10"}
            assert query["latency_s"] > 0 and query["expected"]["relevant"]
            top = query["output"]["top_docs"]
            assert len(top) == len(set(top)) <= 10
    bm25 = {q["id"]: q for q in run["items"] if q["group"] == "bm25"}
    assert bm25["q1"]["output"]["top_docs"][0] == "axolotl"  # "axolotl" is in that doc only
    assert bm25["q1"]["scores"]["ndcg_at_10"] == 1.0 and bm25["q1"]["scores"]["mrr_at_10"] == 1.0
    dense = {q["id"]: q for q in run["items"] if q["group"] == "dense"}
    assert dense["q2"]["output"]["top_docs"][0] == "tides"
    assert "retrieval (retrieval)" in result.output and "hybrid+rerank" in result.output
    page = html.read_text()
    assert page.count("<svg") == 2 and "how does the axolotl regrow limbs" in page

    # a re-run reuses the store: nothing is embedded again
    again = run_cli(*files, "--split", "train", "--mode", "bm25", "--json", str(out))
    assert again.exit_code == 0, again.output
    rerun = json.loads(out.read_text())
    assert rerun["config"]["chunks_embedded"] == 0
    assert rerun["config"]["store"] == settings["store"]
    assert {i["group"] for i in rerun["items"]} == {"bm25"}
    assert rerun["metrics"]["bm25/ndcg_at_10"] == metrics["bm25/ndcg_at_10"]


def test_eval_retrieval_errors_are_clear(tmp_path: Path) -> None:
    corpus, queries, qrels = write_beir(tmp_path / "beir")
    bad = tmp_path / "beir" / "bad.tsv"
    bad.write_text("query-id\tcorpus-id\tscore\nq1\taxolotl\t1\nq2 tides\n", encoding="utf-8")
    result = run_cli("--corpus", str(corpus), "--queries", str(queries), "--qrels", str(bad))
    assert result.exit_code == 1
    assert f"{bad}:3:" in result.output and "expected 3 tab-separated fields" in result.output
    assert "Traceback" not in result.output
    unknown = run_cli("--corpus", str(corpus), "--queries", str(queries), "--qrels", str(qrels),
                      "--mode", "sparse")
    assert unknown.exit_code == 1 and "is not a search mode" in unknown.output
    broken = tmp_path / "beir" / "broken.jsonl"
    broken.write_text('{"_id": "a", "text": "fine"}\n{"title": "no id"}\n', encoding="utf-8")
    result = run_cli("--corpus", str(broken), "--queries", str(queries), "--qrels", str(qrels))
    assert result.exit_code == 1 and f"{broken}:2:" in result.output
    assert "Traceback" not in result.output


class ReversingReranker:
    """Stands in for agentkit's reranker: reverses the hits it is given."""

    def __init__(self) -> None:
        self.seen: list[int] = []

    def rerank(self, query: str, hits: list, k: int) -> list:
        self.seen.append(len(hits))
        return list(reversed(hits))[:k]


def test_hybrid_rerank_reorders_the_head_and_keeps_the_tail(tmp_path: Path) -> None:
    from langchain_core.embeddings import DeterministicFakeEmbedding

    from agentkit.evals.retrieval.running import SearchSettings, search
    from agentkit.rag.document_index import DocumentIndex
    from agentkit.rag.stores.embedded import EmbeddedStore

    corpus, _, _ = write_beir(tmp_path / "beir")
    index = DocumentIndex(EmbeddedStore(tmp_path / "store"), DeterministicFakeEmbedding(size=16))
    index.index([corpus], tmp_path, ChunkingConfig())
    reranker = ReversingReranker()
    settings = SearchSettings(depth=8, reranker=reranker, rerank_depth=3)  # type: ignore[arg-type]
    hybrid = search(index, "axolotl limbs", "hybrid", settings)
    reranked = search(index, "axolotl limbs", "hybrid+rerank", settings)
    assert reranker.seen == [3] and len(hybrid) == 8
    assert [h.chunk.id for h in reranked] == [h.chunk.id for h in [*hybrid[2::-1], *hybrid[3:]]]
    index.store.close()
