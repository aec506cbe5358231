"""Tool-calling examples over agentkit's own tools (the ones `tool_agent` and `agentkit ask`
bind: calculator, unit_convert, weather, stock_quote), for the `tool_calls` adapter's
second stage (build_tool_calls_data.py writes them into `tune.jsonl`).

The first stage (BFCL + tool_call_schemas.py) taught the model to follow argument
descriptions; it then copied a description's example ('12 * (3 + 4) / 2') instead of the
question's numbers. These rows teach the transcription the tools want: the question's own
numbers and units, operator words written as operators ("15 percent of 80" -> `15% of
80`), the calculator for arithmetic and unit_convert for units, no call when no tool
fits, and a short answer from a tool's result. The questions that the demo and the tests
ask (`HELD_OUT_QUESTIONS`) never appear, so those measure the adapter on unseen wording.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from tool_call_schemas import CITIES, COMPANIES, NO_FIT_REPLY, NO_TOOL, TOOLS

from agentkit.nodes.agent import DEFAULT_SYSTEM

Args = dict[str, Any]
OWN_TOOLS = ("weather", "stock_quote", "calculator", "unit_convert")
ROUTER_DEMO = Path(__file__).resolve().parents[1] / "graphs" / "router_demo.yaml"
MATH_SYSTEM = str(yaml.safe_load(ROUTER_DEMO.read_text(encoding="utf-8"))["nodes"]["math"]["system"])
# Requests for another tool that none of ours serves (area and BMI are arithmetic: not these).
NO_FIT_TOOLS = [t for t in TOOLS if t.name not in ("get_weather", "get_stock_price", "compute_area",
                                                      "calculate_bmi")]
HELD_OUT_QUESTIONS = frozenset({
    "What is 12 times 7?", "How much is 15 percent of 80?", "What is 25 times 4?",
    "Solve 3x + 5 = 20", "What is the square root of 144?", "Convert 5 km to miles.",
    "What's the weather in Zurich?", "What is the stock price of AAPL?",
})

# (what the user says, the unit argument as written) per kind; pairs come from one kind.
UNITS = {
    "length": [("km", "km"), ("kilometers", "kilometers"), ("miles", "miles"), ("meters", "meters"),
               ("feet", "feet"), ("inches", "inches"), ("cm", "cm"), ("yards", "yards")],
    "mass": [("kg", "kg"), ("pounds", "pounds"), ("grams", "grams"), ("ounces", "ounces")],
    "volume": [("liters", "liters"), ("gallons", "gallons"), ("ml", "ml"), ("cups", "cups")],
    "temperature": [("°C", "°C"), ("degrees Celsius", "celsius"), ("°F", "°F"),
                    ("degrees Fahrenheit", "fahrenheit"), ("kelvin", "kelvin")],
    "time": [("hours", "hours"), ("minutes", "minutes"), ("days", "days"), ("seconds", "seconds")],
    "speed": [("km/h", "km/h"), ("mph", "mph"), ("m/s", "m/s"), ("knots", "knots")],
    "data size": [("GB", "GB"), ("MB", "MB"), ("GiB", "GiB"), ("TB", "TB")],
}


@dataclass(frozen=True)
class OwnExample:
    """One example: the tools bound, the conversation before the reply, and the reply."""

    kind: str
    tools: tuple[str, ...]
    system: str
    question: str
    calls: list[tuple[str, Args]] = field(default_factory=list)
    text: str = ""
    tool_choice: str = "auto"
    result_of: tuple[str, Args] | None = None  # a call already made; the reply answers from its result


def arithmetic(rng: random.Random) -> tuple[str, str]:
    """A question in words and the calculator expression with its own numbers."""
    a, b, c = rng.randint(2, 99), rng.randint(2, 99), rng.randint(2, 20)
    root = rng.randint(2, 30)
    percent, of = rng.choice([5, 10, 15, 20, 25, 30, 40, 75]), rng.choice([40, 60, 80, 120, 200, 250, 640])
    power = rng.randint(2, 4)
    forms = [
        (f"What is {a} times {b}?", f"{a} * {b}"),
        (f"What's {a} multiplied by {b}?", f"{a} * {b}"),
        (f"How much is {percent} percent of {of}?", f"{percent}% of {of}"),
        (f"What is {percent}% of {of}?", f"{percent}% of {of}"),
        (f"What is the square root of {root * root}?", f"sqrt({root * root})"),
        (f"What is {a} plus {b}?", f"{a} + {b}"),
        (f"What is {a * 10} minus {b}?", f"{a * 10} - {b}"),
        (f"What is {a * c} divided by {c}?", f"{a * c} / {c}"),
        (f"What is {c} to the power of {power}?", f"{c} ** {power}"),
        (f"What is {a} squared?", f"{a} ** 2"),
        (f"What is ({a} + {b}) * {c}?", f"({a} + {b}) * {c}"),
        (f"Add {a}, {b} and {c}.", f"{a} + {b} + {c}"),
        (f"If one ticket costs {c} dollars, what do {a} tickets cost?", f"{a} * {c}"),
        (f"Split {a * c} euros evenly among {c} people: how much does each get?", f"{a * c} / {c}"),
        (f"Calculate {a} * {b} - {c}.", f"{a} * {b} - {c}"),
    ]
    return rng.choice(forms)


def conversion(rng: random.Random) -> tuple[str, Args]:
    """A unit conversion question and unit_convert's arguments, units as the user wrote them."""
    kind = rng.choice(sorted(UNITS))
    (said_from, unit_from), (said_to, unit_to) = rng.sample(UNITS[kind], 2)
    value = rng.choice([rng.randint(1, 500), round(rng.uniform(0.5, 100), 1)])
    question = rng.choice([f"Convert {value} {said_from} to {said_to}.",
                           f"How many {said_to} is {value} {said_from}?",
                           f"What is {value} {said_from} in {said_to}?"])
    return question, {"value": value, "from_unit": unit_from, "to_unit": unit_to}


def weather_question(rng: random.Random) -> tuple[str, Args]:
    city, country = rng.choice(CITIES)
    place = f"{city}, {country}" if rng.random() < 0.3 else city
    if rng.random() < 0.3:
        days = rng.randint(2, 7)
        return f"What will the weather be like in {place} over the next {days} days?", {"city": place, "days": days}
    return rng.choice([f"What's the weather in {place}?", f"Is it cold in {place} right now?",
                       f"How warm is it in {place} today?"]), {"city": place}


def stock_question(rng: random.Random) -> tuple[str, Args]:
    company, symbol = rng.choice(COMPANIES)
    said = rng.choice([company, symbol])
    return rng.choice([f"What is {said}'s share price?", f"How much is {said} stock trading at?",
                       f"Get me a quote for {said}."]), {"symbol": symbol}


def calculation(rng: random.Random) -> tuple[str, Args]:
    question, expression = arithmetic(rng)
    return question, {"expression": expression}


_ASK = {"calculator": calculation, "unit_convert": conversion, "weather": weather_question,
        "stock_quote": stock_question}


def own_example(rng: random.Random) -> OwnExample:
    """A random example whose question is not one of `HELD_OUT_QUESTIONS`."""
    while True:
        made = _any_example(rng)
        if made.question not in HELD_OUT_QUESTIONS:
            return made


def _any_example(rng: random.Random) -> OwnExample:
    """60% one call with all four tools bound (as tool_agent binds them), 12% the router's
    forced calculator call, 13% no call (chit-chat, or a request no tool serves), 15% an
    answer written from a calculator or unit_convert result."""
    roll = rng.random()
    if roll < 0.13:
        if rng.random() < 0.5:
            question, text = rng.choice(NO_TOOL)
        else:
            question, text = rng.choice(NO_FIT_TOOLS).ask(rng)[0], NO_FIT_REPLY
        return OwnExample("no_call", OWN_TOOLS, DEFAULT_SYSTEM, question, text=text)
    if roll < 0.25:
        question, args = _ASK["calculator"](rng)
        return OwnExample("forced_calculator", ("calculator",), MATH_SYSTEM, question,
                          [("calculator", args)], tool_choice="calculator")
    name = rng.choices(list(_ASK), weights=[3, 3, 2, 2])[0] if roll < 0.85 else rng.choice(
        ["calculator", "unit_convert"])
    question, args = _ASK[name](rng)
    if roll < 0.85:
        return OwnExample("call", OWN_TOOLS, DEFAULT_SYSTEM, question, [(name, args)])
    return OwnExample("answer", OWN_TOOLS, DEFAULT_SYSTEM, question, result_of=(name, args))
