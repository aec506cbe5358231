"""Loading BFCL data (merged and raw layouts) and the errors for bad data."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from pydantic import ValidationError

from agentkit.evals.bfcl.loading import BfclDataError, load_bfcl
from agentkit.evals.bfcl.records import BfclItem
from agentkit.evals.bfcl.running import run_item
from agentkit.models.config import ChatModelConfig
from agentkit.models.factory import get_chat_model

FIXTURE = Path(__file__).parent / "data" / "bfcl"
CATEGORIES = ["simple_python", "multiple", "parallel", "parallel_multiple", "irrelevance",
              "simple_java", "simple_javascript"]


def test_merged_layout_loads_every_category() -> None:
    items = load_bfcl(FIXTURE)
    assert len(items) == 21
    assert list(dict.fromkeys(i.category for i in items)) == CATEGORIES
    first = items[0]
    assert first.id == "simple_python_1" and first.language == "python"
    assert first.messages[0].role == "user" and "factorial" in first.messages[0].content
    assert first.functions[0].name == "math.factorial"
    assert first.ground_truth[0].name == "math.factorial"
    assert first.ground_truth[0].args == {"number": [5]}
    irrelevant = [i for i in items if i.category == "irrelevance"]
    assert all(i.expect == "no_call" and not i.ground_truth for i in irrelevant)
    assert {i.language for i in items if "java" in i.category} == {"java", "javascript"}


def test_raw_layout_gives_the_same_items() -> None:
    raw = load_bfcl(FIXTURE / "raw")  # categories in file-name order
    assert sorted(raw, key=lambda i: i.id) == sorted(load_bfcl(FIXTURE), key=lambda i: i.id)


def test_merged_file_path_is_accepted() -> None:
    assert load_bfcl(FIXTURE / "bfcl_v4_merged.jsonl") == load_bfcl(FIXTURE)


def test_raw_folder_is_found_under_the_data_folder(tmp_path: Path) -> None:
    shutil.copytree(FIXTURE / "raw", tmp_path / "raw")
    assert len(load_bfcl(tmp_path, ["parallel"])) == 3


def test_categories_in_requested_order_and_limit_per_category() -> None:
    for data in (FIXTURE, FIXTURE / "raw"):
        items = load_bfcl(data, ["irrelevance", "simple_python"], limit=2)
        assert [i.id for i in items] == [
            "irrelevance_8", "irrelevance_49", "simple_python_1", "simple_python_18"]


@pytest.mark.parametrize("data", [FIXTURE, FIXTURE / "raw"])
def test_unknown_category_suggests_a_close_name(data: Path) -> None:
    with pytest.raises(BfclDataError, match="category 'simple_pyton' is not in the data") as err:
        load_bfcl(data, ["simple_pyton"])
    assert "did you mean 'simple_python'" in str(err.value)


def test_missing_folder_and_folder_without_data(tmp_path: Path) -> None:
    with pytest.raises(BfclDataError, match="no such file or folder") as err:
        load_bfcl(tmp_path / "nope")
    assert "fix: point --data at a folder" in str(err.value)
    with pytest.raises(BfclDataError, match=f"no BFCL data in {tmp_path}"):
        load_bfcl(tmp_path)
    with pytest.raises(BfclDataError, match=r"BFCL_v4_parallel.json is not a merged BFCL file"):
        load_bfcl(FIXTURE / "raw" / "BFCL_v4_parallel.json")


def write_merged(tmp_path: Path, *rows: object) -> Path:
    lines = [row if isinstance(row, str) else json.dumps(row) for row in rows]
    (tmp_path / "data.jsonl").write_text("\n".join(lines) + "\n")
    return tmp_path


def good_row(**changes: object) -> dict[str, object]:
    row = json.loads((FIXTURE / "bfcl_v4_merged.jsonl").read_text().splitlines()[0])
    row.update(changes)
    return row


def test_bad_json_line_names_file_line_and_fix(tmp_path: Path) -> None:
    data = write_merged(tmp_path, good_row(), '{"id": "x", oops}')
    with pytest.raises(BfclDataError) as err:
        load_bfcl(data)
    message = str(err.value)
    assert f"{tmp_path / 'data.jsonl'}:2: not valid JSON" in message
    assert "fix: each line must be one complete JSON object" in message


def test_line_that_is_not_an_object(tmp_path: Path) -> None:
    with pytest.raises(BfclDataError, match=r"data.jsonl:1: expected a JSON object, got list"):
        load_bfcl(write_merged(tmp_path, "[1, 2]"))


def test_missing_field_names_the_field(tmp_path: Path) -> None:
    row = good_row()
    del row["functions"]
    with pytest.raises(BfclDataError) as err:
        load_bfcl(write_merged(tmp_path, good_row(), row))
    message = str(err.value)
    assert "data.jsonl:2: item 'simple_python_1': functions:" in message
    assert "fix: make the line match the BFCL format" in message


def test_bad_parameter_type_uses_the_file_key_names(tmp_path: Path) -> None:
    row = good_row(turns=[[{"role": "robot", "content": "hi"}]])
    where = r"data.jsonl:1: item 'simple_python_1': turns\.0\.0\.role"
    with pytest.raises(BfclDataError, match=where):
        load_bfcl(write_merged(tmp_path, row))


def test_ground_truth_must_call_a_listed_function(tmp_path: Path) -> None:
    row = good_row(ground_truth=[{"math.sqrt": {"number": [5]}}])
    with pytest.raises(BfclDataError, match="ground truth calls 'math.sqrt', which is not among"):
        load_bfcl(write_merged(tmp_path, row))


def test_multi_turn_items_are_refused_with_a_hint(tmp_path: Path) -> None:
    turns = [[{"role": "user", "content": "a"}], [{"role": "user", "content": "b"}]]
    with pytest.raises(BfclDataError) as err:
        load_bfcl(write_merged(tmp_path, good_row(turns=turns)))
    assert "data.jsonl:1: 2 turns: only single-turn categories" in str(err.value)
    assert "--category" in str(err.value)


LIVE_IRRELEVANCE = {"id": "live_irrelevance_0-0-0", "question": [[
    {"role": "user", "content": "Can you provide the address for latitude 37.4224764 and longitude -122.0842499?"}]],
    "function": []}


def test_items_without_functions_load_and_expect_no_call(tmp_path: Path) -> None:
    (tmp_path / "BFCL_v4_live_irrelevance.json").write_text(json.dumps(LIVE_IRRELEVANCE) + "\n")
    (item,) = load_bfcl(tmp_path)
    assert (item.id, item.category, item.functions, item.expect) == (
        "live_irrelevance_0-0-0", "live_irrelevance", [], "no_call")
    merged = good_row(id="x_1", category="multiple", functions=[], ground_truth=[])
    (loaded,) = load_bfcl(write_merged(tmp_path, merged))
    assert loaded.functions == [] and loaded.expect == "no_call"


def test_an_item_without_functions_is_scored_with_the_local_model(tmp_path: Path) -> None:
    """Loaded is not enough: the item is asked without tools (binding none is refused)."""
    (tmp_path / "BFCL_v4_live_irrelevance.json").write_text(json.dumps(LIVE_IRRELEVANCE) + "\n")
    (item,) = load_bfcl(tmp_path)
    model = get_chat_model(ChatModelConfig(provider="local", max_tokens=16))
    result = run_item(model, item)
    assert result.error is None and result.calls == [] and result.text
    assert result.valid and result.correct


def test_an_item_without_functions_cannot_expect_a_call(tmp_path: Path) -> None:
    row = good_row(functions=[])  # keeps its ground-truth call of math.factorial
    with pytest.raises(BfclDataError, match="ground truth calls 'math.factorial', which is not among"):
        load_bfcl(write_merged(tmp_path, row))
    with pytest.raises(ValidationError, match="an item without functions can only expect no call"):
        BfclItem(id="x", category="live_relevance", messages=[{"role": "user", "content": "hi"}],
                 functions=[], expect="some_call")


def test_raw_category_without_ground_truth_file(tmp_path: Path) -> None:
    shutil.copy(FIXTURE / "raw" / "BFCL_v4_parallel.json", tmp_path)
    with pytest.raises(BfclDataError) as err:
        load_bfcl(tmp_path)
    message = str(err.value)
    assert f"category 'parallel' has no ground-truth file {tmp_path}/possible_answer/" in message
    assert "fix: put BFCL's possible_answer/ folder next to the question files" in message


def test_raw_item_without_ground_truth_line(tmp_path: Path) -> None:
    shutil.copy(FIXTURE / "raw" / "BFCL_v4_parallel.json", tmp_path)
    (tmp_path / "possible_answer").mkdir()
    answers = (FIXTURE / "raw" / "possible_answer" / "BFCL_v4_parallel.json").read_text()
    (tmp_path / "possible_answer" / "BFCL_v4_parallel.json").write_text(answers.splitlines()[0])
    with pytest.raises(BfclDataError) as err:
        load_bfcl(tmp_path)
    assert "BFCL_v4_parallel.json:2: no ground truth for item 'parallel_60'" in str(err.value)


def test_raw_ground_truth_line_without_list(tmp_path: Path) -> None:
    shutil.copy(FIXTURE / "raw" / "BFCL_v4_parallel.json", tmp_path)
    (tmp_path / "possible_answer").mkdir()
    (tmp_path / "possible_answer" / "BFCL_v4_parallel.json").write_text('{"id": "parallel_7"}\n')
    with pytest.raises(BfclDataError, match=r"BFCL_v4_parallel.json:1: a ground-truth line needs"):
        load_bfcl(tmp_path)
