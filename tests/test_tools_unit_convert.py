"""The `unit_convert` tool: every dimension, aliases, exact affine temperatures, clear errors."""

from __future__ import annotations

import math

import pytest
from fake_apis import tool_module
from hypothesis import assume, given
from hypothesis import strategies as st

units = tool_module("unit_convert")
unit_convert = units.unit_convert


def convert(value: float, source: str, target: str) -> str:
    return unit_convert.invoke({"value": value, "from_unit": source, "to_unit": target})


@pytest.mark.parametrize(("value", "source", "target", "expected"), [
    (10, "km", "mi", "10 km = 6.213711922 mi"),
    (1, "mile", "kilometers", "1 mi = 1.609344 km"),
    (2, "inches", "cm", "2 in = 5.08 cm"),
    (6, "feet", "m", "6 ft = 1.8288 m"),
    (1, "nautical mile", "m", "1 nmi = 1852 m"),
    (1, "lbs", "kg", "1 lb = 0.45359237 kg"),
    (16, "ounces", "pound", "16 oz = 1 lb"),
    (2.5, "tonnes", "kg", "2.5 t = 2500 kg"),
    (1, "US gallon", "litres", "1 gal = 3.785411784 L"),
    (250, "ml", "cups", "250 mL = 1.056688209 cup"),
    (1, "m3", "L", "1 m³ = 1000 L"),
    (90, "minutes", "h", "90 min = 1.5 h"),
    (1, "year", "days", "1 yr = 365.25 d"),
    (1500, "ms", "s", "1500 ms = 1.5 s"),
    (100, "km/h", "m/s", "100 km/h = 27.77777778 m/s"),
    (60, "miles per hour", "kph", "60 mph = 96.56064 km/h"),
    (20, "knots", "km/h", "20 kn = 37.04 km/h"),
    (100, "celsius", "fahrenheit", "100 °C = 212 °F"),
    (32, "°F", "°C", "32 °F = 0 °C"),
    (98.6, "degF", "degrees Celsius", "98.6 °F = 37 °C"),
    (-40, "C", "F", "-40 °C = -40 °F"),
    (0, "K", "°C", "0 K = -273.15 °C"),
    (20, "deg C", "kelvin", "20 °C = 293.15 K"),
    (491.67, "rankine", "°C", "491.67 °R = 0 °C"),
    (1.5, "GiB", "MB", "1.5 GiB = 1610.612736 MB"),
    (1, "TB", "bit", "1 TB = 8000000000000 bit"),
    (100, "Mbit", "MB", "100 Mbit = 12.5 MB"),
    (1, "KB", "bytes", "1 kB = 1000 B"),
    (1, "KiB", "B", "1 KiB = 1024 B"),
    (1, "KM", "Mi", "1 km = 0.6213711922 mi"),
    (1e-7, "m", "km", "1e-07 m = 1e-10 km"),
    (3e-5, "km", "mm", "0.00003 km = 30 mm"),
])
def test_conversions(value: float, source: str, target: str, expected: str) -> None:
    assert convert(value, source, target) == expected


def test_errors_come_back_as_text() -> None:
    assert convert(5, "kilometr", "m") == "unknown unit 'kilometr'; did you mean 'kilometre' or 'kilometer'?"
    unknown = convert(5, "furlongs", "m")
    assert unknown.startswith("unknown unit 'furlongs'; known units are length: m, km, cm")
    assert "temperature: K, °C, °F, °R; data size: bit, B" in unknown
    assert convert(3, "kg", "km") == (
        "cannot convert kg (mass) to km (length); convert to a mass unit: kg, g, mg, µg, t, lb, oz, st")
    assert convert(1, "mb", "kB") == "unit 'mb' is ambiguous: use 'MB' (megabyte) or 'Mbit' (megabit)"
    assert convert(-300, "°C", "K") == "-300 °C is below absolute zero (-273.15 °C)"
    assert convert(-1, "K", "°C") == "-1 K is below absolute zero (0 K)"
    assert convert(math.inf, "m", "km") == "value must be a finite number, not inf"
    assert convert("ten", "m", "km") == (  # type: ignore[arg-type]
        "invalid arguments for unit_convert: value: Input should be a valid number, unable to parse string as a number")


def test_results_outside_the_float_range_come_back_as_text() -> None:
    assert convert(1e308, "km", "nm") == (
        "1e+308 km is about 1.000e+320 nm, outside the floating point range (±1.798e+308); "
        "convert to a larger length unit")
    assert convert(-1e300, "yr", "ns").startswith("-1e+300 yr is about -3.156e+316 ns, outside the floating point")
    assert convert(5e-324, "nm", "km") == (
        "4.940656458e-324 nm is less than 5e-324 km, too small for a floating point number; "
        "convert to a smaller length unit")
    assert convert(1e308, "nm", "km") == "1e+308 nm = 1e+296 km"


_PAIRS = [(a.symbol, b.symbol) for a in units.UNITS.values() for b in units.UNITS.values()
          if a.dimension == b.dimension]


@given(st.floats(allow_nan=False, allow_infinity=False), st.sampled_from(_PAIRS))
def test_any_finite_value_gives_text(value: float, pair: tuple[str, str]) -> None:
    answer = convert(value, *pair)
    assert isinstance(answer, str) and answer


def test_tool_schema_for_models() -> None:
    schema = unit_convert.args_schema.model_json_schema()
    assert schema["required"] == ["value", "from_unit", "to_unit"]
    assert schema["properties"]["value"]["type"] == "number"
    assert "temperature" in unit_convert.description


@given(st.floats(min_value=-1e12, max_value=1e12), st.sampled_from(
    [("km", "mi"), ("°C", "°F"), ("°F", "K"), ("GiB", "Mbit"), ("mph", "kn"), ("tsp", "imp gal"), ("oz", "st")]))
def test_round_trip(value: float, pair: tuple[str, str]) -> None:
    source, target = pair
    unit = units.find_unit(source)
    assume(unit.dimension != "temperature" or value + unit.offset >= 0)  # not below absolute zero
    back = units.convert(units.convert(value, source, target), target, source)
    assert back == pytest.approx(value, rel=1e-12, abs=1e-9)
