"""BFCL function docs -> OpenAI tool dicts with JSON Schema parameters."""

from __future__ import annotations

from pathlib import Path

from jsonschema import Draft202012Validator
from langchain_core.utils.function_calling import convert_to_openai_tool
from langchain_openai import ChatOpenAI

from agentkit.evals.bfcl.loading import load_bfcl
from agentkit.evals.bfcl.records import BfclItem, FunctionDoc, Param
from agentkit.evals.bfcl.schema import param_schema, to_openai_tool, tool_set

FIXTURE = Path(__file__).parent / "data" / "bfcl"

DOC = FunctionDoc.model_validate({
    "name": "geo.distance",
    "description": "Distance between two places.",
    "parameters": {
        "type": "dict",
        "properties": {
            "origin": {"type": "tuple", "items": {"type": "float"}, "description": "Lat/lon."},
            "mode": {"type": "string", "enum": ["car", "walk"], "default": "car"},
            "stops": {"type": "array", "items": {"type": "dict", "properties": {
                "name": {"type": "string"}, "minutes": {"type": "integer"}}, "required": ["name"]}},
            "options": {"type": "dict", "description": "Free-form options."},
            "precision": {"type": "integer", "default": "None", "optional": True, "minimum": 0},
            "when": {"type": "any", "format": "date"},
            "scale": {"type": "float"},
        },
        "required": ["origin", "mode", "ghost"],
    },
})


def test_python_doc_becomes_a_json_schema_tool() -> None:
    tool = to_openai_tool(DOC, "python")
    function = tool["function"]
    assert tool["type"] == "function" and function["name"] == "geo_distance"
    assert function["description"] == (
        "Distance between two places. Note that the provided function is in Python 3 syntax.")
    params = function["parameters"]
    Draft202012Validator.check_schema(params)
    assert params["type"] == "object" and params["additionalProperties"] is False
    assert params["required"] == ["origin", "mode"]  # 'ghost' is not a parameter
    props = params["properties"]
    assert props["origin"] == {"type": "array", "items": {
        "type": "number", "description": "This is a float type value."}, "description": "Lat/lon."}
    assert props["mode"] == {"type": "string", "enum": ["car", "walk"], "default": "car"}
    assert props["stops"]["items"] == {
        "type": "object",
        "properties": {"name": {"type": "string"}, "minutes": {"type": "integer"}},
        "required": ["name"],
        "additionalProperties": False,
    }
    assert props["options"] == {"type": "object", "description": "Free-form options."}
    assert props["precision"] == {
        "type": "integer", "minimum": 0, "description": 'Default: "None".'}
    assert props["when"] == {"type": "string"}  # any -> string (as BFCL); format dropped
    assert props["scale"] == {"type": "number", "description": "This is a float type value."}


def test_unknown_or_missing_type_becomes_string() -> None:
    doc = FunctionDoc.model_validate({"name": "f", "parameters": {"type": "dict", "properties": {
        "a": {"type": "Weird"}, "b": {"description": "untyped"}}}})
    props = to_openai_tool(doc, "python")["function"]["parameters"]["properties"]
    assert props == {"a": {"type": "string"}, "b": {"type": "string", "description": "untyped"}}


def test_java_and_javascript_arguments_are_source_strings() -> None:
    doc = FunctionDoc.model_validate({"name": "Util.run", "description": "Run.", "parameters": {
        "type": "dict", "properties": {
            "ids": {"type": "Array", "items": {"type": "integer"}, "description": "Ids."},
            "ctl": {"type": "any", "description": "Controller."},
            "opts": {"type": "dict", "properties": {"role": {"type": "String"}}},
            "mode": {"type": "String", "enum": ["a", "b"]},
        }, "required": ["ids"]}})
    java = to_openai_tool(doc, "java")["function"]
    assert java["description"] == "Run. Note that the provided function is in Java 8 SDK syntax."
    props = java["parameters"]["properties"]
    assert all(p["type"] == "string" for p in props.values()) and "items" not in props["ids"]
    assert props["ids"]["description"] == (
        "Ids. This is Java Array type parameter in string representation. The list elements "
        "are of type integer; they are not in string representation.")
    assert props["ctl"]["description"].endswith("any type of Java object in string representation.")
    assert props["mode"]["enum"] == ["a", "b"]
    js = to_openai_tool(doc, "javascript")["function"]["parameters"]["properties"]
    assert js["opts"]["description"].startswith(
        "This is JavaScript dict type parameter in string representation.")
    assert '"role": {"type": "String"}' in js["opts"]["description"]


def test_tool_set_maps_safe_names_back_and_keeps_them_unique() -> None:
    docs = [{"name": n, "parameters": {"type": "dict", "properties": {"x": {"type": "integer"}},
                                       "required": ["x"]}}
            for n in ("math.hypot", "math_hypot", "a" * 70)]
    item = BfclItem.model_validate({
        "id": "multiple_0", "category": "multiple", "messages": [{"role": "user", "content": "?"}],
        "functions": docs, "ground_truth": [{"math.hypot": {"x": [1]}}]})
    tools = tool_set(item)
    names = [t["function"]["name"] for t in tools.tools]
    assert names == ["math_hypot", "math_hypot_2", "a" * 64]
    assert tools.names == {
        "math_hypot": "math.hypot", "math_hypot_2": "math_hypot", "a" * 64: "a" * 70}
    assert tools.to_call("math_hypot", {"x": 1}).name == "math.hypot"
    assert tools.to_call("nope", {}).name == "nope"
    assert tools.schema_error("math_hypot", {"x": 1}) is None
    assert tools.schema_error("math_hypot", {"x": "1"}) == (
        "math_hypot: x: '1' is not of type 'integer'")
    assert "'x' is a required property" in tools.schema_error("math_hypot", {})
    assert "('y' was unexpected)" in tools.schema_error("math_hypot", {"x": 1, "y": 2})
    assert tools.schema_error("nope", {}) == "unknown function 'nope'"


def test_every_fixture_tool_is_valid_and_accepted_by_langchain() -> None:
    llm = ChatOpenAI(model="any", api_key="unused", base_url="http://127.0.0.1:9")
    for item in load_bfcl(FIXTURE):
        tools = tool_set(item).tools
        for tool in tools:
            Draft202012Validator.check_schema(tool["function"]["parameters"])
            assert convert_to_openai_tool(tool) == tool
        bound = llm.bind_tools(tools, tool_choice="auto", strict=True, parallel_tool_calls=True)
        sent = bound.kwargs["tools"]  # type: ignore[attr-defined]
        assert [t["function"]["name"] for t in sent] == [t["function"]["name"] for t in tools]


def test_param_schema_of_nested_arrays() -> None:
    nested = {"type": "array", "items": {"type": "array", "items": {"type": "integer"}}}
    assert param_schema(Param.model_validate(nested)) == nested
