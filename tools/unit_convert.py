"""`unit_convert`: length, mass, volume, time, speed, temperature and data-size conversions.

Units are a table of exact factors to a base unit per dimension (temperatures also have
an offset: kelvin = (value + offset) * scale); the value as written (its shortest decimal)
is converted exactly and rounded once, so 32 °F is 0 °C, not 5.7e-14; a result outside the
float range, or too small to tell from 0, is an error. Names are matched exactly, then ignoring case
(unless that is ambiguous, as 'mb' for MB and Mb), then in the singular ('kilometres').
"""

from __future__ import annotations

import math
import re
import sys
from dataclasses import dataclass
from decimal import Decimal
from difflib import get_close_matches
from fractions import Fraction

from langchain_core.tools import ToolException, tool

from agentkit.tooling import forgiving


@dataclass(frozen=True)
class Unit:
    """A unit: base units per unit (`scale`), and an offset added first (temperatures only)."""

    symbol: str
    name: str
    dimension: str
    scale: Fraction
    offset: Fraction = Fraction(0)


# (symbol, dimension, base units per unit, aliases separated by "|"; the first alias is the name).
# Bases: metre, kilogram, cubic metre, second, metre per second, kelvin, bit.
_TABLE: list[tuple[str, str, str | int | Fraction, str]] = [
    ("m", "length", "1", "metre|meter"),
    ("km", "length", "1e3", "kilometre|kilometer"),
    ("cm", "length", "1e-2", "centimetre|centimeter"),
    ("mm", "length", "1e-3", "millimetre|millimeter"),
    ("µm", "length", "1e-6", "micrometre|micrometer|micron|um|μm"),
    ("nm", "length", "1e-9", "nanometre|nanometer"),
    ("mi", "length", "1609.344", "mile|statute mile"),
    ("yd", "length", "0.9144", "yard"),
    ("ft", "length", "0.3048", "foot|feet|'"),
    ("in", "length", "0.0254", "inch|\""),
    ("nmi", "length", "1852", "nautical mile|NM"),
    ("kg", "mass", "1", "kilogram|kilogramme|kilo"),
    ("g", "mass", "1e-3", "gram|gramme"),
    ("mg", "mass", "1e-6", "milligram|milligramme"),
    ("µg", "mass", "1e-9", "microgram|ug|mcg|μg"),
    ("t", "mass", "1e3", "tonne|metric ton"),
    ("lb", "mass", "0.45359237", "pound|lbs"),
    ("oz", "mass", "0.028349523125", "ounce"),
    ("st", "mass", "6.35029318", "stone"),
    ("L", "volume", "1e-3", "litre|liter|l"),
    ("mL", "volume", "1e-6", "millilitre|milliliter|ml|cc|cm³|cm3|cubic centimetre|cubic centimeter"),
    ("cL", "volume", "1e-5", "centilitre|centiliter|cl"),
    ("dL", "volume", "1e-4", "decilitre|deciliter|dl"),
    ("m³", "volume", "1", "cubic metre|cubic meter|m3|m^3"),
    ("gal", "volume", "3.785411784e-3", "US gallon|gallon"),
    ("imp gal", "volume", "4.54609e-3", "imperial gallon|UK gallon"),
    ("qt", "volume", "9.46352946e-4", "US quart|quart"),
    ("pt", "volume", "4.73176473e-4", "US pint|pint"),
    ("cup", "volume", "2.365882365e-4", "US cup"),
    ("fl oz", "volume", "2.95735295625e-5", "US fluid ounce|fluid ounce|floz"),
    ("tbsp", "volume", "1.478676478125e-5", "tablespoon"),
    ("tsp", "volume", "4.92892159375e-6", "teaspoon"),
    ("ft³", "volume", "0.028316846592", "cubic foot|cubic feet|ft3"),
    ("in³", "volume", "1.6387064e-5", "cubic inch|in3"),
    ("s", "time", "1", "second|sec|secs"),
    ("ms", "time", "1e-3", "millisecond"),
    ("µs", "time", "1e-6", "microsecond|us|μs"),
    ("ns", "time", "1e-9", "nanosecond"),
    ("min", "time", "60", "minute|mins"),
    ("h", "time", "3600", "hour|hr|hrs"),
    ("d", "time", "86400", "day"),
    ("wk", "time", "604800", "week"),
    ("yr", "time", "31557600", "year|julian year"),
    ("m/s", "speed", "1", "metre per second|meter per second|mps"),
    ("km/h", "speed", Fraction(5, 18), "kilometre per hour|kilometer per hour|kph|kmh|km/hr"),
    ("mph", "speed", "0.44704", "mile per hour|mi/h"),
    ("kn", "speed", Fraction(463, 900), "knot|kt|kts"),
    ("ft/s", "speed", "0.3048", "foot per second|feet per second|fps"),
    ("K", "temperature", "1", "kelvin"),
    ("°C", "temperature", "1", "degree Celsius|celsius|C|degC|deg C|centigrade|℃"),
    ("°F", "temperature", Fraction(5, 9), "degree Fahrenheit|fahrenheit|F|degF|deg F|℉"),
    ("°R", "temperature", Fraction(5, 9), "degree Rankine|rankine|degR"),
    ("bit", "data size", "1", "bit|b"),
    ("B", "data size", "8", "byte"),
    ("kB", "data size", "8e3", "kilobyte|KB"),
    ("MB", "data size", "8e6", "megabyte"),
    ("GB", "data size", "8e9", "gigabyte"),
    ("TB", "data size", "8e12", "terabyte"),
    ("PB", "data size", "8e15", "petabyte"),
    ("KiB", "data size", 8 * 2**10, "kibibyte"),
    ("MiB", "data size", 8 * 2**20, "mebibyte"),
    ("GiB", "data size", 8 * 2**30, "gibibyte"),
    ("TiB", "data size", 8 * 2**40, "tebibyte"),
    ("PiB", "data size", 8 * 2**50, "pebibyte"),
    ("kbit", "data size", "1e3", "kilobit|kb"),
    ("Mbit", "data size", "1e6", "megabit|Mb"),
    ("Gbit", "data size", "1e9", "gigabit|Gb"),
    ("Tbit", "data size", "1e12", "terabit|Tb"),
]
_OFFSETS = {"°C": Fraction("273.15"), "°F": Fraction("459.67")}
_TINY = 5e-324  # the smallest positive float


def _units() -> tuple[dict[str, Unit], dict[str, set[Unit]]]:
    exact: dict[str, Unit] = {}
    folded: dict[str, set[Unit]] = {}
    for symbol, dimension, scale, aliases in _TABLE:
        names = aliases.split("|")
        unit = Unit(symbol, names[0], dimension, Fraction(scale), _OFFSETS.get(symbol, Fraction(0)))
        for alias in (symbol, *names):
            exact[alias] = unit
            folded.setdefault(alias.lower(), set()).add(unit)
    return exact, folded


UNITS, _FOLDED = _units()
_DEGREE = re.compile(r"^(?:degrees?|deg)\s+(?=[a-z])")


def _singular(text: str) -> str:
    return " ".join(re.sub(r"(?<=ch)es$|(?<=[^s])s$", "", word) if len(word) > 3 else word
                    for word in text.split(" "))


def find_unit(name: str) -> Unit:
    """The unit called `name` (symbol, name or alias); ValueError says what is close."""
    text = re.sub(r"\s+", " ", name.strip()).replace("º", "°").replace("° ", "°")
    if text in UNITS:
        return UNITS[text]
    lower = text.lower()
    for key in dict.fromkeys((lower, _singular(lower), _DEGREE.sub("", lower))):
        found = _FOLDED.get(key, set())
        if len(found) == 1:
            return next(iter(found))
        if found:
            options = " or ".join(f"{u.symbol!r} ({u.name})" for u in sorted(found, key=lambda u: u.symbol))
            raise ValueError(f"unit {name!r} is ambiguous: use {options}")
    close = get_close_matches(lower, _FOLDED, n=3, cutoff=0.75)
    if close:
        raise ValueError(f"unknown unit {name!r}; did you mean " + " or ".join(repr(c) for c in close) + "?")
    known = "; ".join(f"{dimension}: {', '.join(_symbols(dimension))}"
                      for dimension in dict.fromkeys(u.dimension for u in UNITS.values()))
    raise ValueError(f"unknown unit {name!r}; known units are {known}")


def _symbols(dimension: str) -> list[str]:
    return list(dict.fromkeys(u.symbol for u in UNITS.values() if u.dimension == dimension))


def convert(value: float, from_unit: str, to_unit: str) -> float:
    """`value` in `from_unit` expressed in `to_unit`; ValueError says what is wrong."""
    source, target = find_unit(from_unit), find_unit(to_unit)
    if not math.isfinite(value):
        raise ValueError(f"value must be a finite number, not {value}")
    if source.dimension != target.dimension:
        raise ValueError(
            f"cannot convert {source.symbol} ({source.dimension}) to {target.symbol} ({target.dimension}); "
            f"convert to a {source.dimension} unit: {', '.join(_symbols(source.dimension))}"
        )
    base = (Fraction(repr(value)) + source.offset) * source.scale  # 0.1 means 1/10, not its binary neighbour
    if base < 0 and source.dimension == "temperature":
        raise ValueError(f"{format_number(value)} {source.symbol} is below absolute zero "
                         f"({format_number(float(-source.offset))} {source.symbol})")
    return _to_float(base / target.scale - target.offset, value, source, target)


def _to_float(exact: Fraction, value: float, source: Unit, target: Unit) -> float:
    """`exact` as a float; ValueError if it is beyond a float's range or too small to be told from 0."""
    given = f"{format_number(value)} {source.symbol}"
    try:
        result = float(exact)
    except OverflowError:
        magnitude = Decimal(exact.numerator) / Decimal(exact.denominator)
        fix = ("no temperature scale holds it" if target.dimension == "temperature"
               else f"convert to a larger {target.dimension} unit")
        raise ValueError(f"{given} is about {magnitude:.3e} {target.symbol}, outside the floating point range "
                         f"(±{sys.float_info.max:.3e}); {fix}") from None
    if result == 0 and exact != 0:
        raise ValueError(f"{given} is less than {_TINY:.0e} {target.symbol}, too small for a floating point "
                         f"number; convert to a smaller {target.dimension} unit")
    return result


def format_number(value: float) -> str:
    """Ten significant digits, without an exponent for everyday magnitudes."""
    text = f"{value + 0.0:.10g}"
    if "e" in text and 1e-6 <= abs(value) < 1e21:
        text = format(Decimal(text), "f")
    return text


@tool(parse_docstring=True)
def unit_convert(value: float, from_unit: str, to_unit: str) -> str:
    """Convert a value between units of length, mass, volume, time, speed, temperature or data size.

    Args:
        value: the number to convert.
        from_unit: its unit, as a symbol or name: 'km', 'miles', '°C', 'fahrenheit', 'GiB'.
        to_unit: the unit wanted, of the same kind: 'mi', 'celsius', 'MB'.
    """
    try:
        result = convert(value, from_unit, to_unit)
    except (ValueError, ArithmeticError) as exc:
        raise ToolException(str(exc)) from None
    source, target = find_unit(from_unit), find_unit(to_unit)
    return f"{format_number(value)} {source.symbol} = {format_number(result)} {target.symbol}"


forgiving(unit_convert)
