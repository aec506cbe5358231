"""Programmatic tool-calling examples over varied JSON schemas (for build_tool_calls_data.py).

Each tool has a JSON Schema (enums, formats stated in descriptions such as "City,
Country" or "YYYY-MM-DD", numbers, arrays, optional arguments) and a question generator
that returns the user's wording and the exact arguments a correct call carries, so the
model learns to turn "Paris" into "Paris, France" or "3 pm" into "15:00" as the schema's
description asks. `example()` mixes single calls, parallel calls (only when the question
asks for several things), a pick among distractor tools, and no call when no tool fits
(chit-chat, or another tool's request with only unrelated tools bound).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Args = dict[str, Any]

CITIES = [
    ("Paris", "France"), ("Tokyo", "Japan"), ("London", "UK"), ("Berlin", "Germany"),
    ("Madrid", "Spain"), ("Rome", "Italy"), ("Toronto", "Canada"), ("Sydney", "Australia"),
    ("Cairo", "Egypt"), ("Mumbai", "India"), ("Lima", "Peru"), ("Oslo", "Norway"),
    ("Lisbon", "Portugal"), ("Seoul", "South Korea"), ("Nairobi", "Kenya"),
    ("Dublin", "Ireland"), ("Vienna", "Austria"), ("Austin", "USA"), ("Boston", "USA"),
]
AIRPORTS = [("New York", "JFK"), ("Los Angeles", "LAX"), ("London Heathrow", "LHR"),
            ("Paris Charles de Gaulle", "CDG"), ("Tokyo Haneda", "HND"), ("Frankfurt", "FRA"),
            ("Amsterdam", "AMS"), ("Chicago O'Hare", "ORD"), ("Dubai", "DXB"), ("Madrid", "MAD")]
CURRENCIES = [("US dollars", "USD"), ("euros", "EUR"), ("Japanese yen", "JPY"),
              ("British pounds", "GBP"), ("Swiss francs", "CHF"), ("Canadian dollars", "CAD"),
              ("Indian rupees", "INR"), ("Australian dollars", "AUD")]
COMPANIES = [("Apple", "AAPL"), ("Microsoft", "MSFT"), ("Tesla", "TSLA"), ("Amazon", "AMZN"),
             ("Nvidia", "NVDA"), ("Alphabet", "GOOGL"), ("Netflix", "NFLX"), ("Intel", "INTC")]
LANGUAGES = [("French", "fr"), ("German", "de"), ("Spanish", "es"), ("Italian", "it"),
             ("Japanese", "ja"), ("Portuguese", "pt"), ("Dutch", "nl"), ("Korean", "ko")]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
CUISINES = ["italian", "japanese", "mexican", "indian", "thai", "french"]
PEOPLE = ["anna", "ben", "carla", "david", "emma", "farid", "grace", "hugo"]
PHRASES = ["Good morning", "Where is the station?", "Thank you very much",
           "The meeting starts at noon", "I would like a coffee", "See you tomorrow"]
SONGS = [("Imagine", "John Lennon"), ("Halo", "Beyonce"), ("Yesterday", "The Beatles"),
         ("Hello", "Adele"), ("Thriller", "Michael Jackson"), ("Clocks", "Coldplay")]
TASKS = ["call the dentist", "pay the rent", "water the plants", "send the report",
         "book the hotel", "renew my passport"]

# Requests no tool can serve, with a plain-text reply that claims nothing it cannot know.
NO_TOOL = [
    ("Hi! How are you today?", "I'm fine, thanks! How can I help you?"),
    ("Thanks, that's all for now.", "You're welcome! Have a nice day."),
    ("Can you write me a short poem about the sea?",
     "Waves roll in and softly go,\nthe sea keeps time with ebb and flow."),
    ("Who wrote Romeo and Juliet?", "Romeo and Juliet was written by William Shakespeare."),
    ("What is the capital of France?", "The capital of France is Paris."),
    ("How many days are in a week?", "A week has seven days."),
    ("Tell me a joke.",
     "Why did the scarecrow win an award? Because he was outstanding in his field."),
    ("What does CPU stand for?", "CPU stands for central processing unit."),
    ("Please order me a pizza.",
     "Sorry, I can't order food: none of my tools can place orders."),
    ("Can you turn off the lights in the kitchen?",
     "Sorry, I can't control lights: none of my tools can do that."),
    ("Book me a table at a restaurant tonight.",
     "Sorry, I can't book restaurants: none of my tools can make reservations."),
    ("What is the boiling point of water at sea level?",
     "Water boils at 100 degrees Celsius (212 degrees Fahrenheit) at sea level."),
    ("Summarize the plot of Cinderella in one sentence.",
     "A kind young woman mistreated by her stepfamily attends a royal ball with a fairy "
     "godmother's help and wins the prince's heart."),
    ("How do you say hello in Spanish?", "Hello in Spanish is \"hola\"."),
    ("Call my mother.", "Sorry, I can't make phone calls: none of my tools can do that."),
]


def _date(rng: random.Random) -> tuple[str, str]:
    month, day, year = rng.randrange(12), rng.randint(1, 28), rng.choice([2025, 2026])
    return f"{MONTHS[month]} {day}, {year}", f"{year}-{month + 1:02d}-{day:02d}"


def _time(rng: random.Random) -> tuple[str, str]:
    hour, minute = rng.randint(1, 12), rng.choice([0, 15, 30, 45])
    half = rng.choice(["am", "pm"])
    said = f"{hour}{':' + format(minute, '02d') if minute else ''} {half}"
    hour24 = hour % 12 + (12 if half == "pm" else 0)
    return said, f"{hour24:02d}:{minute:02d}"


def _weather(rng: random.Random) -> tuple[str, Args]:
    city, country = rng.choice(CITIES)
    args: Args = {"location": f"{city}, {country}"}
    if rng.random() < 0.4:
        args["unit"] = rng.choice(["celsius", "fahrenheit"])
        return f"What's the weather like in {city} in {args['unit']}?", args
    return rng.choice([f"What's the weather in {city}?", f"Is it raining in {city} right now?",
                       f"How warm is it in {city} today?"]), args


def _currency(rng: random.Random) -> tuple[str, Args]:
    (src_name, src), (dst_name, dst) = rng.sample(CURRENCIES, 2)
    amount = rng.choice([10, 25, 99.5, 150, 1000, 2500.75])
    return (f"How much is {amount} {src_name} in {dst_name}?",
            {"amount": amount, "from_currency": src, "to_currency": dst})


def _flight(rng: random.Random) -> tuple[str, Args]:
    (origin, o_code), (dest, d_code) = rng.sample(AIRPORTS, 2)
    said, date = _date(rng)
    args: Args = {"origin": o_code, "destination": d_code, "date": date}
    text = f"Book a flight from {origin} to {dest} on {said}"
    if rng.random() < 0.5:
        args["passengers"] = rng.randint(2, 5)
        text += f" for {args['passengers']} people"
    if rng.random() < 0.4:
        args["cabin"] = rng.choice(["economy", "premium_economy", "business", "first"])
        text += f" in {args['cabin'].replace('_', ' ')} class"
    return text + ".", args


def _reminder(rng: random.Random) -> tuple[str, Args]:
    task = rng.choice(TASKS)
    said, time = _time(rng)
    args: Args = {"text": task, "time": time}
    text = f"Remind me to {task} at {said}"
    if rng.random() < 0.5:
        days = sorted(rng.sample(WEEKDAYS[:5], rng.randint(1, 3)), key=WEEKDAYS.index)
        args["days"] = days
        text += " on " + " and ".join(d.capitalize() for d in days)
    return text + ".", args


def _bmi(rng: random.Random) -> tuple[str, Args]:
    weight, height = rng.randint(50, 110), rng.choice([155, 162, 170, 178, 185, 193])
    return (f"What is the BMI of someone who weighs {weight} kg and is {height} cm tall?",
            {"weight_kg": weight, "height_m": height / 100})


def _restaurants(rng: random.Random) -> tuple[str, Args]:
    city, country = rng.choice(CITIES)
    cuisine = rng.choice(CUISINES)
    args: Args = {"location": f"{city}, {country}", "cuisine": cuisine}
    text = f"Find {cuisine.capitalize()} restaurants in {city}"
    if rng.random() < 0.5:
        args["max_price"] = rng.randint(1, 4)
        text += f" with a price level of at most {args['max_price']}"
    return text + ".", args


def _email(rng: random.Random) -> tuple[str, Args]:
    person, other = rng.sample(PEOPLE, 2)
    subject = rng.choice(["Budget", "Meeting notes", "Holiday plans", "Invoice"])
    args: Args = {"to": f"{person}@example.com", "subject": subject,
                  "body": f"Hi {person.capitalize()}, please see the {subject.lower()}."}
    text = (f"Send an email to {person}@example.com with the subject \"{subject}\" saying "
            f"\"{args['body']}\"")
    if rng.random() < 0.4:
        args["cc"] = [f"{other}@example.com"]
        text += f" and copy {other}@example.com"
    return text + ".", args


def _stock(rng: random.Random) -> tuple[str, Args]:
    company, symbol = rng.choice(COMPANIES)
    return rng.choice([f"What is {company}'s share price?",
                       f"How much does one {company} share cost right now?"]), {"symbol": symbol}


def _translate(rng: random.Random) -> tuple[str, Args]:
    phrase = rng.choice(PHRASES)
    language, code = rng.choice(LANGUAGES)
    return (f"Translate \"{phrase}\" into {language}.",
            {"text": phrase, "target_language": code})


def _area(rng: random.Random) -> tuple[str, Args]:
    shape = rng.choice(["circle", "square", "rectangle", "triangle"])
    if shape == "circle":
        r = rng.randint(2, 20)
        return f"What is the area of a circle with radius {r}?", {"shape": shape, "dimensions": [r]}
    if shape == "square":
        s = rng.randint(2, 20)
        return f"Compute the area of a square with side {s}.", {"shape": shape, "dimensions": [s]}
    a, b = rng.randint(2, 20), rng.randint(2, 20)
    what = "width" if shape == "rectangle" else "base"
    other = "height"
    return (f"Area of a {shape} with {what} {a} and {other} {b}?",
            {"shape": shape, "dimensions": [a, b]})


def _population(rng: random.Random) -> tuple[str, Args]:
    _, country = rng.choice(CITIES)
    if rng.random() < 0.5:
        year = rng.randint(1990, 2020)
        return f"What was the population of {country} in {year}?", {"country": country, "year": year}
    return f"How many people live in {country}?", {"country": country}


def _sort(rng: random.Random) -> tuple[str, Args]:
    numbers = rng.sample(range(1, 100), rng.randint(3, 6))
    listed = ", ".join(str(n) for n in numbers)
    if rng.random() < 0.5:
        return f"Sort these numbers from largest to smallest: {listed}.", {
            "numbers": numbers, "descending": True}
    return f"Sort {listed} in ascending order.", {"numbers": numbers}


def _music(rng: random.Random) -> tuple[str, Args]:
    song, artist = rng.choice(SONGS)
    if rng.random() < 0.5:
        return f"Play {song} by {artist}.", {"song": song, "artist": artist}
    return f"Put on the song {song}.", {"song": song}


def _fn(name: str, description: str, properties: dict[str, Any],
        required: list[str]) -> dict[str, Any]:
    return {"type": "function", "function": {
        "name": name, "description": description,
        "parameters": {"type": "object", "properties": properties, "required": required}}}


_S, _I, _N = {"type": "string"}, {"type": "integer"}, {"type": "number"}


def _p(base: dict[str, Any], description: str, **extra: Any) -> dict[str, Any]:
    return {**base, "description": description, **extra}


@dataclass(frozen=True)
class ToolSpec:
    """A tool (OpenAI format), how to ask for one call of it, and how to ask for two."""

    tool: dict[str, Any]
    ask: Callable[[random.Random], tuple[str, Args]]

    @property
    def name(self) -> str:
        return str(self.tool["function"]["name"])


TOOLS = [
    ToolSpec(_fn("get_weather", "Get the current weather for a location.", {
        "location": _p(_S, "The city and country, e.g. 'London, UK'."),
        "unit": _p(_S, "Temperature unit.", enum=["celsius", "fahrenheit"], default="celsius"),
    }, ["location"]), _weather),
    ToolSpec(_fn("convert_currency", "Convert an amount of money between currencies.", {
        "amount": _p(_N, "The amount to convert."),
        "from_currency": _p(_S, "Three-letter ISO 4217 code of the source currency, e.g. 'USD'."),
        "to_currency": _p(_S, "Three-letter ISO 4217 code of the target currency, e.g. 'EUR'."),
    }, ["amount", "from_currency", "to_currency"]), _currency),
    ToolSpec(_fn("book_flight", "Book a flight.", {
        "origin": _p(_S, "IATA code of the departure airport, e.g. 'JFK'."),
        "destination": _p(_S, "IATA code of the arrival airport, e.g. 'LHR'."),
        "date": _p(_S, "Departure date in YYYY-MM-DD format."),
        "passengers": _p(_I, "Number of passengers.", minimum=1, default=1),
        "cabin": _p(_S, "Cabin class.", enum=["economy", "premium_economy", "business", "first"]),
    }, ["origin", "destination", "date"]), _flight),
    ToolSpec(_fn("set_reminder", "Create a reminder.", {
        "text": _p(_S, "What to be reminded of."),
        "time": _p(_S, "Time of day in 24-hour HH:MM format, e.g. '17:30'."),
        "days": _p({"type": "array", "items": {"type": "string", "enum": WEEKDAYS}},
                   "Weekdays to repeat on, lower case; omit for a one-off reminder."),
    }, ["text", "time"]), _reminder),
    ToolSpec(_fn("calculate_bmi", "Calculate the body mass index.", {
        "weight_kg": _p(_N, "Body weight in kilograms."),
        "height_m": _p(_N, "Height in meters, e.g. 1.75."),
    }, ["weight_kg", "height_m"]), _bmi),
    ToolSpec(_fn("search_restaurants", "Search restaurants near a place.", {
        "location": _p(_S, "City and country, e.g. 'Rome, Italy'."),
        "cuisine": _p(_S, "Type of food.", enum=CUISINES),
        "max_price": _p(_I, "Highest price level, 1 (cheap) to 4 (expensive).",
                        minimum=1, maximum=4),
    }, ["location", "cuisine"]), _restaurants),
    ToolSpec(_fn("send_email", "Send an e-mail.", {
        "to": _p(_S, "Recipient e-mail address."),
        "subject": _p(_S, "Subject line."),
        "body": _p(_S, "Message text."),
        "cc": _p({"type": "array", "items": {"type": "string"}}, "Addresses to copy."),
    }, ["to", "subject", "body"]), _email),
    ToolSpec(_fn("get_stock_price", "Get the latest price of a stock.", {
        "symbol": _p(_S, "Ticker symbol in upper case, e.g. 'AAPL' for Apple."),
    }, ["symbol"]), _stock),
    ToolSpec(_fn("translate_text", "Translate text into another language.", {
        "text": _p(_S, "The text to translate."),
        "target_language": _p(_S, "Two-letter ISO 639-1 code of the language, e.g. 'fr'."),
    }, ["text", "target_language"]), _translate),
    ToolSpec(_fn("compute_area", "Compute the area of a shape.", {
        "shape": _p(_S, "The shape.", enum=["circle", "square", "rectangle", "triangle"]),
        "dimensions": _p({"type": "array", "items": _N},
                         "Radius for a circle, side for a square, otherwise [width or "
                         "base, height]."),
    }, ["shape", "dimensions"]), _area),
    ToolSpec(_fn("get_population", "Look up the population of a country.", {
        "country": _p(_S, "Country name in English."),
        "year": _p(_I, "Year of the figure; omit for the latest."),
    }, ["country"]), _population),
    ToolSpec(_fn("sort_numbers", "Sort a list of numbers.", {
        "numbers": _p({"type": "array", "items": _N}, "The numbers to sort."),
        "descending": _p({"type": "boolean"}, "Largest first if true.", default=False),
    }, ["numbers"]), _sort),
    ToolSpec(_fn("play_music", "Play a song.", {
        "song": _p(_S, "Song title."),
        "artist": _p(_S, "Performer, if known."),
    }, ["song"]), _music),
]


@dataclass(frozen=True)
class Generated:
    """One generated example: the tools bound, the question, and the target reply."""

    kind: str  # "single", "parallel", "no_call" (chit-chat) or "no_fit" (a tool's request)
    tools: list[dict[str, Any]]
    question: str
    calls: list[tuple[str, Args]]
    text: str = ""


NO_FIT_REPLY = ("Sorry, I can't help with that: none of the available functions fits "
                "this request.")


def example(rng: random.Random) -> Generated:
    """A random example: 55% one call (with 0-3 distractor tools), 20% two calls asked
    for together, 8% chit-chat no tool serves, and 17% a request for a tool that is not
    bound (1-3 other tools are, as in BFCL's irrelevance category): no call either."""
    roll = rng.random()
    if roll < 0.08:
        question, text = rng.choice(NO_TOOL)
        bound = rng.sample(TOOLS, rng.randint(1, 3))
        return Generated("no_call", [t.tool for t in bound], question, [], text)
    target = rng.choice(TOOLS)
    if roll < 0.25:
        bound = rng.sample([t for t in TOOLS if t is not target], rng.randint(1, 3))
        return Generated("no_fit", [t.tool for t in bound], target.ask(rng)[0], [],
                         NO_FIT_REPLY)
    others = rng.sample([t for t in TOOLS if t is not target], rng.randint(0, 3))
    bound = [target, *others]
    rng.shuffle(bound)
    tools = [t.tool for t in bound]
    first_q, first = target.ask(rng)
    if roll < 0.45:
        for _ in range(10):  # two different requests joined in one question
            second_q, second = target.ask(rng)
            if second != first:
                joiner = rng.choice(["Also: ", "And then: ", "Then, separately: "])
                question = f"{first_q} {joiner}{second_q[0].lower()}{second_q[1:]}"
                return Generated("parallel", tools, question,
                                 [(target.name, first), (target.name, second)])
    return Generated("single", tools, first_q, [(target.name, first)])
