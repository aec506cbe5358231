"""`calculator`: safe arithmetic on an expression, parsed with `ast` (no `eval`).

Words a model writes for operators ("15% of 80", "square root of 81", "2 to the power of
10") are read as the operators they name."""

from __future__ import annotations

import ast
import math
import operator
import re
from collections.abc import Callable
from typing import Any

from langchain_core.tools import ToolException, tool

from agentkit.tooling import forgiving

_BINARY: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow,
}
_UNARY: dict[type, Callable[[Any], Any]] = {ast.UAdd: operator.pos, ast.USub: operator.neg}
_FUNCTIONS: dict[str, Callable[..., float]] = {
    "sqrt": math.sqrt, "abs": abs, "round": round, "log": math.log, "log10": math.log10,
    "exp": math.exp, "sin": math.sin, "cos": math.cos, "tan": math.tan, "floor": math.floor, "ceil": math.ceil,
}
_CONSTANTS = {"pi": math.pi, "e": math.e}
MAX_EXPONENT = 1000
MAX_LENGTH = 500
MAX_DIGITS = 1000  # of integer results; also keeps str() within Python's int conversion limit
_SYMBOLS = str.maketrans({"^": "**", "×": "*", "÷": "/", "−": "-"})
_NUMBER = r"(\d+(?:\.\d+)?)"
_WORDS = [(re.compile(pattern, re.IGNORECASE), symbol) for pattern, symbol in [
    (_NUMBER + r"\s*(?:%|percent)\s+of\b", r"(\1 / 100) *"),
    (r"\bsquare root of\s*" + _NUMBER, r"sqrt(\1)"),
    (r"(^|\()\s*(-" + _NUMBER[1:] + r"\s+squared\b", r"\1(\2) ** 2"),  # "-5 squared" is 25
    (r"\bto the power of\b", "**"), (r"\bsquared\b", "** 2"), (r"\b(?:times|multiplied by)\b", "*"),
    (r"\bdivided by\b", "/"), (r"\bplus\b", "+"), (r"\bminus\b", "-"),
]]


def evaluate(expression: str) -> float | int:
    """The value of an arithmetic expression; ValueError says what is not allowed."""
    if len(expression) > MAX_LENGTH:
        raise ValueError(f"expression longer than {MAX_LENGTH} characters")
    try:
        tree = ast.parse(_symbols(expression), mode="eval")
    except SyntaxError:
        raise ValueError(f"not an arithmetic expression: {expression!r}") from None
    return _value(tree.body)


def _symbols(expression: str) -> str:
    """The expression with operator words and typographic symbols as Python operators."""
    for pattern, symbol in _WORDS:
        expression = pattern.sub(symbol, expression)
    return expression.translate(_SYMBOLS)


def _value(node: ast.AST) -> Any:
    value = _compute(node)
    if isinstance(value, complex):
        raise ValueError(f"{ast.unparse(node)} is not a real number (a fractional power of a negative number?)")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{ast.unparse(node)} is too large for a floating point number")
    if isinstance(value, int) and value.bit_length() > MAX_DIGITS * math.log2(10):
        raise ValueError(f"{ast.unparse(node)} has more than {MAX_DIGITS} digits")
    return value


def _compute(node: ast.AST) -> Any:
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return node.value
    if isinstance(node, ast.Name) and node.id in _CONSTANTS:
        return _CONSTANTS[node.id]
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _UNARY[type(node.op)](_value(node.operand))
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _value(node.left), _value(node.right)
        if isinstance(node.op, ast.Pow) and abs(right) > MAX_EXPONENT:
            raise ValueError(f"exponent {right} is larger than {MAX_EXPONENT}")
        if isinstance(node.op, ast.Pow) and isinstance(left, int) and isinstance(right, int) and abs(left) > 1 \
                and right * math.log10(abs(left)) > MAX_DIGITS:
            raise ValueError(f"{ast.unparse(node)} has more than {MAX_DIGITS} digits")
        try:
            return _BINARY[type(node.op)](left, right)
        except ZeroDivisionError:
            raise ValueError("division by zero") from None
        except OverflowError:
            raise ValueError(f"{ast.unparse(node)} is too large for a floating point number") from None
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FUNCTIONS
            and not node.keywords):
        args = [_value(arg) for arg in node.args]
        try:
            return _FUNCTIONS[node.func.id](*args)
        except OverflowError:
            raise ValueError(f"{ast.unparse(node)} is too large for a floating point number") from None
        except (ValueError, TypeError) as exc:
            raise ValueError(f"{ast.unparse(node)}: {exc}") from None
    allowed = ", ".join([*_FUNCTIONS, *_CONSTANTS])
    raise ValueError(f"{ast.unparse(node)!r} is not allowed: use numbers, + - * / // % ** and {allowed}")


@tool(parse_docstring=True)
def calculator(expression: str) -> str:
    """Evaluate an arithmetic expression such as '12 * (3 + 4) / 2' or 'sqrt(144)'.

    Args:
        expression: numbers, + - * / // % ** ( ), and sqrt, abs, round, log, log10, exp, sin, cos, tan, floor,
            ceil, pi, e.
    """
    try:
        result = evaluate(expression)
    except (ValueError, TypeError, OverflowError) as exc:
        raise ToolException(str(exc)) from None
    except RecursionError:
        raise ToolException("the expression is nested too deeply; simplify it") from None
    if isinstance(result, float):
        result = float(f"{result:.15g}")  # drop binary noise: 0.1 + 0.2 -> 0.3
        result = int(result) if result.is_integer() and abs(result) < 1e16 else result
    return str(result)


forgiving(calculator)
