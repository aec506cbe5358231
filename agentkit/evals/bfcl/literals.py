"""Java / JavaScript argument strings -> Python values, by the parameter's declared type.

BFCL's Java and JavaScript categories pass every argument as a string of source code
(`"true"`, `"50L"`, `"new int[]{1, 2}"`, `"{limit: 50}"`); its checker converts that
string by the declared type before comparing with the ground truth. A string that does
not parse as the declared type stays a string (so it only matches string answers).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

_INT = re.compile(r"-?\d+")
_LONG = re.compile(r"-?\d+[lL]")
_JAVA_FLOAT = re.compile(r"-?\d+(\.\d+)?([eE][+-]?\d+)?[fF]")
_DOUBLE = re.compile(r"-?\d+(\.\d+)?([eE][+-]?\d+)?")
_JS_FLOAT = re.compile(r"-?\d+(\.\d+)?")
_BIGINT = re.compile(r"-?\d+n")
_JAVA_ARRAY = re.compile(r"new\s+[\w.<>]+\s*(\[\s*\])+\s*\{(?P<body>.*)\}", re.DOTALL)
_JAVA_LIST_OF = re.compile(r"(Arrays\.asList|List\.of)\(")
_DOUBLE_BRACE = re.compile(r"\{\s*\{(?P<body>.*)\}\s*\}", re.DOTALL)
_JAVA_EMPTY = re.compile(r"new\s+(ArrayList|HashMap)\s*(<.*>)?\s*\(\s*\)(\s*\{\s*\})?", re.DOTALL)
_MAP_OF = re.compile(r"Map\.of\(")
_CALL = re.compile(r"(?P<name>\w+)\((?P<body>.*)\)", re.DOTALL)
_JS_NEW_ARRAY = re.compile(r"new\s+Array\((?P<body>.*)\)", re.DOTALL)


def java_value(text: str, type_name: str, item_type: str | None = None) -> Any:
    """A Java argument string as the Python value BFCL compares (or `text` unchanged)."""
    text = text.strip()
    if type_name in ("integer", "byte", "short"):
        return int(text) if _INT.fullmatch(text) else text
    if type_name == "long":
        return int(text[:-1]) if _LONG.fullmatch(text) else text
    if type_name == "float":
        return float(text[:-1]) if _JAVA_FLOAT.fullmatch(text) else text
    if type_name == "double":
        return float(text) if _DOUBLE.fullmatch(text) else text
    if type_name == "boolean":
        return text == "true" if text in ("true", "false") else text
    if type_name in ("Array", "ArrayList"):
        elements = _java_elements(text)
        if elements is None:
            return text
        return [_java_element(element, item_type) for element in elements]
    if type_name == "HashMap":
        entries = _java_map(text)
        return text if entries is None else entries
    return text  # String, char, any and types BFCL does not convert


def js_value(text: str, type_name: str, item_type: str | None = None) -> Any:
    """A JavaScript argument string as the Python value BFCL compares (or `text`)."""
    text = text.strip()
    if type_name == "String":
        return _unquote(text)
    if type_name == "integer":
        return int(text) if _INT.fullmatch(text) else text
    if type_name == "float":
        return float(text) if _JS_FLOAT.fullmatch(text) else text
    if type_name == "Bigint":
        return int(text[:-1]) if _BIGINT.fullmatch(text) else text
    if type_name == "Boolean":
        return text == "true" if text in ("true", "false") else text
    if type_name in ("array", "dict"):
        value = _js_literal(text)
        expected = list if type_name == "array" else dict
        return value if isinstance(value, expected) else text
    return text  # any: compared as the string it is


def split_top_level(text: str, separator: str = ",", maxsplit: int = -1) -> list[str]:
    """Split at `separator`s outside quotes and brackets; strip parts, drop empty ones."""
    parts, start = [], 0
    for index, char, depth in _scan(text):
        if char == separator and depth == 0 and maxsplit != len(parts):
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return [part.strip() for part in parts if part.strip()]


def _scan(text: str) -> Iterator[tuple[int, str, int]]:
    """(index, char, bracket depth) of every char outside string literals."""
    depth, quote, escaped = 0, "", False
    for index, char in enumerate(text):
        if quote:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == quote:
                quote = ""
            continue
        if char in "\"'`":
            quote = char
            continue
        if char in ")]}":
            depth -= 1
        yield index, char, depth
        if char in "([{":
            depth += 1


def _call_body(text: str, opener: re.Pattern[str]) -> str | None:
    """The source inside the parentheses opened at the end of `opener`'s match."""
    match = opener.search(text)
    if match is None:
        return None
    start = match.end()
    for index, char, depth in _scan(text[start:]):
        if char == ")" and depth == -1:
            return text[start : start + index]
    return None


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'`":
        return text[1:-1]
    return text


def _java_elements(text: str) -> list[str] | None:
    """The element sources of a Java array or list expression, None if not one."""
    if match := _JAVA_ARRAY.search(text):
        return split_top_level(match["body"])
    if (body := _call_body(text, _JAVA_LIST_OF)) is not None:
        return split_top_level(body)
    if match := _DOUBLE_BRACE.search(text):  # new ArrayList<>() {{ add(1); add(2); }}
        return [
            call["body"]
            for statement in split_top_level(match["body"], ";")
            if (call := _CALL.fullmatch(statement)) and call["name"] == "add"
        ]
    return [] if _JAVA_EMPTY.fullmatch(text) else None


def _java_map(text: str) -> dict[str, Any] | None:
    """The entries of a Java map expression, None if it is not one."""
    pairs: list[tuple[str, str]] = []
    if (body := _call_body(text, _MAP_OF)) is not None:
        args = split_top_level(body)
        pairs = list(zip(args[::2], args[1::2], strict=False))
    elif match := _DOUBLE_BRACE.search(text):  # new HashMap<>() {{ put("k", v); }}
        for statement in split_top_level(match["body"], ";"):
            call = _CALL.fullmatch(statement)
            args = split_top_level(call["body"]) if call and call["name"] == "put" else []
            if len(args) == 2:
                pairs.append((args[0], args[1]))
    elif not _JAVA_EMPTY.fullmatch(text):
        return None
    return {_unquote(key): _java_element(value, None) for key, value in pairs}


def _java_element(text: str, item_type: str | None) -> Any:
    """One element of a Java collection: by its declared type, else (none or `any`)
    by its look."""
    if item_type in ("String", "char"):
        return _unquote(text)
    if item_type not in (None, "any", "Any"):
        return java_value(text, item_type)
    if text in ("true", "false"):
        return text == "true"
    for pattern, convert in (
        (_INT, int), (_LONG, lambda t: int(t[:-1])),
        (_JAVA_FLOAT, lambda t: float(t[:-1])), (_DOUBLE, float),
    ):
        if pattern.fullmatch(text):
            return convert(text)
    return _unquote(text)


def _js_literal(text: str) -> Any:
    """A JavaScript literal (array, object, string, number, boolean) or its source."""
    text = text.strip()
    if text.startswith("[") and text.endswith("]"):
        return [_js_literal(element) for element in split_top_level(text[1:-1])]
    if match := _JS_NEW_ARRAY.fullmatch(text):
        return [_js_literal(element) for element in split_top_level(match["body"])]
    if text.startswith("{") and text.endswith("}"):
        entries = {}
        for entry in split_top_level(text[1:-1]):
            key_value = split_top_level(entry, ":", maxsplit=1)
            if len(key_value) != 2:
                return text
            entries[_unquote(key_value[0])] = _js_literal(key_value[1])
        return entries
    if text in ("true", "false"):
        return text == "true"
    if _INT.fullmatch(text):
        return int(text)
    if _JS_FLOAT.fullmatch(text):
        return float(text)
    return _unquote(text)
