"""The `weather` tool against local servers answering in Open-Meteo's formats."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from fake_apis import FakeApi, Reply, Station, forecast, geocoding, refused_url, tool_module

from agentkit.net import BACKOFF_ENV, RETRIES_ENV, TIMEOUT_ENV

weather_tools = tool_module("weather")
weather = weather_tools.weather

ZURICH = {"id": 2657896, "name": "Zurich", "latitude": 47.36667, "longitude": 8.55, "elevation": 429.0,
          "feature_code": "PPLA", "country_code": "CH", "admin1_id": 2657895, "timezone": "Europe/Zurich",
          "population": 341730, "country_id": 2658434, "country": "Switzerland", "admin1": "Zurich"}
PARIS_FR = {"id": 2988507, "name": "Paris", "latitude": 48.85341, "longitude": 2.3488, "country_code": "FR",
            "timezone": "Europe/Paris", "country": "France", "admin1": "Île-de-France"}
PARIS_TX = {"id": 4717560, "name": "Paris", "latitude": 33.66094, "longitude": -95.55551, "country_code": "US",
            "timezone": "America/Chicago", "country": "United States", "admin1": "Texas"}
DAYS = [(date(2026, 11, 28) + timedelta(days=i)).isoformat() for i in range(16)]


def _station(timezone: str, current: dict[str, float | int], highs: list[float | None]) -> Station:
    return Station(timezone, current, {
        "time": DAYS,
        "temperature_2m_max": highs,
        "temperature_2m_min": [None if h is None else round(h - 7.8, 1) for h in highs],
        "precipitation_sum": [0.0, 2.4, None, *[0.1] * 13],
    })


STATIONS = {
    (47.36667, 8.55): _station("Europe/Zurich", {"temperature_2m": 14.2, "wind_speed_10m": 11.0, "weather_code": 2},
                               [15.1, 12.0, None, *[10.0 + i for i in range(13)]]),
    (33.66094, -95.55551): _station("America/Chicago", {"temperature_2m": 21.0, "wind_speed_10m": 7.9,
                                                        "weather_code": 95}, [24.0] * 16),
}


@pytest.fixture
def apis(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FakeApi, FakeApi]]:
    """(geocoding, forecast) servers, the tool pointed at them, fast retries, short timeouts."""
    places = {"zurich": [ZURICH], "paris": [PARIS_FR, PARIS_TX]}
    with FakeApi({"/v1/search": geocoding(places)}) as geo, FakeApi({"/v1/forecast": forecast(STATIONS)}) as fc:
        monkeypatch.setenv(weather_tools.GEOCODING_ENV, geo.url)
        monkeypatch.setenv(weather_tools.FORECAST_ENV, fc.url + "/")
        monkeypatch.setenv(TIMEOUT_ENV, "0.3")
        monkeypatch.setenv(RETRIES_ENV, "2")
        monkeypatch.setenv(BACKOFF_ENV, "0.01")
        yield geo, fc


def test_current_weather_and_one_day(apis: tuple[FakeApi, FakeApi]) -> None:
    geo, fc = apis
    assert weather.invoke({"city": "Zurich"}) == (
        "Zurich, Switzerland: 14.2 °C, wind 11.0 km/h, partly cloudy (Open-Meteo). "
        "Forecast: 2026-11-28 max 15.1 °C min 7.3 °C, precipitation 0.0 mm"
    )
    assert geo.hits[0].query == {"name": "Zurich", "count": "1", "language": "en", "format": "json"}
    assert fc.hits[0].query == {
        "latitude": "47.36667", "longitude": "8.55", "current": "temperature_2m,wind_speed_10m,weather_code",
        "daily": "temperature_2m_max,temperature_2m_min,precipitation_sum", "timezone": "auto",
        "forecast_days": "1",
    }


def test_several_days_with_missing_values(apis: tuple[FakeApi, FakeApi]) -> None:
    assert weather.invoke({"city": "zurich", "days": 3}) == (
        "Zurich, Switzerland: 14.2 °C, wind 11.0 km/h, partly cloudy (Open-Meteo). "
        "Forecast: 2026-11-28 max 15.1 °C min 7.3 °C, precipitation 0.0 mm; "
        "2026-11-29 max 12.0 °C min 4.2 °C, precipitation 2.4 mm; "
        "2026-11-30 max n/a min n/a, precipitation n/a"
    )
    assert apis[1].hits[0].query["forecast_days"] == "3"


def test_fetch_weather_returns_data(apis: tuple[FakeApi, FakeApi]) -> None:
    report = weather_tools.fetch_weather("Zurich", 16)
    assert (report.place, report.latitude, report.longitude) == ("Zurich, Switzerland", 47.36667, 8.55)
    assert (report.temperature, report.wind_speed, report.weather_code, report.conditions) == (
        14.2, 11.0, 2, "partly cloudy")
    assert (report.temperature_unit, report.wind_speed_unit, report.precipitation_unit) == ("°C", "km/h", "mm")
    assert len(report.days) == 16 and report.days[-1].date == date(2026, 12, 13)
    assert report.days[-1].temperature_max == 22.0


def test_country_picks_among_places_of_one_name(apis: tuple[FakeApi, FakeApi]) -> None:
    assert weather.invoke({"city": "Paris, United States"}).startswith(
        "Paris, United States: 21.0 °C, wind 7.9 km/h, thunderstorm (Open-Meteo).")
    assert apis[0].hits[0].query["name"] == "Paris" and apis[0].hits[0].query["count"] == "10"
    assert weather.invoke({"city": "Paris, us"}).startswith("Paris, United States:")  # country code
    assert weather.invoke({"city": "paris , Texas"}).startswith("Paris, United States:")  # region


def test_unknown_city(apis: tuple[FakeApi, FakeApi]) -> None:
    expected = "no place named {!r} found by Open-Meteo geocoding; check the spelling or add the country"
    assert weather.invoke({"city": "Atlantis"}) == expected.format("Atlantis")
    assert weather.invoke({"city": "Paris, Narnia"}) == expected.format("Paris, Narnia")
    assert apis[1].hits == []


def test_bad_arguments_come_back_as_text(apis: tuple[FakeApi, FakeApi]) -> None:
    assert weather.invoke({"city": "Zurich", "days": 17}) == (
        "days must be between 1 and 16 (Open-Meteo's forecast range), not 17")
    assert weather.invoke({"city": "  "}).startswith("city is empty")
    assert weather.invoke({"city": "Zurich", "days": "many"}) == (
        "invalid arguments for weather: days: Input should be a valid integer, unable to parse string as an integer")
    assert apis[0].hits == []


def test_5xx_is_retried(apis: tuple[FakeApi, FakeApi]) -> None:
    geo, fc = apis
    fc.queue("/v1/forecast", Reply(502, "<html>Bad Gateway</html>", "text/html"))
    assert weather.invoke({"city": "Zurich"}).startswith("Zurich, Switzerland: 14.2 °C")
    assert (geo.count("/v1/search"), fc.count("/v1/forecast")) == (1, 2)


def test_persistent_5xx_is_reported(apis: tuple[FakeApi, FakeApi]) -> None:
    geo, _ = apis
    geo.queue("/v1/search", *[Reply(500, {"error": True, "reason": "internal"})] * 3)
    assert weather.invoke({"city": "Zurich"}) == (
        f'Open-Meteo geocoding: HTTP 500 Internal Server Error (tried 3 times): {{"error": true, "reason": '
        f'"internal"}} ({geo.url}/v1/search?name=Zurich&count=1&language=en&format=json); '
        f"the service is failing; try again later"
    )
    assert geo.count("/v1/search") == 3


def test_garbage_and_wrong_shape(apis: tuple[FakeApi, FakeApi]) -> None:
    _, fc = apis
    fc.queue("/v1/forecast", Reply(200, "Service temporarily unavailable", "text/plain"))
    assert "Open-Meteo forecast: answered with a body that is not JSON: Service temporarily unavailable" in (
        weather.invoke({"city": "Zurich"}))
    fc.queue("/v1/forecast", Reply(200, {"latitude": 47.36, "longitude": 8.54}))
    assert "Open-Meteo forecast: answered JSON of an unexpected shape: current: Field required" in (
        weather.invoke({"city": "Zurich"}))


def test_hanging_service_times_out(apis: tuple[FakeApi, FakeApi], monkeypatch: pytest.MonkeyPatch) -> None:
    _, fc = apis
    monkeypatch.setenv(RETRIES_ENV, "1")
    fc.queue("/v1/forecast", Reply(hang=True), Reply(hang=True))
    start = time.monotonic()
    assert "Open-Meteo forecast: no answer within 0.3 s (tried 2 times)" in weather.invoke({"city": "Zurich"})
    assert time.monotonic() - start < 3


def test_unreachable_service(apis: tuple[FakeApi, FakeApi], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(weather_tools.GEOCODING_ENV, refused_url())
    assert weather.invoke({"city": "Zurich"}).startswith("Open-Meteo geocoding: unreachable (tried 3 times)")
