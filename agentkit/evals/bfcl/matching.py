"""BFCL's AST check: are the model's calls the expected ones?

Per call (as BFCL's `ast_checker`): the function name matches; every required
parameter is present; no parameter outside the doc or the ground truth; each value has
the declared type (Python: an int is accepted for a float; Java/JS: the value is a
source string, converted by its declared type first) and is among the accepted values
(strings compared case-, space- and ",./-_*^"-insensitively, lists and dicts
recursively); an argument may be omitted only if `""` is among its accepted values.
Parallel categories match calls to expected calls in any order (one to one);
`no_call` items are right iff there is no call, `some_call` items iff there is one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from agentkit.evals.bfcl.literals import java_value, js_value
from agentkit.evals.bfcl.records import BfclItem, Call, ExpectedCall, Language, Param

_PYTHON_TYPES: dict[str, type] = {
    "string": str, "integer": int, "float": float, "boolean": bool,
    "array": list, "tuple": list, "dict": dict, "any": str,
}
_JAVA_TYPES: dict[str, type] = {
    "byte": int, "short": int, "integer": int, "long": int, "float": float, "double": float,
    "boolean": bool, "char": str, "String": str, "any": str,
    "Array": list, "ArrayList": list, "HashMap": dict,
}
_JS_TYPES: dict[str, type] = {
    "String": str, "integer": int, "float": float, "Bigint": int, "Boolean": bool,
    "array": list, "dict": dict, "any": str,
}
_TYPES = {"python": _PYTHON_TYPES, "java": _JAVA_TYPES, "javascript": _JS_TYPES}
_IGNORED_CHARS = re.compile(r"[ ,./\-_*^]")


def check_calls(item: BfclItem, calls: Sequence[Call]) -> str | None:
    """Why `calls` are wrong for `item`, or None if they are right."""
    if item.expect == "no_call":
        return f"expected no call, got {_names(calls)}" if calls else None
    if item.expect == "some_call":
        return None if calls else "expected a call, got none"
    expected = item.ground_truth
    if len(calls) != len(expected):
        return f"expected {len(expected)} call(s), got {len(calls)}: {_names(calls)}"
    if "parallel" in item.category:
        return _match_any_order(item, calls, expected)
    for call, want in zip(calls, expected, strict=True):
        if error := check_call(item, call, want):
            return error
    return None


def check_call(item: BfclItem, call: Call, expected: ExpectedCall) -> str | None:
    """Why `call` is not `expected` (one call of `item`), or None if it is."""
    if call.name != expected.name:
        return f"called {call.name!r}, expected {expected.name!r}"
    doc = item.function(expected.name)
    assert doc is not None, "BfclItem checks that ground truth names its functions"
    for name in doc.parameters.required:
        if name not in call.args:
            return f"{call.name}: missing required argument {name!r}"
    for name, value in call.args.items():
        if name not in doc.properties or name not in expected.args:
            return f"{call.name}: unexpected argument {name!r}"
        if error := check_value(value, doc.properties[name], expected.args[name], item.language):
            return f"{call.name}: argument {name!r}: {error}"
    for name, accepted in expected.args.items():
        if name not in call.args and "" not in accepted:
            return f"{call.name}: missing argument {name!r} (expected one of {accepted})"
    return None


def check_value(value: Any, param: Param, accepted: list[Any], language: Language) -> str | None:
    """Why `value` is not an accepted value of a parameter, or None if it is."""
    item_type = param.items.type if param.items is not None else None
    if language != "python":
        if not isinstance(value, str):
            return f"expected {language} source as a string, got {type(value).__name__} {value!r}"
        convert = java_value if language == "java" else js_value
        value = convert(value, param.type, item_type)
    elif param.type == "float" and type(value) is int:
        value = float(value)
    expected_type = _TYPES[language].get(param.type)
    if expected_type is not None and (error := _type_error(value, expected_type, accepted)):
        return error
    if language == "python" and isinstance(value, list) and item_type in _PYTHON_TYPES:
        if error := _items_type_error(value, _PYTHON_TYPES[item_type], accepted):
            return error
    if any(matches(value, candidate) for candidate in accepted):
        return None
    return f"{value!r} is not among the accepted values {accepted}"


def matches(value: Any, accepted: Any) -> bool:
    """Whether `value` equals one accepted ground-truth value, BFCL-normalized.

    Dicts whose values are all lists are in BFCL's accepted-values form
    (`{key: [accepted, ...]}`, `""` = key may be missing); other dicts and lists
    compare item by item.
    """
    if isinstance(accepted, dict):
        if not isinstance(value, dict):
            return False
        if all(isinstance(options, list) for options in accepted.values()):
            return all(
                key in accepted and any(matches(item, option) for option in accepted[key])
                for key, item in value.items()
            ) and all(key in value or "" in options for key, options in accepted.items())
        return value.keys() == accepted.keys() and all(
            matches(value[key], accepted[key]) for key in accepted
        )
    if isinstance(accepted, list):
        return (
            isinstance(value, list)
            and len(value) == len(accepted)
            and all(matches(v, a) for v, a in zip(value, accepted, strict=True))
        )
    if isinstance(accepted, str):
        return isinstance(value, str) and standardize(value) == standardize(accepted)
    if isinstance(accepted, bool) or accepted is None:
        return value is accepted
    if isinstance(accepted, int | float):
        return isinstance(value, int | float) and not isinstance(value, bool) and value == accepted
    return bool(value == accepted)


def standardize(text: str) -> str:
    """BFCL's string normal form: no spaces or ,./-_*^, lower case, ' -> "."""
    return _IGNORED_CHARS.sub("", text).lower().replace("'", '"')


def _type_error(value: Any, expected_type: type, accepted: list[Any]) -> str | None:
    """BFCL's type check: the declared type, or the ground truth's type (a "variable",
    e.g. a name given where the doc says integer)."""
    answer_type = next((type(a) for a in accepted if a != ""), None)
    if type(value) is expected_type or (answer_type is not None and type(value) is answer_type):
        return None
    return f"expected type {expected_type.__name__}, got {type(value).__name__} {value!r}"


def _items_type_error(value: list[Any], item_type: type, accepted: list[Any]) -> str | None:
    """Each list element has the declared item type (an int is accepted for a float)
    or the type of the ground truth's elements."""
    answer_types = {type(x) for a in accepted if isinstance(a, list) for x in a}
    for element in value:
        element_type = type(element)
        if element_type is item_type or element_type in answer_types:
            continue
        if item_type is float and element_type is int:
            continue
        return f"expected list items of type {item_type.__name__}, got {element!r}"
    return None


def _match_any_order(
    item: BfclItem, calls: Sequence[Call], expected: list[ExpectedCall]
) -> str | None:
    """A one-to-one assignment of calls to expected calls (augmenting paths)."""
    fits = [[check_call(item, call, want) is None for call in calls] for want in expected]
    owner: dict[int, int] = {}  # call index -> expected index

    def assign(want: int, seen: set[int]) -> bool:
        for index, ok in enumerate(fits[want]):
            if ok and index not in seen:
                seen.add(index)
                if index not in owner or assign(owner[index], seen):
                    owner[index] = want
                    return True
        return False

    for want in range(len(expected)):
        if not assign(want, set()):
            name = expected[want].name
            errors = [check_call(item, c, expected[want]) for c in calls if c.name == name]
            reasons = [error for error in errors if error]
            detail = (
                "; ".join(reasons) if reasons
                else "its fitting calls all match other expected calls" if errors
                else f"no call to {name!r}"
            )
            return f"no call matches expected call {want + 1} ({name}): {detail}"
    return None


def _names(calls: Sequence[Call]) -> str:
    return ", ".join(call.name for call in calls) or "none"
