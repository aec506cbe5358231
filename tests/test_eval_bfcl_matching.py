"""BFCL AST matching: names, required/unknown arguments, types, normalized values,
order-free parallel calls, irrelevance, Java/JS source strings (no model needed)."""

from __future__ import annotations

from typing import Any

import pytest

from agentkit.evals.bfcl.literals import java_value, js_value, split_top_level
from agentkit.evals.bfcl.matching import check_calls, matches, standardize
from agentkit.evals.bfcl.records import BfclItem, Call


def item(
    properties: dict[str, Any],
    ground_truth: list[dict[str, Any]],
    *,
    category: str = "simple_python",
    required: list[str] | None = None,
    name: str = "f",
    others: list[dict[str, Any]] | None = None,
    expect: str = "match",
) -> BfclItem:
    doc = {
        "name": name,
        "description": "A function.",
        "parameters": {"type": "dict", "properties": properties, "required": required or []},
    }
    return BfclItem.model_validate({
        "id": f"{category}_0",
        "category": category,
        "messages": [{"role": "user", "content": "Do it."}],
        "functions": [doc, *(others or [])],
        "ground_truth": ground_truth,
        "expect": expect,
    })


def call(name: str = "f", /, **args: Any) -> Call:
    return Call(name=name, args=args)


def one(type_name: str, accepted: list[Any], **extra: Any) -> BfclItem:
    """An item with one parameter `x` of `type_name` and its accepted values."""
    return item({"x": {"type": type_name, **extra}}, [{"f": {"x": accepted}}])


# --- names, required, unknown and omitted arguments ------------------------------

def test_exact_call_is_correct() -> None:
    it = item({"a": {"type": "integer"}, "b": {"type": "string"}}, [{"f": {"a": [1], "b": ["x"]}}],
              required=["a", "b"])
    assert check_calls(it, [call(a=1, b="x")]) is None


def test_wrong_function_name() -> None:
    it = item({"a": {"type": "integer"}}, [{"f": {"a": [1]}}])
    assert check_calls(it, [call("g", a=1)]) == "called 'g', expected 'f'"


def test_missing_required_argument() -> None:
    it = item({"a": {"type": "integer"}, "b": {"type": "integer"}},
              [{"f": {"a": [1], "b": [2, ""]}}], required=["a", "b"])
    assert "missing required argument 'b'" in check_calls(it, [call(a=1)])


def test_unknown_argument_and_argument_absent_from_ground_truth() -> None:
    it = item({"a": {"type": "integer"}, "b": {"type": "integer"}}, [{"f": {"a": [1]}}])
    assert "unexpected argument 'zzz'" in check_calls(it, [call(a=1, zzz=2)])
    assert "unexpected argument 'b'" in check_calls(it, [call(a=1, b=2)])


def test_empty_string_marks_an_omittable_argument() -> None:
    it = item({"a": {"type": "integer"}, "unit": {"type": "string"}},
              [{"f": {"a": [1], "unit": ["units", ""]}}])
    assert check_calls(it, [call(a=1)]) is None
    assert check_calls(it, [call(a=1, unit="units")]) is None
    assert check_calls(it, [call(a=1, unit="")]) is None  # BFCL: "" is an accepted string
    assert "not among the accepted" in check_calls(it, [call(a=1, unit="meters")])


def test_omitting_an_argument_without_empty_string_is_wrong() -> None:
    it = item({"a": {"type": "integer"}, "b": {"type": "integer"}}, [{"f": {"a": [1], "b": [2]}}])
    assert "missing argument 'b'" in check_calls(it, [call(a=1)])


@pytest.mark.parametrize("calls", [[], [call(a=1), call(a=1)]])
def test_simple_needs_exactly_one_call(calls: list[Call]) -> None:
    it = item({"a": {"type": "integer"}}, [{"f": {"a": [1]}}])
    assert check_calls(it, calls).startswith("expected 1 call(s)")


# --- types and values ------------------------------------------------------------

def test_int_is_accepted_for_float_but_not_float_for_int() -> None:
    assert check_calls(one("float", [5.0]), [call(x=5)]) is None
    assert check_calls(one("float", [5.0]), [call(x=5.0)]) is None
    assert "expected type int" in check_calls(one("integer", [5]), [call(x=5.0)])


def test_bool_is_not_an_int_and_int_is_not_a_bool() -> None:
    assert "expected type int" in check_calls(one("integer", [1]), [call(x=True)])
    assert "expected type bool" in check_calls(one("boolean", [True]), [call(x=1)])
    assert check_calls(one("boolean", [False]), [call(x=False)]) is None


def test_any_of_several_accepted_values() -> None:
    it = one("integer", [10, 20])
    assert check_calls(it, [call(x=20)]) is None
    assert "not among the accepted values [10, 20]" in check_calls(it, [call(x=30)])


@pytest.mark.parametrize("said", ["new york", "New-York", "NEW_YORK", "New York.", "new,york"])
def test_strings_ignore_case_spaces_and_punctuation(said: str) -> None:
    assert check_calls(one("string", ["New York"]), [call(x=said)]) is None


def test_strings_still_differ_in_letters_and_quotes_are_unified() -> None:
    assert check_calls(one("string", ["New York"]), [call(x="Newark")]) is not None
    assert standardize("it's") == standardize('it"s') == 'it"s'
    assert standardize("April 1, 2024") == standardize("april 1 2024")


def test_enum_string_value() -> None:
    it = one("string", ["celsius"], enum=["celsius", "fahrenheit"])
    assert check_calls(it, [call(x="Celsius")]) is None


def test_variable_name_where_ground_truth_is_a_string() -> None:
    it = one("integer", ["num_people"])  # BFCL: the answer is a variable, not a literal
    assert check_calls(it, [call(x="num_people")]) is None
    assert check_calls(it, [call(x=5)]) is not None


def test_python_any_is_a_string() -> None:
    assert check_calls(one("any", ["df"]), [call(x="df")]) is None
    assert "expected type str" in check_calls(one("any", ["df"]), [call(x=1)])


# --- lists and dicts -------------------------------------------------------------

def test_lists_keep_order_and_normalize_strings() -> None:
    it = one("array", [["Paris", "Rome"]], items={"type": "string"})
    assert check_calls(it, [call(x=["paris", "ROME"])]) is None
    assert check_calls(it, [call(x=["Rome", "Paris"])]) is not None
    assert check_calls(it, [call(x=["Paris"])]) is not None


def test_list_items_have_the_declared_type_ints_allowed_for_floats() -> None:
    floats = one("array", [[1.0, 2.5]], items={"type": "float"})
    assert check_calls(floats, [call(x=[1, 2.5])]) is None
    ints = one("array", [[1, 2]], items={"type": "integer"})
    assert "list items of type int" in check_calls(ints, [call(x=[1.0, 2.0])])
    assert "list items of type int" in check_calls(ints, [call(x=["1", "2"])])


def test_tuple_is_a_list_and_nested_lists_compare_recursively() -> None:
    it = one("tuple", [[[1, 2], [3, 4]]], items={"type": "array"})
    assert check_calls(it, [call(x=[[1, 2], [3, 4]])]) is None
    assert check_calls(it, [call(x=[[1, 2], [4, 3]])]) is not None


def test_dict_in_accepted_values_form() -> None:
    it = one("dict", [{"department": ["Science"], "school": ["Bluebird High School", "Bluebird HS"],
                       "year": [2024, ""]}])
    assert check_calls(it, [call(x={"department": "science", "school": "Bluebird HS"})]) is None
    assert check_calls(it, [call(x={"department": "Science", "school": "Bluebird HS",
                                     "year": 2024})]) is None
    assert check_calls(it, [call(x={"department": "Science"})]) is not None  # school missing
    assert check_calls(it, [call(x={"department": "Science", "school": "Bluebird HS",
                                     "extra": 1})]) is not None


def test_list_of_dicts_and_dicts_inside_dicts() -> None:
    it = one("array", [[{"field": ["age"], "op": [">"]}, {"field": ["name"], "op": ["="]}]],
             items={"type": "dict"})
    good = [{"field": "age", "op": ">"}, {"field": "Name", "op": "="}]
    assert check_calls(it, [call(x=good)]) is None
    assert check_calls(it, [call(x=good[::-1])]) is not None
    assert matches({"a": {"b": [1, 2]}}, {"a": [{"b": [[1, 2]]}]})
    assert not matches({"a": {"b": [2, 1]}}, {"a": [{"b": [[1, 2]]}]})
    assert matches({"format": "EPOCH_millis"}, {"format": "epoch_millis"})  # literal dict


# --- multiple, parallel, relevance ---------------------------------------------

def test_multiple_picks_the_right_function() -> None:
    other = {"name": "g", "parameters": {"type": "dict", "properties": {"a": {"type": "integer"}}}}
    it = item({"a": {"type": "integer"}}, [{"g": {"a": [1]}}], category="multiple", others=[other])
    assert check_calls(it, [call("g", a=1)]) is None
    assert check_calls(it, [call("f", a=1)]) == "called 'f', expected 'g'"


def test_parallel_calls_match_in_any_order() -> None:
    it = item({"city": {"type": "string"}}, [{"f": {"city": ["Paris"]}}, {"f": {"city": ["Rome"]}}],
              category="parallel")
    assert check_calls(it, [call(city="Rome"), call(city="Paris")]) is None
    assert check_calls(it, [call(city="Paris"), call(city="Rome")]) is None
    assert check_calls(it, [call(city="Paris"), call(city="Paris")]).startswith(
        "no call matches expected call 2 (f)")
    assert check_calls(it, [call(city="Paris")]).startswith("expected 2 call(s), got 1")


def test_parallel_finds_an_assignment_where_first_fit_would_fail() -> None:
    it = item({"a": {"type": "integer"}}, [{"f": {"a": [1, 2]}}, {"f": {"a": [1]}}],
              category="parallel")
    assert check_calls(it, [call(a=1), call(a=2)]) is None


def test_parallel_multiple_mixes_functions() -> None:
    other = {"name": "g", "parameters": {"type": "dict", "properties": {"b": {"type": "string"}}}}
    it = item({"a": {"type": "integer"}}, [{"f": {"a": [1]}}, {"g": {"b": ["x"]}}],
              category="parallel_multiple", others=[other])
    assert check_calls(it, [call("g", b="X"), call("f", a=1)]) is None
    error = check_calls(it, [call("f", a=1), call("f", a=1)])
    assert error == "no call matches expected call 2 (g): no call to 'g'"


def test_irrelevance_is_right_only_without_calls() -> None:
    it = item({"a": {"type": "integer"}}, [], category="irrelevance", expect="no_call")
    assert check_calls(it, []) is None
    assert check_calls(it, [call(a=1)]) == "expected no call, got f"


def test_relevance_is_right_with_any_call() -> None:
    it = item({"a": {"type": "integer"}}, [], category="live_relevance", expect="some_call")
    assert check_calls(it, [call(a=99)]) is None
    assert check_calls(it, []) == "expected a call, got none"


# --- Java and JavaScript -----------------------------------------------------------

def java(properties: dict[str, Any], answers: dict[str, list[Any]]) -> BfclItem:
    return item(properties, [{"f": answers}], category="simple_java")


def test_java_values_are_source_strings_converted_by_type() -> None:
    it = java({"flag": {"type": "boolean"}, "n": {"type": "long"}, "ctl": {"type": "any"}},
              {"flag": [True], "n": [50], "ctl": ["mapController"]})
    assert check_calls(it, [call(flag="true", n="50L", ctl="mapController")]) is None
    assert "expected type int" in check_calls(it, [call(flag="true", n="50", ctl="mapController")])
    assert "source as a string" in check_calls(it, [call(flag=True, n="50L", ctl="mapController")])


def test_java_collections() -> None:
    ids = {"type": "Array", "items": {"type": "integer"}}
    it = java({"params": {"type": "HashMap"}, "ids": ids},
              {"params": [{"limit": [50], "schemaFilter": ["public"]}], "ids": [[1, 2]]})
    params = 'new HashMap<String, Object>() {{ put("limit", 50); put("schemaFilter", "public"); }}'
    good = call(params=params, ids="new int[]{1, 2}")
    assert check_calls(it, [good]) is None


def test_javascript_values() -> None:
    it = item({"name": {"type": "String"}, "done": {"type": "Boolean"},
               "xy": {"type": "array", "items": {"type": "integer"}}, "opts": {"type": "dict"}},
              [{"f": {"name": ["userInputField"], "done": [True], "xy": [[60, 30]],
                      "opts": [{"issuer": ["myapp.net"], "role": ["admin", ""]}]}}],
              category="simple_javascript")
    good = call(name="'userInputField'", done="true", xy="[60, 30]", opts="{issuer: 'myapp.net'}")
    assert check_calls(it, [good]) is None
    wrong = call(name="userInputField", done="yes", xy="[60, 30]", opts="{issuer: 'myapp.net'}")
    assert "expected type bool" in check_calls(it, [wrong])


@pytest.mark.parametrize(("text", "type_name", "item_type", "value"), [
    ("true", "boolean", None, True),
    ("-12", "integer", None, -12),
    ("7L", "long", None, 7),
    ("3.5f", "float", None, 3.5),
    ("3.5", "float", None, "3.5"),  # a Java float literal needs its f
    ("2e3", "double", None, 2000.0),
    ("new int[] { 1, 2, 3 }", "Array", "integer", [1, 2, 3]),
    ('new String[]{"a", "b, c"}', "Array", "String", ["a", "b, c"]),
    ('new ArrayList<>(Arrays.asList("x", 2, true))', "ArrayList", "any", ["x", 2, True]),
    ("new ArrayList<Integer>() {{ add(1); add(2); }}", "ArrayList", "integer", [1, 2]),
    ("new ArrayList<>()", "ArrayList", None, []),
    ('Map.of("a", 1, "b", "x")', "HashMap", None, {"a": 1, "b": "x"}),
    ("new HashMap<>()", "HashMap", None, {}),
    ("new Path('/backup')", "any", None, "new Path('/backup')"),
    ("not a list", "Array", None, "not a list"),
])
def test_java_literals(text: str, type_name: str, item_type: str | None, value: Any) -> None:
    assert java_value(text, type_name, item_type) == value


@pytest.mark.parametrize(("text", "type_name", "value"), [
    ('"abc"', "String", "abc"),
    ("abc", "String", "abc"),
    ("4.0", "float", 4.0),
    ("12n", "Bigint", 12),
    ("new Array(1, 'two', true)", "array", [1, "two", True]),
    ("[[1, 2], [3, 4]]", "array", [[1, 2], [3, 4]]),
    ("{a: 1, 'b:c': [x, 'y'], d: {e: false}}", "dict",
     {"a": 1, "b:c": ["x", "y"], "d": {"e": False}}),
    ("React.createContext()", "any", "React.createContext()"),
    ("{oops}", "dict", "{oops}"),
])
def test_javascript_literals(text: str, type_name: str, value: Any) -> None:
    assert js_value(text, type_name) == value


def test_split_top_level_respects_quotes_and_brackets() -> None:
    assert split_top_level("1, 'a,b', [2, 3], f(4, 5)") == ["1", "'a,b'", "[2, 3]", "f(4, 5)"]
    assert split_top_level('k: "x:y": z', ":", maxsplit=1) == ["k", '"x:y": z']
