"""The `calculator` tool: safe arithmetic, and errors that come back as text."""

from __future__ import annotations

import time

import pytest
from fake_apis import tool_module

calculator = tool_module("calculator").calculator


def calc(expression: object) -> str:
    return calculator.invoke({"expression": expression})


@pytest.mark.parametrize(("expression", "expected"), [
    ("12 * (3 + 4) / 2", "42"),
    ("sqrt(144)", "12"),
    ("0.1 + 0.2", "0.3"),
    ("1/3", "0.333333333333333"),
    ("1/3e12", "3.33333333333333e-13"),
    ("2 ^ 10", "1024"),
    ("3 × 4 ÷ 2", "6"),
    ("−5 + 2", "-3"),
    ("7 // 2 + 7 % 2", "4"),
    ("round(2.567, 2)", "2.57"),
    ("abs(-3) + floor(2.7) + ceil(2.1)", "8"),
    ("2 * pi", "6.28318530717959"),
    ("log10(1000)", "3"),
    ("10 ** -3", "0.001"),
    ("2 ** 100", "1267650600228229401496703205376"),
    ("15% of 80", "12"),
    ("12.5 percent of 8 plus 1", "2"),
    ("square root of 81", "9"),
    ("2 to the power of 10 minus 9 squared", "943"),
    ("-5 squared", "25"),
    ("3 - 5 squared", "-22"),
    ("12 times 7 divided by 2 multiplied by 3", "126"),
    ("5 % 3", "2"),
])
def test_values(expression: str, expected: str) -> None:
    assert calc(expression) == expected


@pytest.mark.parametrize(("expression", "expected"), [
    ("10 / 0", "division by zero"),
    ("sqrt(-1)", "sqrt(-1): math domain error"),
    ("log(0)", "log(0): math domain error"),
    ("sqrt()", "sqrt(): math.sqrt() takes exactly one argument (0 given)"),
    ("(-8) ** (1/3)", "(-8) ** (1 / 3) is not a real number (a fractional power of a negative number?)"),
    ("1e308 * 10", "1e+308 * 10 is too large for a floating point number"),
    ("exp(1000)", "exp(1000) is too large for a floating point number"),
    ("10.0 ** 400", "10.0 ** 400 is too large for a floating point number"),
    ("2 ** 5000", "exponent 5000 is larger than 1000"),
    ("10 ** 1000", "10 ** 1000 has more than 1000 digits"),
    ("9**999 * 9**999 * 9**999", "9 ** 999 * 9 ** 999 has more than 1000 digits"),
    ("x + 1", "'x' is not allowed: use numbers, + - * / // % ** and sqrt, abs, round, log, log10, exp, sin, "
              "cos, tan, floor, ceil, pi, e"),
    ("__import__('os').system('true')", "\"__import__('os').system('true')\" is not allowed: use numbers, + - * / "
                                        "// % ** and sqrt, abs, round, log, log10, exp, sin, cos, tan, floor, ceil, "
                                        "pi, e"),
    ("2 +", "not an arithmetic expression: '2 +'"),
    ("1" * 501, "expression longer than 500 characters"),
    ("-" * 499 + "1", "the expression is nested too deeply; simplify it"),
])
def test_errors_come_back_as_text(expression: str, expected: str) -> None:
    assert calc(expression) == expected


def test_huge_powers_are_refused_before_computing() -> None:
    start = time.monotonic()
    assert calc("((9 ** 999) ** 999) ** 999") == "(9 ** 999) ** 999 has more than 1000 digits"
    assert time.monotonic() - start < 0.5


def test_wrong_argument_type() -> None:
    assert calc(12) == "invalid arguments for calculator: expression: Input should be a valid string"
