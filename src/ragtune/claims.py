"""The checkable claims of a text, in one place for the evaluation's faithfulness metric and the answer check.

``normalize`` and ``lexically_supported`` are the metric's reading (numbers and content words). ``extract``
reads the claims an answer makes that can be checked against a source lexically: quantities (a number with its
unit, in digits or words, "41-month", "3,5 kg", "4 years" = "48 months", "3 years and 2 months" = "38 months"),
dates ("12 March 2024", "2024-03", "March"), literal numbers (versions; times of day on a 24-hour clock), and
names (capitalised words and product codes such as "Quillfeather", "X200", "IP66"). ``Evidence`` is what a
source offers to support them. The sign of a number is ignored, and degrees Celsius and Fahrenheit are not converted.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field

# ---------------------------------------------------------------------------------------------- normalization

CITATION = re.compile(r"\[\s*\d+(?:\s*[,;\-–]\s*\d+)*\s*\]")
_ARTICLES = {"a", "an", "the"}
_KEPT = {"%", "‰"}  # Unicode punctuation (Po) that carries meaning like a unit symbol
NUMBER = re.compile(r"\d+(?:\.\d+)*")
# a small English stopword list: the words that do not carry an answer's content
_STOPWORD_TEXT = (
    "a an the and or but if of to in on at by for with from as into about over under than then so is are "
    "was were be been being am do does did has have had having will would shall should can could may "
    "might must it its s this that these those there here which who whom whose what when where why how i "
    "you he she we they me him her us them my your his our their not no yes also just only very"
)
STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def normalize(text: str) -> str:
    """Casefold, NFKC, drop [n] markers, punctuation and articles, and collapse whitespace."""
    text = CITATION.sub(" ", unicodedata.normalize("NFKC", text).casefold())
    chars = []
    for i, ch in enumerate(text):
        if ch in _KEPT or not unicodedata.category(ch).startswith("P"):
            chars.append(ch)
            continue
        between_digits = 0 < i < len(text) - 1 and text[i - 1].isdecimal() and text[i + 1].isdecimal()
        if between_digits and ch == ".":
            chars.append(ch)  # decimal point: "3.5" stays "3.5"
        elif not (between_digits and ch == ","):  # a thousands comma is dropped: "1,290" -> "1290"
            chars.append(" ")
    return " ".join(w for w in "".join(chars).split() if w not in _ARTICLES)


def lexically_supported(answer: str, context: str, threshold: float = 0.5) -> bool:
    """All answer numbers and >= threshold of its distinct content tokens are in the context (the metric's
    faithfulness). An answer without content tokens (empty, or only stopwords) claims nothing: supported."""
    norm_answer, norm_context = normalize(answer), normalize(context)
    if not set(NUMBER.findall(norm_answer)) <= set(NUMBER.findall(norm_context)):
        return False
    content = {t for t in norm_answer.split() if t not in STOPWORDS}
    if not content:
        return True
    found = content & set(norm_context.split())
    return len(found) / len(content) >= threshold


# ---------------------------------------------------------------------------------------------- units

_YEAR_S, _DAY_S = 31556952.0, 86400.0


def _units() -> dict[str, tuple[str, float]]:
    """unit spelling (casefolded) -> (dimension, factor to the dimension's base unit)."""
    table: dict[str, tuple[str, float]] = {}

    def add(dim: str, factor: float, *names: str) -> None:
        for name in names:
            table[name] = (dim, factor)

    add("time", 0.001, "ms", "millisecond", "milliseconds")
    add("time", 1, "s", "sec", "secs", "second", "seconds", "sek")
    add("time", 60, "min", "mins", "minute", "minutes")
    add("time", 3600, "h", "hr", "hrs", "hour", "hours")
    add("time", _DAY_S, "day", "days")
    add("time", 7 * _DAY_S, "wk", "wks", "week", "weeks")
    add("time", _YEAR_S / 12, "mo", "mos", "month", "months")
    add("time", _YEAR_S, "yr", "yrs", "year", "years")
    add("mass", 0.001, "mg", "milligram", "milligrams")
    add("mass", 1, "g", "gram", "grams", "gramme", "grammes")
    add("mass", 1000, "kg", "kgs", "kilogram", "kilograms", "kilo", "kilos")
    add("mass", 1e6, "t", "tonne", "tonnes")
    add("mass", 453.59237, "lb", "lbs")
    add("mass", 28.349523125, "oz")
    add("length", 0.001, "mm", "millimetre", "millimetres", "millimeter", "millimeters")
    add("length", 0.01, "cm", "centimetre", "centimetres", "centimeter", "centimeters")
    add("length", 1, "m", "metre", "metres", "meter", "meters")
    add("length", 1000, "km", "kilometre", "kilometres", "kilometer", "kilometers")
    add("length", 0.0254, "in", "inch", "inches")
    add("length", 0.3048, "ft", "foot", "feet")
    add("length", 1609.344, "mi", "mile", "miles")
    add("volume", 0.001, "ml", "millilitre", "millilitres", "milliliter", "milliliters")
    add("volume", 1, "l", "litre", "litres", "liter", "liters")
    add("ratio", 1, "%", "percent", "pct")
    add("ratio", 0.1, "‰")
    add("voltage", 0.001, "mv")
    add("voltage", 1, "v", "volt", "volts")
    add("voltage", 1000, "kv")
    add("current", 0.001, "ma", "milliamp", "milliamps")
    add("current", 1, "a", "amp", "amps", "ampere", "amperes")
    add("power", 1, "w", "watt", "watts")
    add("power", 1000, "kw", "kilowatt", "kilowatts")
    add("energy", 1, "wh")
    add("energy", 1000, "kwh")
    add("charge", 1, "mah")
    add("frequency", 1, "hz")
    add("frequency", 1e3, "khz")
    add("frequency", 1e6, "mhz")
    add("frequency", 1e9, "ghz")
    add("data", 1e3, "kb", "kilobyte", "kilobytes")
    add("data", 1e6, "mb", "megabyte", "megabytes")
    add("data", 1e9, "gb", "gigabyte", "gigabytes")
    add("data", 1e12, "tb", "terabyte", "terabytes")
    add("rate", 1e3, "kbps", "kbit/s")
    add("rate", 1e6, "mbps", "mbit/s")
    add("rate", 1e9, "gbps", "gbit/s")
    add("length/time", 1 / 3.6, "kph")
    add("length/time", 0.44704, "mph")
    add("pressure", 1, "pa")
    add("pressure", 1000, "kpa")
    add("pressure", 100, "mbar", "hpa")
    add("pressure", 1e5, "bar")
    add("pressure", 6894.757, "psi")
    add("level", 1, "db", "dbm")
    add("temp_c", 1, "°c", "celsius")
    add("temp_f", 1, "°f", "fahrenheit")
    for code, names in {"usd": ("$", "usd", "dollar", "dollars"), "eur": ("€", "eur", "euro", "euros"),
                        "gbp": ("£", "gbp", "pound", "pounds", "sterling"), "chf": ("chf",)}.items():
        add(f"money:{code}", 1, *names)
    add("money:gbp", 0.01, "p", "pence", "penny")
    add("money:usd", 0.01, "cent", "cents")
    return table


UNITS = _units()


def unit_info(unit: str) -> tuple[str, float] | None:
    """A unit's dimension and factor to the base unit, also for a ratio of two ("m/s", "km/h"); None if unknown."""
    if unit in UNITS:
        return UNITS[unit]
    top, sep, bottom = unit.partition("/")
    if sep and top in UNITS and bottom in UNITS and "/" not in bottom:
        (dim_a, fa), (dim_b, fb) = UNITS[top], UNITS[bottom]
        return f"{dim_a}/{dim_b}", fa / fb
    return None
_CURRENCY_PREFIX = {"$", "€", "£", "usd", "eur", "gbp", "chf"}
_MULTIPLIERS = {"thousand": 1e3, "k": 1e3, "million": 1e6, "m": 1e6, "bn": 1e9, "billion": 1e9}
_ORDINAL = {"st", "nd", "rd", "th"}
_ONES = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen " \
        "seventeen eighteen nineteen"
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety"
_WORD_NUMBERS = {w: i for i, w in enumerate(_ONES.split())} | {w: 10 * i for i, w in enumerate(_TENS.split(), start=2)}
_WORD_SCALES = {"hundred": 100, "thousand": 1000}
_RANGE_WORDS = {"to", "-", "–", "—", "and", "or", "through", "until", "±"}
_QUALIFIERS = {"business", "working", "calendar", "full", "consecutive"}
_WORDLIKE_UNITS = {"in", "a", "t", "mi", "mo", "p"}

# ---------------------------------------------------------------------------------------------- dates

_MONTHS = {name: n for n, names in enumerate((
    ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",), ("june", "jun"),
    ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"),
    ("december", "dec")), start=1) for name in names}
_MONTH = r"(?P<{}>(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sept?(?:ember)?" \
         r"|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?)"
_DAY = r"(?P<{}>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?P<{}>(?:1[5-9]|2[0-9])\d\d)"
_DATES = [re.compile(p) for p in (
    rf"(?<![\w.]){_YEAR.format('y')}-(?P<m>0?[1-9]|1[0-2])(?:-(?P<d>[0-3]?\d))?(?![\w.-])",
    rf"(?<![\w.]){_DAY.format('d')}\s+(?:of\s+)?{_MONTH.format('mn')},?\s+{_YEAR.format('y')}(?!\w)",
    rf"(?<![\w.]){_MONTH.format('mn')}\s+{_DAY.format('d')},?\s+{_YEAR.format('y')}(?!\w)",
    rf"(?<![\w.]){_MONTH.format('mn')},?\s+{_YEAR.format('y')}(?!\w)",
    rf"(?<![\w.]){_DAY.format('d')}\s+(?:of\s+)?{_MONTH.format('mn')}(?!\w)",
    rf"(?<![\w.]){_MONTH.format('mn')}\s+{_DAY.format('d')}(?![\w.,:]\d|\w)",
    r"(?<![\w.])(?P<mn>January|February|March|April|June|July|August|September|October|November|December)(?!\w)",
)]
_WEEKDAY_TEXT = "monday tuesday wednesday thursday friday saturday sunday"
_WEEKDAYS = frozenset(_WEEKDAY_TEXT.split())

# ---------------------------------------------------------------------------------------------- names

_CONVERSATION = "source sources document documents context question answer note yes no ok please according " \
                "however therefore unfortunately based sure hello hi dear"
_NOT_NAMES = STOPWORDS | _WEEKDAYS.union(_MONTHS) | frozenset(_CONVERSATION.split())
_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W\d_]+)?(?:[.,:/][^\W_]+)*|[%$€£°‰±]|[-–—]|[.!?;:\n•]|\S")
_SENTENCE_END = frozenset(".!?;:\n•")


@dataclass(frozen=True)
class Claim:
    """One checkable statement of a text: a quantity, a date, a literal (version, time of day) or a name."""

    kind: str  # "quantity" | "date" | "literal" | "name"
    text: str  # as written in the text
    number: float | None = None  # quantity: the number as written ("41" of "41-month")
    unit: str | None = None  # quantity: its unit as spelled (casefolded), None for a bare number
    value: float | None = None  # quantity: in the base unit of its dimension (seconds, grams, ...)
    date: tuple[int | None, int | None, int | None] | None = None  # (year, month, day)
    words: tuple[str, ...] = ()  # name: its normalized words; literal: its canonical form
    parts: tuple[Claim, ...] = ()  # a compound time: its quantities

    @property
    def dim(self) -> str | None:
        """A quantity's dimension (time, mass, money:gbp, ...); None for a bare number."""
        return unit_info(self.unit)[0] if self.unit else None

    def __str__(self) -> str:
        return self.text


def _quantity(text: str, number: float, unit: str | None) -> Claim:
    return Claim("quantity", text, number=number, unit=unit, value=number * (unit_info(unit)[1] if unit else 1.0))


@dataclass
class _Tok:
    text: str
    start: int
    end: int
    used: bool = False

    @property
    def low(self) -> str:
        return self.text.casefold()


def _number(text: str) -> float | None:
    """The value of digits with separators ("1,290", "3,5", "1.290,50", "3.5"); None for "2.3.1" or "8:00"."""
    if ":" in text or "/" in text or text.count(".") > 1 or (text.count(",") > 1 and "." in text):
        return None
    if "," in text and "." in text:  # the last separator is the decimal one
        text = text.replace(",", "") if text.rfind(".") > text.rfind(",") else text.replace(".", "").replace(",", ".")
    elif "," in text:
        parts = text.split(",")
        thousands = all(len(p) == 3 for p in parts[1:]) and len(parts[0]) <= 3
        text = text.replace(",", "") if thousands else (text.replace(",", ".") if len(parts) == 2 else "")
    try:
        return float(text)
    except ValueError:
        return None


def _literal(text: str) -> str:
    """The canonical form of a literal number: leading zeros of each part dropped ("08:00" -> "8:00")."""
    return re.sub(r"^0+(?=\d)", "", text.casefold().lstrip("v"))


def _dates(text: str) -> tuple[list[Claim], str]:
    """The dates of a text, and the text with them blanked out."""
    claims = []
    for pattern in _DATES:
        for m in pattern.finditer(text):
            groups = m.groupdict()
            month = groups.get("m") or groups.get("mn")
            month = int(month) if month and month.isdigit() else _MONTHS.get((month or "").casefold().rstrip("."))
            day = int(groups["d"]) if groups.get("d") else None
            if day is not None and not 1 <= day <= 31:
                continue
            year = int(groups["y"]) if groups.get("y") else None
            claims.append(Claim("date", m.group(0).strip(), date=(year, month, day)))
            text = text[:m.start()] + " " * (m.end() - m.start()) + text[m.end():]
    return claims, text


_TIME_OF_DAY = re.compile(r"(?<![\w.:])(?P<h>[012]?\d)(?:[:.](?P<m>[0-5]\d))?\s*(?P<p>[ap])\.?m\b\.?"
                          r"|(?<![\w.:])(?P<h24>[012]?\d):(?P<m24>[0-5]\d)(?![\w:])", re.IGNORECASE)


def _times(text: str) -> tuple[list[Claim], str]:
    """Times of day ("09:30", "9.30 am", "5:30pm", "2pm") as literals "H:MM" on a 24-hour clock, and the text with
    them blanked out."""
    claims = []
    for m in _TIME_OF_DAY.finditer(text):
        if m.group("h24") is not None:
            hour, minute = int(m.group("h24")), int(m.group("m24"))
        else:
            hour, minute = int(m.group("h")) % 12 + (12 if m.group("p").lower() == "p" else 0), int(m.group("m") or 0)
        if hour < 24:
            claims.append(Claim("literal", m.group(0).strip(), words=(f"{hour}:{minute:02d}",)))
            text = text[:m.start()] + " " * (m.end() - m.start()) + text[m.end():]
    return claims, text


def _word_number(toks: list[_Tok], i: int) -> tuple[float, int] | None:
    """A number written in words starting at token i ("forty-one", "one hundred and twenty"): value, next index."""
    total, current, j, seen = 0.0, 0.0, i, False
    while j < len(toks):
        low = toks[j].low
        if low in _WORD_NUMBERS:
            current += _WORD_NUMBERS[low]
        elif low in _WORD_SCALES and seen:
            current = max(current, 1) * _WORD_SCALES[low]
            if _WORD_SCALES[low] >= 1000:
                total, current = total + current, 0.0
        elif seen and low in ("-", "and") and j + 1 < len(toks) and toks[j + 1].low in _WORD_NUMBERS:
            j += 1
            continue
        else:
            break
        seen, j = True, j + 1
    return (total + current, j) if seen else None


def _unit_at(toks: list[_Tok], j: int) -> tuple[str, int] | None:
    """The unit spelled at token j (skipping one hyphen, "41-month"; "per cent", "° C"): its key, next index."""
    if j < len(toks) and toks[j].text == "-" and j + 1 < len(toks) and toks[j + 1].start == toks[j].end:
        j += 1
    if j < len(toks) and toks[j].low in _QUALIFIERS:  # "7 business days"
        j += 1
    if j >= len(toks):
        return None
    low = toks[j].low
    if low in _WORDLIKE_UNITS:  # "42 in the UK", "3 a day": a unit only when written onto the number
        return None
    if low == "per" and j + 1 < len(toks) and toks[j + 1].low == "cent":
        return "percent", j + 2
    if low == "°" and j + 1 < len(toks) and toks[j + 1].low in ("c", "f"):
        return "°" + toks[j + 1].low, j + 2
    if low == "degrees" and j + 1 < len(toks) and toks[j + 1].low in ("c", "f", "celsius", "fahrenheit"):
        return "°" + toks[j + 1].low[0], j + 2
    return (low, j + 1) if unit_info(low) else None


def _quantities(text: str, toks: list[_Tok]) -> list[Claim]:
    """Numbers with their units; a unitless number of a range takes its partner's unit ("2 to 5 years"); adjacent
    times add up ("3 years and 2 months")."""
    found: list[tuple[int, int, Claim]] = []  # first token, next token, claim
    i = 0
    while i < len(toks):
        tok = toks[i]
        value, nxt, suffix, spelled = None, i + 1, "", False
        m = re.fullmatch(r"(\d+(?:[.,]\d+)*)([^\W\d_][^\W_]*(?:/[^\W_]+)?)?", tok.text)
        if m:
            value, suffix = _number(m.group(1)), (m.group(2) or "").casefold()
            if value is None:
                tok.used = True
                found.append((i, nxt, Claim("literal", tok.text, words=(_literal(tok.text),))))
                i += 1
                continue
            if suffix and unit_info(suffix) is None and suffix not in _ORDINAL and suffix not in _MULTIPLIERS:
                i += 1  # a code such as "4G" or "2FA": read as a name
                continue
        elif re.fullmatch(r"\d+(?::\d+|(?:[./]\d+)+)|[vV]\d+(?:\.\d+)+", tok.text):  # 8:00, 2.3.1, v2.3
            tok.used = True
            found.append((i, nxt, Claim("literal", tok.text, words=(_literal(tok.text),))))
            i += 1
            continue
        elif tok.low in _WORD_NUMBERS:
            parsed = _word_number(toks, i)
            if parsed:
                value, nxt = parsed
                spelled = True
        if value is None:
            i += 1
            continue
        first = i
        if suffix in _MULTIPLIERS:
            value, suffix = value * _MULTIPLIERS[suffix], ""
        elif nxt < len(toks) and toks[nxt].low in _MULTIPLIERS and toks[nxt].low not in ("k", "m"):
            value, nxt = value * _MULTIPLIERS[toks[nxt].low], nxt + 1
        unit = suffix if unit_info(suffix) else None
        if unit is None and i > 0 and toks[i - 1].low in _CURRENCY_PREFIX and toks[i - 1].end >= tok.start - 1:
            unit, first = toks[i - 1].low, i - 1  # "£42", "GBP 42"
        if unit is None:
            after = _unit_at(toks, nxt)
            if after:
                unit, nxt = after
        if unit and "/" not in unit and nxt + 1 < len(toks) and toks[nxt].low == "per" \
                and toks[nxt + 1].low in UNITS:
            unit, nxt = f"{unit}/{toks[nxt + 1].low}", nxt + 2  # "metres per second", "38p per mile"
        if spelled and unit is None:
            i = nxt  # "one" alone is too often no number ("the one that ...")
            continue
        for t in toks[first:nxt]:
            t.used = True
        found.append((first, nxt, _quantity(text[toks[first].start:toks[nxt - 1].end], value, unit)))
        i = nxt
    claims = [c for _, _, c in found]
    for n in range(len(found) - 1):  # ranges: "2 to 5 years", "2-5 years", "between 2 and 5 years"
        (_, end, a), (start, _, b) = found[n], found[n + 1]
        between = [t.low for t in toks[end:start]]
        if a.kind == b.kind == "quantity" and a.unit is None and b.unit and len(between) == 1 \
                and between[0] in _RANGE_WORDS:
            claims[n] = _quantity(f"{a.text} {b.unit}", a.number, b.unit)
    merged: list[Claim] = []
    for n, claim in enumerate(claims):  # compound times: "3 years and 2 months", "1 h 30 min"
        last = merged[-1] if merged else None
        if last is not None and claim.dim == "time" == last.dim and claim.value < (last.parts or (last,))[-1].value:
            between = [t.low for t in toks[found[n - 1][1]:found[n][0]]]
            if between in ([], ["and"], [","], [",", "and"]):
                parts = (*(last.parts or (last,)), claim)
                span = text[toks[found[n - len(parts) + 1][0]].start:toks[found[n][1] - 1].end]
                total, unit = sum(p.value for p in parts), claim.unit  # in the smallest unit: "38 months"
                merged[-1] = Claim("quantity", span, unit=unit,
                                   number=round(total / unit_info(unit)[1], 6), value=total, parts=parts)
                continue
        merged.append(claim)
    return merged


def _names(toks: list[_Tok]) -> list[Claim]:
    """Runs of capitalised words and product codes ("Quillfeather Q9", "IP66"); a capitalised word that opens a
    sentence counts only as part of a run or when it is a code or an acronym."""
    def is_code(t: _Tok) -> bool:
        return any(c.isdigit() for c in t.text) and any(c.isalpha() for c in t.text)

    def candidate(t: _Tok) -> bool:
        if t.used or not t.text[:1].isalnum():
            return False
        word = re.sub(r"['’]s$", "", t.text)
        if is_code(t):
            return True
        return word[:1].isupper() and word.casefold() not in _NOT_NAMES and not word.isdigit()

    claims, run = [], []
    sentence_start = True

    def close() -> None:
        if not run:
            return
        strong = len(run) > 1 or not run[0][1] or is_code(run[0][0]) or (run[0][0].text.isupper() and
                                                                         len(run[0][0].text) > 1)
        if strong:
            words = tuple(normalize(re.sub(r"['’]s$", "", t.text)) for t, _ in run)
            claims.append(Claim("name", " ".join(t.text for t, _ in run), words=tuple(w for w in words if w)))
        run.clear()

    for n, tok in enumerate(toks):
        if candidate(tok) and (not run or run[-1][0] is toks[n - 1]):
            run.append((tok, sentence_start))
        else:
            close()
            if candidate(tok):
                run.append((tok, sentence_start))
        if tok.text in _SENTENCE_END:
            close()
            sentence_start = True
        elif tok.text[:1].isalnum():
            sentence_start = False
    close()
    return claims


def extract(text: str) -> list[Claim]:
    """The checkable claims of a text: dates, quantities, literals, then names (citation markers ignored)."""
    text = CITATION.sub(" ", unicodedata.normalize("NFKC", text))
    dates, rest = _dates(text)
    times, rest = _times(rest)
    toks = [_Tok(m.group(0), m.start(), m.end()) for m in _TOKEN.finditer(rest)]
    quantities = _quantities(rest, toks)
    return [*dates, *times, *quantities, *_names(toks)]


# ---------------------------------------------------------------------------------------------- evidence


@dataclass
class Evidence:
    """What a source text can support: its quantities (and their parts), dates, literals and words."""

    quantities: list[Claim] = field(default_factory=list)
    dates: list[tuple[int | None, int | None, int | None]] = field(default_factory=list)
    literals: set[str] = field(default_factory=set)
    words: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, text: str) -> Evidence:
        """Read a source text once."""
        claims = extract(text)
        quantities = [c for c in claims if c.kind == "quantity"]
        quantities += [p for c in quantities for p in c.parts]  # the parts of a compound time support on their own
        words = normalize(text).split()
        joined = {a + b for a, b in zip(words, words[1:])}  # "IP 66" supports "IP66"
        codes = [re.fullmatch(r"([^\W\d_]+)(\d+)", w) for w in words]
        quantities += [_quantity(m.group(2), float(m.group(2)), None) for m in codes if m]  # "IP66" supports "IP 66"
        joined |= {m.group(1) for m in codes if m}
        return cls(quantities=quantities, dates=[c.date for c in claims if c.kind == "date"],
                   literals={c.words[0] for c in claims if c.kind == "literal"} | set(words),
                   words=set(words) | joined)

    def supports(self, claim: Claim) -> bool:
        """Whether this source states the claim (a quantity in any unit of its dimension, a date at least as
        precise, every word of a name)."""
        if claim.kind == "quantity":
            return any(_same_quantity(claim, q) for q in self.quantities)
        if claim.kind == "date":
            return any(all(c is None or c == s for c, s in zip(claim.date, d)) for d in self.dates)
        if claim.kind == "literal":
            return claim.words[0] in self.literals
        return all(w in self.words for w in claim.words)


def _same_quantity(claim: Claim, source: Claim) -> bool:
    """A bare number matches any quantity written with that number; a quantity matches one of its dimension
    (the same unit: the same number; another unit: within 2% once converted, "4 years" = "48 months", "three
    months" = "90 days"); money
    also matches a bare number (prices in tables)."""
    if claim.unit is None or (source.unit is None and claim.dim.startswith("money:")):
        return source.number is not None and math.isclose(claim.number, source.number, rel_tol=1e-9)
    if source.unit is None:
        return False
    if claim.unit.split("/")[0] == source.unit.split("/")[0] and ("/" in claim.unit) != ("/" in source.unit):
        return math.isclose(claim.number, source.number, rel_tol=1e-9)  # "38p per mile" and "38p"
    if claim.dim != source.dim:
        return False
    if claim.unit == source.unit:
        return math.isclose(claim.number, source.number, rel_tol=1e-9)
    return math.isclose(claim.value, source.value, rel_tol=0.02)
