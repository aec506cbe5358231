"""The lexical extractor: entities and co-occurrence relations from text, no model.

Regular expressions only, one pass per chunk (thousands of passages a second on one core).
No NLP library is used: spaCy's English models and NLTK's tagger data only install by
downloading them at run time (no official offline package), which this project never does.
Lower-case noun phrases are therefore not extracted (without a tagger they are mostly
noise); the names that bridge documents are capitalised.

Entities
- the chunk's title (title=True; "Lilu (mythology)" shares its key with "Lilu", so a passage
  naming another document's title links to it), and Markdown headings;
- capitalised names, multi-word with small connectors ("University of Paris", "Charles de
  Gaulle", "John F. Kennedy", "St. Louis"), quoted titles of works ("``Love Me Do''");
- acronyms (NASA, B.B.C.) and dates (years, "July 15, 1997" as "15 July 1997");
Not taken: a sentence's first word unless the chunk shows it is a name (capitalised inside a
sentence, the title, or the surname of a name in the chunk), function words ("The", "In",
"He"), a month or weekday alone, a lone nationality adjective ("American"), single letters.
A lone surname ("Smith") is counted as the chunk's one full name ending with it.
Types by cues: person (honorific, "actor X", "X (born"), organization, place, work, date,
else "name" ("title" for an uncued title).

Relations: entities in one sentence, weighted 1/(1 + distance/10) per sentence (distance in
tokens between their nearest mentions), plus 0.5 between the title and every other
entity of its chunk; the strongest `max_relations` per chunk are kept.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field

from agentkit.graphrag.names import normalize
from agentkit.graphrag.types import ChunkExtraction, EntityMention, OnDone, RelationMention
from agentkit.rag.chunks import Chunk

_ABBREVIATIONS = ("St|Mt|Ft|Dr|Mr|Mrs|Ms|Jr|Sr|Prof|Gen|Col|Lt|Sgt|Capt|Rev|Sen|Gov|Rep|Inc|Ltd|Co|Corp|"
                  "Bros|Vol|Ave|Blvd")
_TOKEN = re.compile(rf"""
    (?P<abbr>\b(?:{_ABBREVIATIONS})\.)
   |(?P<acro>\b(?:[A-Za-z]\.){{2,}})
   |(?P<initial>\b[A-Z]\.(?=\s+[A-Z]))
   |(?P<word>[^\W\d_]\w*(?:['\u2019\-]\w+)*)
   |(?P<num>\d+(?:[.,]\d+)*(?:s|st|nd|rd|th)?\b)
   |(?P<quote>``|''|["\u201c\u201d\u201e])
   |(?P<heading>^\#{{1,6}}[ \t]+)
   |(?P<newline>\n)
   |(?P<punct>[^\w\s])
""", re.X | re.M)
_ENDS = frozenset(".!?")
_CLOSERS = frozenset({".", "!", "?", "''", "\u201d", ")"})
_POSSESSIVE = ("'s", "\u2019s")
_ROMAN = re.compile(r"M{0,3}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})")

MONTHS = ("january february march april may june july august september october november december").split()
_MONTH = {m: i for i, m in enumerate(MONTHS)} | {m[:3]: i for i, m in enumerate(MONTHS)} | {"sept": 8}
_DAYS = frozenset("monday tuesday wednesday thursday friday saturday sunday".split())
_CONNECTORS = frozenset("of the de du des la le da di del della do dos das van von der den y for upon & al bin ibn"
                        .split())
_JOINERS = frozenset("of for the & upon".split())
_HONORIFICS = frozenset("mr mr. mrs mrs. ms ms. dr dr. sir dame prof prof.".split())
_ROLES = frozenset("president senator governor chancellor".split())
_STARTERS = frozenset("""
    a an the this that these those it its he she they we you i his her their our your my me him them us
    in on at by for from with without within into onto upon of to as about above below under over between
    among through throughout across against along around behind beyond near like unlike despite though
    although unless until till via per after before during following according because since while when
    where whereas however moreover furthermore additionally also thus therefore meanwhile later earlier
    today currently originally initially eventually finally subsequently then there here each every some
    many most several both all any another other such one two three four five six seven eight nine ten
    first second third last next is was were be been are has have had do does did can could will would may
    might must shall should not no yes so but or and nor yet if than once what which who whom whose why how
    born located based known called named formed founded released published written directed produced
    created considered described upon being having
""".split())
_LONE_ADJECTIVES = frozenset("""
    american british english french german italian spanish portuguese dutch belgian swiss austrian swedish
    norwegian danish finnish icelandic irish scottish welsh canadian mexican brazilian argentine argentinian
    chilean colombian peruvian venezuelan cuban australian russian soviet ukrainian polish czech slovak
    hungarian romanian bulgarian serbian croatian bosnian slovenian greek turkish armenian israeli jewish
    arab arabic iranian persian iraqi syrian lebanese egyptian moroccan algerian nigerian ghanaian kenyan
    ethiopian somali african european asian chinese japanese korean vietnamese thai filipino indonesian
    malaysian singaporean indian pakistani bangladeshi nepalese afghan taiwanese mongolian tibetan latin
    roman catholic protestant christian muslim islamic hindu buddhist western eastern northern southern
    hispanic latino caribbean scandinavian nordic celtic gaelic republican democratic democrat
    north south east west northeast northwest southeast southwest central northern southern eastern western
    northeastern northwestern southeastern southwestern upper lower greater
""".split())
_ORG_WORDS = frozenset("""
    university college school institute institution academy company corporation corp corp. inc inc. ltd ltd.
    llc co. group records entertainment studios studio pictures films productions games media network
    broadcasting association society federation union league council committee commission party club team
    fc band orchestra choir church museum library foundation agency authority ministry department bank
    airlines airways railway railways press publishing publishers hospital army navy force forces police
    court parliament congress senate government bureau board trust brands
""".split())
_PLACE_WORDS = frozenset("""
    city county river mountain mountains mount mt mt. lake island islands street road avenue park valley bay
    sea ocean province state kingdom republic district village town township parish region desert forest
    peninsula coast canal bridge castle palace airport station square hill hills falls harbor harbour port
    beach creek canyon gulf strait cape borough territory
""".split())
_WORK_CUES = frozenset("""
    film movie album song single novel book series show sitcom play opera musical poem magazine newspaper
    journal game documentary episode painting ep
""".split())
_WORK_WORDS = frozenset("journal magazine review gazette times herald tribune chronicle album".split())
_PERSON_CUES = frozenset("""
    actor actress singer songwriter rapper director producer writer author novelist poet musician guitarist
    drummer bassist composer player footballer coach politician painter artist architect journalist
    comedian dancer model scientist physicist chemist philosopher economist designer businessman
    businesswoman entrepreneur wife husband son daughter father mother brother sister directed written
    composed starring stars sung
""".split())
_HEADS = _ORG_WORDS | _PLACE_WORDS | frozenset("""
    archive archives museum duke duchess king queen prince princess earl count lord emperor battle treaty
    statue house order war history minister secretary governor president bishop archbishop mayor
    director chairman cathedral abbey chapel temple school office hall festival award awards prize cup
    championship institute register representatives bachelor master masters doctor chamber tomb siege book
    gospel lady knights sons daughters friends people peoples isle isles assembly guild commonwealth
""".split())
_INSTITUTIONAL_FIRST = frozenset("""
    national royal international american british united federal imperial general supreme grand great holy
    central first second third new
""".split())
_PLACE_PREPOSITIONS = frozenset("in near at from".split())
_ADVERB = re.compile(r"..(?:ally|ntly|ously|ively|ately|edly|ingly|erly)$")
_PRONOUNS = re.compile(r"\b(?:he|she|his|her|him)\b", re.I)


class LexicalConfig(BaseModel):
    """Limits of the lexical extractor."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_relations: int = Field(48, ge=0, description="strongest relations kept per chunk")
    max_name_words: int = Field(8, ge=1, description="longest name, in words")
    dates: bool = Field(True, description="extract years and dates")


@dataclass
class _Token:
    text: str
    kind: str
    lower: str
    cap: bool
    space: bool = True  # whitespace before it in the text
    raw: str = ""  # as written ("King's", "London-born")
    possessive: bool = False
    suffixed: bool = False  # "Paris-based": the name is the capitalised head only


@dataclass
class _Found:
    """One entity of the chunk while it is being gathered."""

    forms: Counter[str] = field(default_factory=Counter)
    types: Counter[str] = field(default_factory=Counter)
    positions: list[tuple[int, int]] = field(default_factory=list)  # (sentence, token)
    title: bool = False
    floor: int = 0  # mentions counted without a position (the title in lower case)


class LexicalExtractor:
    """Entities and co-occurrence relations by regular expressions (see the module docstring)."""

    name = "lexical"
    version = "1"

    def __init__(self, config: LexicalConfig | None = None):
        self.config = config or LexicalConfig()

    def extract(self, chunks: Sequence[Chunk], on_done: OnDone | None = None) -> list[ChunkExtraction]:
        """One extraction per chunk, in order; `on_done(n)` after each n chunks."""
        out: list[ChunkExtraction] = []
        for chunk in chunks:
            out.append(self.extract_one(chunk))
            if on_done and len(out) % 50 == 0:
                on_done(50)
        if on_done and len(out) % 50:
            on_done(len(out) % 50)
        return out

    def extract_one(self, chunk: Chunk) -> ChunkExtraction:
        """The entities and relations of one chunk."""
        sentences = _sentences(_tokens(chunk.text))
        found: dict[str, _Found] = {}
        title_key = normalize(chunk.title) if chunk.title else ""
        if title_key:
            entry = found.setdefault(title_key, _Found())
            entry.title = True
            entry.forms[chunk.title.strip()] += 0
        inner_caps = {t.lower for sentence in sentences for t in sentence[1:] if t.cap and t.kind == "word"}
        pending: list[tuple[str, str, str, int, int]] = []  # lone sentence-initial words: need evidence
        for s, sentence in enumerate(sentences):
            for name, kind, start, initial_single in self._names(sentence):
                key = normalize(name)
                if not key:
                    continue
                if initial_single:
                    pending.append((key, name, kind, s, start))
                    continue
                entry = found.setdefault(key, _Found())
                entry.forms[name] += 1
                entry.types[kind] += 1
                entry.positions.append((s, start))
        for key, name, kind, s, start in pending:
            if key in found or key in inner_caps or _surname_of(key, found, title_key):
                entry = found.setdefault(key, _Found())
                entry.forms[name] += 1
                entry.types[kind] += 1
                entry.positions.append((s, start))
        _fold_short_forms(found, title_key)
        if title_key:
            _settle_title(found[title_key], chunk, title_key)
        return self._extraction(chunk, found, title_key, sentences)

    # -- names in one sentence -----------------------------------------------------------
    def _names(self, sentence: list[_Token]) -> list[tuple[str, str, int, bool]]:
        """(surface form, type, first token, is a lone sentence-initial word) of each name."""
        names: list[tuple[str, str, int, bool]] = []
        if sentence and sentence[0].kind == "heading":
            words = [t.text for t in sentence[1:] if t.kind != "punct"]
            if 0 < len(words) <= self.config.max_name_words:
                names.append((" ".join(words), "topic", 0, False))
            return names
        covered = self._quoted(sentence, names)
        if self.config.dates:
            covered |= _dates(sentence, names)
        first = next((i for i, t in enumerate(sentence) if t.kind not in ("quote", "punct")), 0)
        i = 0
        while i < len(sentence):
            if i in covered or not _starts_name(sentence, i):
                i += 1
                continue
            end = _span_end(sentence, i, covered, self.config.max_name_words)
            self._take(sentence, i, end, i == first, names)
            i = end + 1
        return names

    def _take(self, sentence: list[_Token], start: int, end: int, initial: bool,
              names: list[tuple[str, str, int, bool]]) -> None:
        """Clean one capitalised span [start, end] and add it to `names` if it is a name."""
        span = sentence[start:end + 1]
        if initial:
            while span and (span[0].lower in _STARTERS or _ADVERB.search(span[0].lower)):
                span = span[1:]
                start += 1
        person = False
        if len(span) > 1 and (span[0].lower in _HONORIFICS or span[0].lower in _ROLES and len(span) > 2) \
                and _is_name_word(span[1]):
            span, start, person = span[1:], start + 1, True
        while span and (span[0].lower in _CONNECTORS or span[0].lower in ("a", "an")):
            span = span[1:]
            start += 1
        if not span:
            return
        text = _surface(span)
        if len(span) == 1:
            lone = span[0]
            if (lone.lower in _STARTERS or lone.lower in _MONTH or lone.lower in _DAYS or lone.kind == "abbr"
                    or all(part in _LONE_ADJECTIVES for part in lone.lower.split("-"))
                    or len(lone.text.rstrip(".")) < 2 or _is_roman(lone.text)):
                return
        kind = "person" if person else _type_of(span, sentence, start)
        lone_initial = initial and len(span) == 1 and start == _first_word(sentence) and not _is_acronym(span[0])
        names.append((text, kind, start, lone_initial))

    def _quoted(self, sentence: list[_Token], names: list[tuple[str, str, int, bool]]) -> set[int]:
        """Title-cased phrases in quotes (works: songs, episodes, books); their token indexes."""
        covered: set[int] = set()
        marks = [i for i, t in enumerate(sentence) if t.kind == "quote"]
        for open_, close in zip(marks[::2], marks[1::2]):
            inner = sentence[open_ + 1:close]
            words = [t for t in inner if t.kind in ("word", "abbr", "acro", "initial", "num")]
            if not words or len(words) > self.config.max_name_words or not words[0].cap:
                continue
            content = [t for t in words if t.lower not in _CONNECTORS and t.kind != "num"]
            if sum(t.cap for t in content) * 2 < len(content):
                continue
            names.append((_surface(inner).strip(" ,.;:!?"), "work", open_ + 1, False))
            covered.update(range(open_, close + 1))
        return covered

    # -- one chunk's result ----------------------------------------------------------------
    def _extraction(self, chunk: Chunk, found: dict[str, _Found], title_key: str,
                    sentences: list[list[_Token]]) -> ChunkExtraction:
        names = {key: _best_form(entry, chunk.title if key == title_key else "") for key, entry in found.items()}
        head = _title_head(title_key, found) if title_key else ""
        order = sorted(found, key=lambda k: (k != title_key, min(found[k].positions, default=(-1, -1)), k))
        entities = [
            EntityMention(name=names[key], type=_best_type(found[key], key == title_key),
                          count=max(1, len(found[key].positions), found[key].floor), title=found[key].title,
                          description=_title_description(sentences, {key, head} - {""}) if key == title_key else "")
            for key in order
        ]
        return ChunkExtraction(chunk_id=chunk.id, doc_id=chunk.doc_id, title=chunk.title, entities=entities,
                               relations=self._relations(found, names, title_key))

    def _relations(self, found: dict[str, _Found], names: dict[str, str], title_key: str) -> list[RelationMention]:
        """Sentence co-occurrence weighted by closeness, plus title links; the strongest kept."""
        by_sentence: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
        for key, entry in found.items():
            for s, token in entry.positions:
                by_sentence[s][key].append(token)
        dates = {key for key, entry in found.items() if _best_type(entry, False) == "date"}
        weights: Counter[tuple[str, str]] = Counter()
        for mentions in by_sentence.values():
            keys = sorted(mentions)
            for x, a in enumerate(keys):
                for b in keys[x + 1:]:
                    if a in dates and b in dates:
                        continue
                    distance = min(abs(i - j) for i in mentions[a] for j in mentions[b])
                    weights[a, b] += 1.0 / (1.0 + distance / 10.0)
        if title_key:
            for key in found:
                if key != title_key:
                    weights[min(key, title_key), max(key, title_key)] += 0.5
        strongest = sorted(weights.items(), key=lambda item: (-item[1], item[0]))[:self.config.max_relations]
        return [RelationMention(source=names[a], target=names[b], weight=round(w, 4)) for (a, b), w in strongest]


# -- tokens and sentences (for names; retrieval's tokenisers are in agentkit/rag/text.py) ----
def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    end = 0
    for match in _TOKEN.finditer(text):
        kind, raw = match.lastgroup or "punct", match.group()
        space, end = match.start() > end, match.end()
        if kind == "word":
            lower = raw.lower()
            possessive = lower.endswith(_POSSESSIVE) and len(raw) > 3
            if possessive:
                raw = raw[:-2]
            head, _, rest = raw.partition("-")
            suffixed = bool(rest) and rest.islower() and head[:1].isupper()
            if suffixed:
                raw = head
            tokens.append(_Token(raw, kind, raw.lower(), raw[:1].isupper(), space, match.group(), possessive,
                                 suffixed))
        else:
            tokens.append(_Token(raw, kind, raw.lower(), kind in ("abbr", "acro", "initial") and raw[:1].isupper(),
                                 space, raw))
    for i in range(len(tokens) - 2, -1, -1):  # "said I. The ..." ends a sentence; "John F. Kennedy" does not
        if tokens[i].kind == "initial" and tokens[i + 1].lower in _STARTERS:
            letter = tokens[i].text[0]
            tokens[i:i + 1] = [_Token(letter, "word", letter.lower(), True, tokens[i].space, letter),
                               _Token(".", "punct", ".", False, False, ".")]
    return tokens


def _sentences(tokens: list[_Token]) -> list[list[_Token]]:
    """Split at . ! ? (with a closing quote right after) and line breaks; abbreviations and
    initials are tokens of their own, so "St. Louis" and "John F. Kennedy" stay whole."""
    sentences: list[list[_Token]] = []
    current: list[_Token] = []
    ended = False
    for token in tokens:
        if ended and not (token.text in _CLOSERS or token.kind == "quote" and not token.space):
            sentences.append(current)
            current, ended = [], False
        if token.kind == "newline" or (token.kind == "heading" and current):
            if current:
                sentences.append(current)
            current, ended = ([] if token.kind == "newline" else [token]), False
            continue
        current.append(token)
        ended = ended or (token.kind == "punct" and token.text in _ENDS)
    if current:
        sentences.append(current)
    return sentences


def _first_word(sentence: list[_Token]) -> int:
    return next((i for i, t in enumerate(sentence) if t.kind not in ("quote", "punct")), 0)


# -- spans ---------------------------------------------------------------------------------
def _is_name_word(token: _Token) -> bool:
    return token.cap and token.kind in ("word", "abbr", "acro", "initial")


def _is_acronym(token: _Token) -> bool:
    letters = token.text.replace(".", "")
    return token.kind == "acro" or (sum(c.isalpha() for c in letters) >= 2 and letters.isupper()
                                    and not _is_roman(letters))


def _is_roman(text: str) -> bool:
    return bool(text) and bool(_ROMAN.fullmatch(text))


def _starts_name(sentence: list[_Token], i: int) -> bool:
    token = sentence[i]
    if not _is_name_word(token):
        return False
    return not (token.lower in _MONTH and i + 1 < len(sentence) and not _is_name_word(sentence[i + 1]))


def _span_end(sentence: list[_Token], start: int, covered: set[int], max_words: int) -> int:
    """Last token of the capitalised name starting at `start` (connectors only inside)."""
    last, j, connectors = start, start + 1, 0
    if sentence[start].suffixed or (sentence[start].possessive and not (
            start + 1 < len(sentence) and _is_name_word(sentence[start + 1]))):
        return start  # "King's College" goes on, "Smith's career" does not
    while j < len(sentence) and j not in covered and j - start < max_words + 2:
        token = sentence[j]
        if _is_name_word(token):
            if token.lower in _MONTH and j + 1 < len(sentence) and sentence[j + 1].kind == "num":
                break
            last, connectors = j, 0
            if token.possessive or token.suffixed:
                break
        elif token.lower in _CONNECTORS and token.kind in ("word", "punct") and connectors < 2 and (
                connectors or token.lower not in _JOINERS or last == start or sentence[last].lower in _HEADS
                or sentence[start].lower in _INSTITUTIONAL_FIRST):
            connectors += 1  # "Charles de Gaulle", "Royal Society of London"; not "Charles Babbage of ..."
        elif token.kind == "num" and j == last + 1 and len(token.text) <= 3 and token.text.isdigit():
            last = j
            break
        else:
            break
        j += 1
    return last


def _surface(span: list[_Token], raw: bool = False) -> str:
    """The words of `span` as the text spaced them (`raw`: as written, "London-born")."""
    last = len(span) - 1
    return "".join((" " if token.space and i else "") + (token.raw if raw or (token.possessive and i < last)
                                                         else token.text) for i, token in enumerate(span))


def _dates(sentence: list[_Token], names: list[tuple[str, str, int, bool]]) -> set[int]:
    """Years and full dates ("July 15, 1997" / "15 July 1997" -> "15 July 1997"); their tokens."""
    covered: set[int] = set()
    for i, token in enumerate(sentence):
        if token.kind != "num" or not (len(token.text) == 4 and token.text.isdigit() and 1000 <= int(token.text) <= 2100):
            continue
        names.append((token.text, "date", i, False))
        covered.add(i)
        month, day, first = _date_before(sentence, i)
        if month is not None:
            label = f"{MONTHS[month].capitalize()} {token.text}"
            names.append(((f"{day} " if day else "") + label, "date", first, False))
            covered.update(range(first, i))
    return covered


def _date_before(sentence: list[_Token], year: int) -> tuple[int | None, int | None, int]:
    """(month, day, first token) of a date written just before the year at `year`."""
    i = year - 1
    if i >= 0 and sentence[i].text == ",":
        i -= 1
    if i < 0:
        return None, None, year
    token = sentence[i]
    if token.kind == "num" and token.text.isdigit() and i >= 1 and sentence[i - 1].lower in _MONTH:
        day = int(token.text)  # July 15, 1997
        return _MONTH[sentence[i - 1].lower], (day if 1 <= day <= 31 else None), i - 1
    if token.lower in _MONTH and token.cap:  # 15 July 1997 / July 1997
        if i >= 1 and sentence[i - 1].kind == "num" and sentence[i - 1].text.isdigit() \
                and 1 <= int(sentence[i - 1].text) <= 31:
            return _MONTH[token.lower], int(sentence[i - 1].text), i - 1
        return _MONTH[token.lower], None, i
    return None, None, year


# -- types, folding, the title ----------------------------------------------------------------
def _type_of(span: list[_Token], sentence: list[_Token], start: int) -> str:
    words = [t.lower for t in span]
    if any(w in _ORG_WORDS for w in words):
        return "organization"
    if any(w in _PLACE_WORDS for w in words):
        return "place"
    if words[0] in _WORK_WORDS:
        return "work"
    before = [t.lower for t in sentence[max(0, start - 2):start]]
    after = [t.lower for t in sentence[start + len(span):start + len(span) + 2]]
    if any(w in _WORK_CUES for w in before):
        return "work"
    if any(w in _PERSON_CUES for w in before) or after[:2] == ["(", "born"]:
        return "person"
    if len(span) == 1 and _is_acronym(span[0]):
        return "organization"
    if before[-1:] and before[-1] in _PLACE_PREPOSITIONS and len(span) <= 2:
        return "place"
    return "name"


def _surname_of(key: str, found: dict[str, _Found], title_key: str) -> bool:
    """`key` is the last word of a multi-word name of the chunk, or the title before its comma."""
    head = _title_head(title_key, found) if title_key else ""
    return key == head or any(k.rsplit(" ", 1)[-1] == key for k in found if " " in k and not (k == title_key and head))


def _title_head(title_key: str, found: dict[str, _Found]) -> str:
    forms = [f for f in found[title_key].forms if "," in f]
    return normalize(forms[0].split(",")[0]) if forms else ""


def _fold_short_forms(found: dict[str, _Found], title_key: str) -> None:
    """A lone surname (or the title before its comma, "Rochester" of "Rochester, Iowa") is
    counted as the one fuller name of the chunk it shortens."""
    head = _title_head(title_key, found) if title_key else ""
    for key in [k for k in found if " " not in k and not found[k].title]:
        if head and key == head:
            target = title_key
        else:
            longer = [k for k in found if " " in k and k.rsplit(" ", 1)[-1] == key and len(k.split()) <= 3
                      and not (k == title_key and head)
                      and _best_type(found[k], False) not in ("date", "organization", "place")]
            if title_key in longer:
                longer = [title_key]
            if len(longer) != 1:
                continue
            target = longer[0]
        entry = found.pop(key)
        found[target].positions.extend(entry.positions)
        found[target].types.update(entry.types)
    if head and head != title_key and head in found and len(head.split()) > 1:
        entry = found.pop(head)
        found[title_key].positions.extend(entry.positions)


def _settle_title(entry: _Found, chunk: Chunk, key: str) -> None:
    """Count lower-case mentions of the title too, and type it by the chunk's cues."""
    entry.floor = f" {normalize(chunk.text)} ".count(f" {key} ")
    words = key.split()
    if any(w in _ORG_WORDS for w in words):
        entry.types["organization"] += 5
    elif any(w in _PLACE_WORDS for w in words) or "," in chunk.title:
        entry.types["place"] += 5
    elif re.search(r"\([^()]{0,24}?\d{3,4}\s*[-\u2013]", chunk.text) or re.search(r"\(\s*born\b", chunk.text) \
            or len(_PRONOUNS.findall(chunk.text)) >= 2:
        entry.types["person"] += 5


def _best_form(entry: _Found, title: str) -> str:
    if title:
        return title.strip()
    return min(entry.forms, key=lambda f: (-entry.forms[f], f))


def _best_type(entry: _Found, is_title: bool) -> str:
    if not entry.types:
        return "title" if is_title else "name"
    kind = min(entry.types, key=lambda t: (-entry.types[t], t == "name", t))
    return "title" if is_title and kind == "name" else kind


def _title_description(sentences: list[list[_Token]], keys: set[str]) -> str:
    """The first of the chunk's first two sentences that names the title (Wikipedia's defining
    one); `keys`: the title's key and, for "Rochester, Iowa", "rochester"."""
    for sentence in sentences[:2]:
        text = _surface([t for t in sentence if t.kind not in ("heading", "newline")], raw=True)
        if any(f" {key} " in f" {normalize(text)} " for key in keys):
            return text if len(text) <= 240 else text[:239].rstrip() + "…"
    return ""
