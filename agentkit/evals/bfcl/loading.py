"""Load BFCL data from a folder: the merged JSON Lines file or the upstream raw layout.

Merged (`*.jsonl` in the folder): one object per line with `id`, `category`, `turns`,
`functions`, `ground_truth`, `expect_no_call`, `expect_call`. An item whose function list is
empty (`live_irrelevance` has some) expects no call.
Raw (`BFCL_v<N>_<category>.json` in the folder or its `raw/` subfolder, JSON Lines
despite the name): `id`, `question`, `function`; ground truth in
`possible_answer/BFCL_v<N>_<category>.json` as `id`, `ground_truth`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from agentkit.errors import AgentkitError, Problem, suggest
from agentkit.jsonl import JSON_LINES_FIX, json_lines
from agentkit.evals.bfcl.records import BfclItem, Expectation

_RAW_NAME = re.compile(r"^BFCL_v\d+_(?P<category>.+)\.json$")
# Where each BfclItem field comes from in a line, for error messages.
_MERGED_KEYS = {"messages": "turns.0"}
_RAW_KEYS = {"messages": "question.0", "functions": "function"}
_LAYOUT_HINT = (
    "point --data at a folder holding the merged BFCL file (*.jsonl) or the raw files "
    "BFCL_v4_<category>.json with possible_answer/BFCL_v4_<category>.json "
    "(directly or under raw/)"
)


class BfclDataError(AgentkitError):
    """BFCL data is missing or malformed: the message names the file, line and fix."""

    def __init__(self, message: str, *, file: Path | None = None, line: int | None = None,
                 hint: str | None = None) -> None:
        super().__init__(str(Problem(message, file=str(file) if file else None, line=line,
                                     hint=hint)))


def load_bfcl(
    data: Path, categories: Sequence[str] | None = None, limit: int | None = None
) -> list[BfclItem]:
    """The items of `categories` (default: all in the data), at most `limit` per
    category, in category order then file order."""
    if not data.exists():
        raise BfclDataError(f"no such file or folder: {data}", hint=_LAYOUT_HINT)
    if data.is_file() and data.suffix != ".jsonl":
        raise BfclDataError(f"{data} is not a merged BFCL file (*.jsonl)", hint=_LAYOUT_HINT)
    merged = [data] if data.is_file() else sorted(data.glob("*.jsonl"))
    if merged:
        by_category = _load_merged(merged)
    else:
        by_category = _load_raw(_raw_files(data), categories)
    chosen = _choose(by_category, categories, data)
    return [item for name in chosen for item in by_category[name][:limit]]


def _choose(
    by_category: dict[str, list[BfclItem]], categories: Sequence[str] | None, data: Path
) -> list[str]:
    if not categories:
        return list(by_category)
    for name in categories:
        if name not in by_category:
            raise BfclDataError(
                f"category {name!r} is not in the data at {data}",
                hint=suggest(name, by_category),
            )
    return list(dict.fromkeys(categories))


def _load_merged(files: list[Path]) -> dict[str, list[BfclItem]]:
    by_category: dict[str, list[BfclItem]] = {}
    for file in files:
        for line, row in _json_lines(file):
            expect: Expectation = (
                "no_call" if row.get("expect_no_call") or row.get("functions") == []
                else "some_call" if row.get("expect_call") and not row.get("ground_truth")
                else "match"
            )
            fields = {
                "id": row.get("id"),
                "category": row.get("category"),
                "messages": _single_turn(row.get("turns"), file, line),
                "functions": row.get("functions"),
                "ground_truth": row.get("ground_truth") or [],
                "expect": expect,
            }
            item = _item(fields, file, line, _MERGED_KEYS)
            by_category.setdefault(item.category, []).append(item)
    return by_category


def _raw_files(data: Path) -> dict[str, Path]:
    folder = data / "raw" if (data / "raw").is_dir() else data
    files = {
        match["category"]: path
        for path in sorted(folder.glob("BFCL_v*_*.json"))
        if (match := _RAW_NAME.match(path.name))
    }
    if not files:
        raise BfclDataError(f"no BFCL data in {data}", hint=_LAYOUT_HINT)
    return files


def _load_raw(
    files: dict[str, Path], categories: Sequence[str] | None
) -> dict[str, list[BfclItem]]:
    by_category: dict[str, list[BfclItem]] = {}
    for category, file in files.items():
        if categories and category not in categories:
            by_category[category] = []  # known, not loaded
            continue
        category_expect = _raw_expectation(category)
        answers = _raw_answers(file, category) if category_expect == "match" else {}
        items = []
        for line, row in _json_lines(file):
            expect = "no_call" if row.get("function") == [] else category_expect
            fields = {
                "id": row.get("id"),
                "category": category,
                "messages": _single_turn(row.get("question"), file, line),
                "functions": row.get("function"),
                "ground_truth": answers.get(row.get("id"), []),
                "expect": expect,
            }
            if expect == "match" and row.get("id") not in answers:
                raise BfclDataError(
                    f"no ground truth for item {row.get('id')!r}", file=file, line=line,
                    hint=f"add a line with this id to {_answer_file(file)}",
                )
            items.append(_item(fields, file, line, _RAW_KEYS))
        by_category[category] = items
    return by_category


def _raw_expectation(category: str) -> Expectation:
    if "irrelevance" in category:
        return "no_call"
    if category.endswith("relevance"):
        return "some_call"
    return "match"


def _answer_file(question_file: Path) -> Path:
    return question_file.parent / "possible_answer" / question_file.name


def _raw_answers(question_file: Path, category: str) -> dict[Any, Any]:
    file = _answer_file(question_file)
    if not file.is_file():
        raise BfclDataError(
            f"category {category!r} has no ground-truth file {file}",
            hint="put BFCL's possible_answer/ folder next to the question files, "
            "or leave this category out with --category",
        )
    answers = {}
    for line, row in _json_lines(file):
        if "id" not in row or not isinstance(row.get("ground_truth"), list):
            raise BfclDataError(
                "a ground-truth line needs 'id' and a 'ground_truth' list",
                file=file, line=line,
                hint='write {"id": ..., "ground_truth": [{"func": {"arg": [values]}}]}',
            )
        answers[row["id"]] = row["ground_truth"]
    return answers


def _json_lines(file: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    return json_lines(file, "BFCL file", JSON_LINES_FIX, error=BfclDataError, objects=True)


def _single_turn(turns: Any, file: Path, line: int) -> Any:
    if not isinstance(turns, list) or not turns:
        raise BfclDataError(
            "the question must be a non-empty list of turns", file=file, line=line,
            hint='write [[{"role": "user", "content": "..."}]]',
        )
    if len(turns) != 1:
        raise BfclDataError(
            f"{len(turns)} turns: only single-turn categories can be scored here",
            file=file, line=line,
            hint="multi-turn categories need BFCL's executable back-ends; leave them out "
            "with --category",
        )
    return turns[0]


def _item(fields: dict[str, Any], file: Path, line: int, keys: dict[str, str]) -> BfclItem:
    try:
        return BfclItem.model_validate(fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = [str(part) for part in first["loc"]]
        if loc:
            loc[0] = keys.get(loc[0], loc[0])
        where = ".".join(loc) or "item"
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise BfclDataError(
            f"item {fields.get('id')!r}: {where}: {first['msg']}{more}", file=file, line=line,
            hint="make the line match the BFCL format (see `agentkit eval bfcl --help`)",
        ) from None
