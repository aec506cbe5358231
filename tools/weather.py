"""`weather`: current conditions and a daily forecast for a place, from Open-Meteo (no key).

The place is found with Open-Meteo's geocoding search, then its forecast is read. Base
URLs come from `AGENTKIT_GEOCODING_URL` and `AGENTKIT_OPEN_METEO_URL` at call time;
timeouts and retries from `agentkit.net`'s env vars.
"""

from __future__ import annotations

import os
from datetime import date

from langchain_core.tools import ToolException, tool
from pydantic import BaseModel, model_validator

from agentkit.errors import AgentkitError
from agentkit.net import get_json
from agentkit.tooling import forgiving

GEOCODING_ENV = "AGENTKIT_GEOCODING_URL"
FORECAST_ENV = "AGENTKIT_OPEN_METEO_URL"
GEOCODING_URL = "https://geocoding-api.open-meteo.com"
FORECAST_URL = "https://api.open-meteo.com"
MAX_DAYS = 16
CURRENT = ("temperature_2m", "wind_speed_10m", "weather_code")
DAILY = ("temperature_2m_max", "temperature_2m_min", "precipitation_sum")

# WMO weather interpretation codes, as documented by Open-Meteo.
CONDITIONS = {
    0: "clear sky", 1: "mainly clear", 2: "partly cloudy", 3: "overcast", 45: "fog", 48: "depositing rime fog",
    51: "light drizzle", 53: "moderate drizzle", 55: "dense drizzle",
    56: "light freezing drizzle", 57: "dense freezing drizzle",
    61: "slight rain", 63: "moderate rain", 65: "heavy rain", 66: "light freezing rain", 67: "heavy freezing rain",
    71: "slight snow fall", 73: "moderate snow fall", 75: "heavy snow fall", 77: "snow grains",
    80: "slight rain showers", 81: "moderate rain showers", 82: "violent rain showers",
    85: "slight snow showers", 86: "heavy snow showers",
    95: "thunderstorm", 96: "thunderstorm with slight hail", 99: "thunderstorm with heavy hail",
}


class Place(BaseModel):
    """One geocoding result (the fields used here)."""

    name: str
    latitude: float
    longitude: float
    country: str | None = None
    country_code: str | None = None
    admin1: str | None = None


class _Search(BaseModel):
    results: list[Place] = []  # absent when nothing matches


class _Current(BaseModel):
    time: str
    temperature_2m: float
    wind_speed_10m: float
    weather_code: int


class _Daily(BaseModel):
    time: list[date]
    temperature_2m_max: list[float | None]
    temperature_2m_min: list[float | None]
    precipitation_sum: list[float | None]

    @model_validator(mode="after")
    def _aligned(self) -> _Daily:
        if len({len(self.time), len(self.temperature_2m_max), len(self.temperature_2m_min),
                len(self.precipitation_sum)}) != 1:
            raise ValueError("daily arrays have different lengths")
        return self


class _Forecast(BaseModel):
    current: _Current
    current_units: dict[str, str]
    daily: _Daily
    daily_units: dict[str, str]


class DayForecast(BaseModel):
    """One day of the forecast; None where Open-Meteo has no value."""

    date: date
    temperature_max: float | None
    temperature_min: float | None
    precipitation: float | None


class WeatherReport(BaseModel):
    """Current conditions and the daily forecast at a place, with the units Open-Meteo used."""

    place: str
    latitude: float
    longitude: float
    time: str
    temperature: float
    wind_speed: float
    weather_code: int
    conditions: str
    temperature_unit: str
    wind_speed_unit: str
    precipitation_unit: str
    days: list[DayForecast]

    def text(self) -> str:
        """A one-paragraph summary built only from the data."""
        t, mm = self.temperature_unit, self.precipitation_unit
        days = "; ".join(
            f"{d.date.isoformat()} max {_number(d.temperature_max, t)} min {_number(d.temperature_min, t)}, "
            f"precipitation {_number(d.precipitation, mm)}"
            for d in self.days
        )
        return (
            f"{self.place}: {self.temperature:.1f} {t}, wind {self.wind_speed:.1f} {self.wind_speed_unit}, "
            f"{self.conditions} (Open-Meteo). Forecast: {days}"
        )


def _number(value: float | None, unit: str) -> str:
    return "n/a" if value is None else f"{value:.1f} {unit}"


def _base(env: str, default: str) -> str:
    return (os.environ.get(env) or default).rstrip("/")


def find_place(city: str) -> Place:
    """The best geocoding match for `city`; ToolException when there is none."""
    name = city.strip()
    if not name:
        raise ToolException("city is empty; give a place name such as 'Zurich' or 'Paris, France'")
    # Open-Meteo searches names only, so "Paris, France" is searched as "Paris" and the rest
    # is matched against the results' country and region.
    head, _, qualifier = name.partition(",")
    search = get_json(
        f"{_base(GEOCODING_ENV, GEOCODING_URL)}/v1/search",
        {"name": head.strip(), "count": 1 if not qualifier else 10, "language": "en", "format": "json"},
        service="Open-Meteo geocoding", expect=_Search,
    )
    wanted = qualifier.strip().lower()
    for place in search.results:
        if not wanted or wanted in {(p or "").lower() for p in (place.country, place.country_code, place.admin1)}:
            return place
    raise ToolException(
        f"no place named {name!r} found by Open-Meteo geocoding; check the spelling or add the country"
    )


def fetch_weather(city: str, days: int = 1) -> WeatherReport:
    """Geocode `city` and read its current weather and `days` days of forecast.

    Raises ToolException for a bad request or an unknown place, and `agentkit.net.ServiceError`
    when Open-Meteo cannot be used.
    """
    if not 1 <= days <= MAX_DAYS:
        raise ToolException(f"days must be between 1 and {MAX_DAYS} (Open-Meteo's forecast range), not {days}")
    place = find_place(city)
    data = get_json(
        f"{_base(FORECAST_ENV, FORECAST_URL)}/v1/forecast",
        {"latitude": place.latitude, "longitude": place.longitude, "current": ",".join(CURRENT),
         "daily": ",".join(DAILY), "timezone": "auto", "forecast_days": days},
        service="Open-Meteo forecast", expect=_Forecast,
    )
    now, daily = data.current, data.daily
    return WeatherReport(
        place=", ".join(part for part in (place.name, place.country) if part),
        latitude=place.latitude, longitude=place.longitude, time=now.time,
        temperature=now.temperature_2m, wind_speed=now.wind_speed_10m, weather_code=now.weather_code,
        conditions=CONDITIONS.get(now.weather_code, f"weather code {now.weather_code}"),
        temperature_unit=data.current_units.get("temperature_2m", "°C"),
        wind_speed_unit=data.current_units.get("wind_speed_10m", "km/h"),
        precipitation_unit=data.daily_units.get("precipitation_sum", "mm"),
        days=[DayForecast(date=d, temperature_max=hi, temperature_min=lo, precipitation=rain)
              for d, hi, lo, rain in zip(daily.time, daily.temperature_2m_max, daily.temperature_2m_min,
                                         daily.precipitation_sum, strict=True)],
    )


@tool(parse_docstring=True)
def weather(city: str, days: int = 1) -> str:
    """Current weather and a daily forecast (max/min temperature, precipitation) for a place, from Open-Meteo.

    Args:
        city: place name, optionally with its country or region, e.g. 'Zurich' or 'Paris, France'.
        days: number of forecast days, 1 to 16.
    """
    try:
        return fetch_weather(city, days).text()
    except AgentkitError as exc:
        raise ToolException(str(exc)) from None


forgiving(weather)
