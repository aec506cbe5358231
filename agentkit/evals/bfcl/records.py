"""BFCL records: questions, function docs and accepted ground-truth calls."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Language = Literal["python", "java", "javascript"]
Expectation = Literal["match", "no_call", "some_call"]


class Message(BaseModel):
    """One chat message of a question."""

    model_config = ConfigDict(extra="forbid")

    role: Literal["system", "user", "assistant"]
    content: str


class Param(BaseModel):
    """A BFCL parameter doc: JSON-schema-like, with BFCL type names (`dict`, `float`,
    `tuple`, `any`, Java/JS types such as `HashMap` or `String`). Other keys
    (`default`, `minimum`, `optional`, ...) are kept in `model_extra`."""

    model_config = ConfigDict(extra="allow")

    type: str = "string"
    description: str = ""
    enum: list[Any] | None = None
    items: Param | None = None
    properties: dict[str, Param] | None = None
    required: list[str] = Field(default_factory=list)

    @property
    def has_default(self) -> bool:
        """Whether the doc states a default value (it may be any JSON value, even null)."""
        return "default" in (self.model_extra or {})

    @property
    def default(self) -> Any:
        """The stated default value (check `has_default` first)."""
        return (self.model_extra or {}).get("default")


class FunctionDoc(BaseModel):
    """A function the model may call: its name, description and parameters."""

    model_config = ConfigDict(extra="allow")

    name: str = Field(min_length=1)
    description: str = ""
    parameters: Param = Field(default_factory=lambda: Param(type="dict", properties={}))

    @model_validator(mode="after")
    def _parameters_are_an_object(self) -> FunctionDoc:
        if self.parameters.type not in ("dict", "object"):
            raise ValueError(
                f"function {self.name!r}: parameters must have type 'dict', "
                f"got {self.parameters.type!r}"
            )
        return self

    @property
    def properties(self) -> dict[str, Param]:
        """The parameters by name (empty when the function takes none)."""
        return self.parameters.properties or {}


class ExpectedCall(BaseModel):
    """One ground-truth call: the function and, per argument, every accepted value.

    BFCL writes it as `{"func": {"arg": [accepted, ...]}}`; `""` among the accepted
    values means the argument may be omitted.
    """

    model_config = ConfigDict(extra="forbid")

    name: str
    args: dict[str, list[Any]]

    @model_validator(mode="before")
    @classmethod
    def _from_bfcl(cls, data: Any) -> Any:
        if isinstance(data, dict) and set(data) != {"name", "args"}:
            if len(data) != 1:
                raise ValueError(
                    f"a ground-truth call is one {{function: {{arg: [values]}}}} pair, "
                    f"got keys {sorted(data)}"
                )
            ((name, args),) = data.items()
            return {"name": name, "args": args}
        return data


class Call(BaseModel):
    """A call the model made (function name as in the BFCL docs, parsed arguments)."""

    name: str
    args: dict[str, Any]


class BfclItem(BaseModel):
    """One single-turn BFCL question with its functions and what counts as correct.

    `expect`: `match` (calls must match `ground_truth`), `no_call` (irrelevance: any
    call is wrong) or `some_call` (relevance: any call is right). An item without
    functions (as in `live_irrelevance`) can only expect no call.
    """

    model_config = ConfigDict(extra="forbid")

    id: str
    category: str
    messages: list[Message] = Field(min_length=1)
    functions: list[FunctionDoc]
    ground_truth: list[ExpectedCall] = Field(default_factory=list)
    expect: Expectation = "match"

    @model_validator(mode="after")
    def _consistent(self) -> BfclItem:
        if self.expect == "match" and not self.ground_truth:
            raise ValueError("no ground truth for an item that expects matching calls")
        if not self.functions and self.expect != "no_call":
            raise ValueError("an item without functions can only expect no call")
        names = {f.name for f in self.functions}
        for call in self.ground_truth:
            if call.name not in names:
                raise ValueError(
                    f"ground truth calls {call.name!r}, which is not among the item's "
                    f"functions {sorted(names)}"
                )
        return self

    @property
    def language(self) -> Language:
        """The language of the function docs, from the category name (as BFCL does)."""
        if "javascript" in self.category:
            return "javascript"
        if "java" in self.category:
            return "java"
        return "python"

    def function(self, name: str) -> FunctionDoc | None:
        """The function doc called `name`, if the item has one."""
        return next((f for f in self.functions if f.name == name), None)
