"""Structured output on the real SmolLM2-135M: grammar-constrained JSON, validation, retries."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.exceptions import OutputParserException
from langchain_core.messages import BaseMessage, HumanMessage
from pydantic import BaseModel, Field, field_validator
from typing_extensions import TypedDict

from agentkit.errors import ConfigError
from agentkit.models import LocalChatModel
from agentkit.models.decoding import generate_tokens
from agentkit.models.grammar import closed_objects, grammar_engine

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def chat(model_cache: Path) -> LocalChatModel:
    return LocalChatModel(max_tokens=96)


class Person(BaseModel):
    name: str
    age: int


class Trip(BaseModel):
    traveler: Person
    cities: list[str] = Field(min_length=1, max_length=2)  # a small model may repeat items
    note: str | None = None


SENTIMENT = {
    "title": "Sentiment",
    "type": "object",
    "properties": {
        "sentiment": {"enum": ["positive", "negative", "neutral"]},
        "confidence": {"type": "number", "minimum": 0, "maximum": 1},
        "keywords": {"type": "array", "items": {"type": "string"}, "maxItems": 3},
    },
    "required": ["sentiment", "confidence"],
}


class Movie(TypedDict):
    title: str
    year: int


def test_pydantic_schemas_give_validated_instances(chat: LocalChatModel) -> None:
    person = chat.with_structured_output(Person).invoke("Ana is 31 years old.")
    assert isinstance(person, Person)
    assert person.name == "Ana" and person.age == 31
    trip = chat.with_structured_output(Trip).invoke("Bob, 40, visits Rome and Oslo.")
    assert isinstance(trip, Trip)  # a nested object, a bounded list, an optional field
    assert trip.traveler.age == 40 and 1 <= len(trip.cities) <= 2


def test_json_schema_and_typed_dict_give_dicts(chat: LocalChatModel) -> None:
    review = chat.with_structured_output(SENTIMENT).invoke("I loved this phone!")
    assert isinstance(review, dict)
    assert review["sentiment"] in ("positive", "negative", "neutral")
    assert 0 <= review["confidence"] <= 1
    assert set(review) <= {"sentiment", "confidence", "keywords"}
    movie = chat.with_structured_output(Movie).invoke("Name a film from 1994 and its year.")
    assert set(movie) == {"title", "year"} and isinstance(movie["year"], int)


class Recorder(BaseCallbackHandler):
    """Keeps the messages of every chat model call."""

    def __init__(self) -> None:
        self.calls: list[list[BaseMessage]] = []

    def on_chat_model_start(
        self, serialized: dict[str, Any], messages: list[list[BaseMessage]], **kwargs: Any
    ) -> None:
        self.calls.extend(messages)


def test_failed_validator_is_retried_with_the_error_fed_back(chat: LocalChatModel) -> None:
    seen: list[str] = []

    class City(BaseModel):
        name: str

        @field_validator("name")
        @classmethod
        def not_first(cls, value: str) -> str:
            seen.append(value)
            if len(seen) == 1:
                raise ValueError("use the city's official name")
            return value

    recorder = Recorder()
    city = chat.with_structured_output(City).invoke(
        "Which city is the capital of France?", config={"callbacks": [recorder]}
    )
    assert isinstance(city, City) and len(seen) == 2
    first, second = recorder.calls
    feedback = second[-1]
    assert isinstance(feedback, HumanMessage)
    assert "That JSON is not valid: name: Value error, use the city's official" in feedback.text
    assert second[: len(first)] == first and second[-2].type == "ai"


def test_exhausted_retries_give_a_clear_error(chat: LocalChatModel) -> None:
    class Never(BaseModel):
        word: str

        @field_validator("word")
        @classmethod
        def refuse(cls, value: str) -> str:
            raise ValueError("never good enough")

    with pytest.raises(OutputParserException, match=r"schema 'Never'.*never good enough"):
        chat.with_structured_output(Never, max_retries=0).invoke("Say a word.")
    result = chat.with_structured_output(Never, include_raw=True, max_retries=0).invoke("Hi")
    assert result["parsed"] is None
    assert "never good enough" in str(result["parsing_error"])
    assert result["raw"].usage_metadata["output_tokens"] > 0


def test_json_cut_at_max_tokens_says_to_raise_it(model_cache: Path) -> None:
    short = LocalChatModel(max_tokens=4)
    with pytest.raises(OutputParserException, match="raise max_tokens"):
        short.with_structured_output(Person).invoke("Ana is 31 years old.")


def test_uncompilable_or_unknown_schema_is_a_config_error(chat: LocalChatModel) -> None:
    uncompilable = {"title": "Odd", "type": "object", "properties": {"x": {"not": {}}}}
    with pytest.raises(ConfigError, match=r"schema 'Odd'.*Unimplemented keys.*not"):
        chat.with_structured_output(uncompilable)
    with pytest.raises(ConfigError, match="unsupported schema"):
        chat.with_structured_output(42)  # type: ignore[arg-type]


def test_closed_objects_forbid_extra_keys_where_left_open() -> None:
    schema = Trip.model_json_schema()
    closed = closed_objects(schema)
    assert closed["additionalProperties"] is False
    assert closed["$defs"]["Person"]["additionalProperties"] is False
    assert closed_objects({"type": "object", "additionalProperties": True, "properties": {}}) == {
        "type": "object",
        "additionalProperties": True,
        "properties": {},
    }
    assert "additionalProperties" not in schema  # the input is not changed
    named = {"type": "object", "properties": {"properties": {"type": "string"}}}
    assert closed_objects(named)["properties"] == {"properties": {"type": "string"}}


def test_batched_generation_masks_each_row_by_its_own_grammar(chat: LocalChatModel) -> None:
    schema = Person.model_json_schema()
    replies = chat.generate_batch(
        ["Ana is 31 years old.", "Bob is 40 years old."], response_format=schema, max_tokens=32
    )
    assert [Person.model_validate_json(str(r.content)).age for r in replies] == [31, 40]
    loaded = chat.loaded
    rows = [chat.prompt_ids([HumanMessage(text)]) for text in ("Ana is 31.", "Say hello.")]
    grammar = grammar_engine(loaded).json_schema(schema, "Person")
    mask = grammar_engine(loaded).mask([grammar, None])  # row 1 is left free
    steps = list(generate_tokens(loaded, rows, 6, 0.0, mask))
    texts = [loaded.tokenizer.decode([step[row] for step in steps]) for row in (0, 1)]
    assert texts[0].startswith('{"name": "')
    assert texts[1] == LocalChatModel(engine="transformers").invoke("Say hello.", max_tokens=6).content
