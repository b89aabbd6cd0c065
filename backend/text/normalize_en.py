"""English text read as a narrator reads it, before numbers are spelt out: abbreviations, Roman
numerals in headings, dates, decades, clock times with a.m./p.m., amounts with a scale ("$5
million"), units, fractions, ranges and negative numbers.

Each rule rewrites what it recognises into words, leaving the digits it keeps for
backend.text.numbers (so "5 km" becomes "5 kilometers", then "five kilometers"). A form not
recognised is left as written. Deterministic, no I/O, safe from any thread.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from num2words import num2words

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_MONTH = "|".join(
    [*MONTHS, *(rf"{m[:3]}\." for m in MONTHS if len(m) > 4), r"Sept\."]
)  # "Jan." "Sept."; "May" "June" "July" have no short form worth reading

# A dotted abbreviation -> its words. `final`: it may end a sentence ("etc."), so the full stop
# is kept when a capital or the end follows. Those in _BEFORE_NAME are titles, read as such
# only before a capitalised word ("Dr. Watson"; "the Dr." is left alone).
_ABBREVIATIONS: dict[str, tuple[str, bool]] = {
    "e.g.": ("for example", False),
    "i.e.": ("that is", False),
    "etc.": ("et cetera", True),
    "et al.": ("and colleagues", True),
    "vs.": ("versus", False),
    "cf.": ("compare", False),
    "approx.": ("approximately", False),
    "Inc.": ("Incorporated", True),
    "Ltd.": ("Limited", True),
    "Dept.": ("Department", False),
}
_BEFORE_NAME = {
    "Mr.": "Mister",
    "Mrs.": "Missus",
    "Ms.": "Miz",
    "Dr.": "Doctor",
    "Prof.": "Professor",
    "St.": "Saint",
    "Mt.": "Mount",
    "Capt.": "Captain",
    "Sgt.": "Sergeant",
    "Lt.": "Lieutenant",
    "Col.": "Colonel",
    "Gen.": "General",
    "Rev.": "Reverend",
}
_AFTER_NAME = {"Jr.": "Junior", "Sr.": "Senior"}
# Read before a number: "No. 5" -> "number 5", "pp. 10" -> "pages 10".
_BEFORE_NUMBER = {
    "No.": "number",
    "no.": "number",
    "Nos.": "numbers",
    "Fig.": "figure",
    "fig.": "figure",
    "Figs.": "figures",
    "Eq.": "equation",
    "p.": "page",
    "pp.": "pages",
    "Vol.": "volume",
    "vol.": "volume",
    "Ch.": "chapter",
    "Sec.": "section",
    "#": "number",
}

# Units after a number: symbol -> (singular, plural). Longest symbols are tried first.
_UNITS: dict[str, tuple[str, str]] = {
    "km/h": ("kilometer per hour", "kilometers per hour"),
    "m/s": ("meter per second", "meters per second"),
    "mph": ("mile per hour", "miles per hour"),
    "km²": ("square kilometer", "square kilometers"),
    "m²": ("square meter", "square meters"),
    "km": ("kilometer", "kilometers"),
    "cm": ("centimeter", "centimeters"),
    "mm": ("millimeter", "millimeters"),
    "µm": ("micrometer", "micrometers"),
    "μm": ("micrometer", "micrometers"),
    "nm": ("nanometer", "nanometers"),
    "m": ("meter", "meters"),
    "mi": ("mile", "miles"),
    "ft": ("foot", "feet"),
    "yd": ("yard", "yards"),
    "kg": ("kilogram", "kilograms"),
    "mg": ("milligram", "milligrams"),
    "g": ("gram", "grams"),
    "lb": ("pound", "pounds"),
    "lbs": ("pound", "pounds"),
    "oz": ("ounce", "ounces"),
    "ml": ("milliliter", "milliliters"),
    "mL": ("milliliter", "milliliters"),
    "L": ("liter", "liters"),
    "°C": ("degree Celsius", "degrees Celsius"),
    "°F": ("degree Fahrenheit", "degrees Fahrenheit"),
    "°": ("degree", "degrees"),
    "kHz": ("kilohertz", "kilohertz"),
    "MHz": ("megahertz", "megahertz"),
    "GHz": ("gigahertz", "gigahertz"),
    "Hz": ("hertz", "hertz"),
    "kWh": ("kilowatt hour", "kilowatt hours"),
    "kW": ("kilowatt", "kilowatts"),
    "W": ("watt", "watts"),
    "V": ("volt", "volts"),
    "TB": ("terabyte", "terabytes"),
    "GB": ("gigabyte", "gigabytes"),
    "MB": ("megabyte", "megabytes"),
    "kB": ("kilobyte", "kilobytes"),
    "KB": ("kilobyte", "kilobytes"),
    "ms": ("millisecond", "milliseconds"),
    "min": ("minute", "minutes"),
    "h": ("hour", "hours"),
    "ha": ("hectare", "hectares"),
}
_SCALES = {
    "thousand": "thousand",
    "k": "thousand",
    "million": "million",
    "m": "million",
    "mn": "million",
    "billion": "billion",
    "bn": "billion",
    "b": "billion",
    "trillion": "trillion",
}
_CURRENCIES = {"$": "dollars", "€": "euros", "£": "pounds"}
_HEADING_WORDS = (
    r"Chapter|Part|Book|Volume|Vol\.|Section|Act|Scene|Appendix|Canto|Lecture|Article|"
    r"Phase|Stage|Round|Psalm|World War"
)
_ROMAN = re.compile(r"M{0,3}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})")
_ROMAN_VALUES = {"M": 1000, "D": 500, "C": 100, "L": 50, "X": 10, "V": 5, "I": 1}
_NUMBER = r"\d[\d,]*(?:\.\d+)?"
_FRACTIONS = {(1, 2): "one half", (1, 4): "one quarter", (3, 4): "three quarters"}


def roman_value(numeral: str) -> int | None:
    """The value of a well-formed Roman numeral (either case), None for anything else."""
    upper = numeral.upper()
    if not upper or _ROMAN.fullmatch(upper) is None:
        return None
    total = 0
    for here, following in zip(upper, [*upper[1:], ""], strict=True):
        value = _ROMAN_VALUES[here]
        total += -value if following and _ROMAN_VALUES[following] > value else value
    return total


def _ordinal(n: int) -> str:
    return num2words(n, to="ordinal")


def _month(written: str) -> str:
    short = written.rstrip(".")[:3]
    return next(month for month in MONTHS if month.startswith(short))


def _ended(words: str, final: bool, match: re.Match[str]) -> str:
    """An abbreviation's words, with its full stop kept where it also ended the sentence."""
    return words + ("." if final and match["end"] is not None else "")


def _one_of(table: dict[str, object]) -> str:
    """A regex group matching any key of `table`, longest first."""
    return "(?P<a>" + "|".join(re.escape(k) for k in sorted(table, key=len, reverse=True)) + ")"


# One pass per table (a pass per abbreviation would read a long book forty times).
_ABBREVIATION_PASSES = (
    re.compile(rf"(?<![\w.]){_one_of(_ABBREVIATIONS)}(?P<end>(?=\s+[A-Z]|\s*$))?"),
    re.compile(rf"(?<![\w.]){_one_of(_BEFORE_NAME)}(?=\s+[A-Z])"),
    re.compile(rf"(?<=[A-Za-z])(?P<gap>,?\s){_one_of(_AFTER_NAME)}"),
    re.compile(rf"(?<![\w.]){_one_of(_BEFORE_NUMBER)}(?=\s?\d)"),
)


def _abbreviation(match: re.Match[str]) -> str:
    written = match["a"]
    if written in _ABBREVIATIONS:
        words, final = _ABBREVIATIONS[written]
        return _ended(words, final, match)
    if match.re is _ABBREVIATION_PASSES[2]:
        return match["gap"] + _AFTER_NAME[written]
    if match.re is _ABBREVIATION_PASSES[1]:
        return _BEFORE_NAME[written]
    return _BEFORE_NUMBER[written] + (" " if written == "#" else "")


def _abbreviations(text: str) -> str:
    for pattern in _ABBREVIATION_PASSES:
        text = pattern.sub(_abbreviation, text)
    # After a name and not before one: a street ("Baker St., London"; "on Baker St. today").
    text = re.sub(r"\b(?P<name>[A-Z][a-z]+) St\.(?=[,;]|\s+[a-z]|\s*$)", r"\g<name> Street", text)
    return re.sub(r"(?<=\s)&(?=\s)", "and", text)


def _roman_headings(text: str) -> str:
    def after_word(match: re.Match[str]) -> str:
        value = roman_value(match["numeral"])
        if value is None:
            return match.group()
        word = "Volume" if match["word"] == "Vol." else match["word"]
        return f"{word} {num2words(value)}"

    text = re.sub(
        rf"\b(?P<word>{_HEADING_WORDS})\s+(?P<numeral>[IVXLCDM]+|[ivxlcdm]+)\b", after_word, text
    )

    def line_start(match: re.Match[str]) -> str:
        value = roman_value(match["numeral"])
        if value is None:
            return match.group()
        return f"{match['lead']}{num2words(value).capitalize()}{match['mark']}"

    # "IV. The Return" at the start of a line: a heading's number.
    return re.sub(
        r"(?m)^(?P<lead>[ \t]*)(?P<numeral>[IVXLC]+)(?P<mark>[.:])(?=[ \t]+[A-Z])", line_start, text
    )


def _dates(text: str) -> str:
    def iso(match: re.Match[str]) -> str:
        year, month, day = (int(match[g]) for g in ("y", "mo", "d"))
        if not (1 <= month <= 12 and 1 <= day <= 31):
            return match.group()
        return f"{MONTHS[month - 1]} {_ordinal(day)}, {year}"

    text = re.sub(r"(?<![\w-])(?P<y>1\d{3}|20\d{2})-(?P<mo>\d{2})-(?P<d>\d{2})(?![\w-])", iso, text)

    def month_first(match: re.Match[str]) -> str:
        day = int(match["d"])
        if not 1 <= day <= 31:
            return match.group()
        return f"{_month(match['m'])} {_ordinal(day)}"

    text = re.sub(
        rf"\b(?P<m>{_MONTH}) (?P<d>\d{{1,2}})(?:st|nd|rd|th)?(?![\w:.,]\d|\w)", month_first, text
    )

    def day_first(match: re.Match[str]) -> str:
        day = int(match["d"])
        if not 1 <= day <= 31:
            return match.group()
        the = "" if match.string[: match.start()].endswith(("the ", "The ")) else "the "
        return f"{the}{_ordinal(day)} of {_month(match['m'])}"

    return re.sub(
        rf"(?<![\w.,])(?P<d>\d{{1,2}})(?:st|nd|rd|th)? (?:of )?(?P<m>{_MONTH})(?!\w)",
        day_first,
        text,
    )


def _decades(text: str) -> str:
    def decade(match: re.Match[str]) -> str:
        words = num2words(int(match["y"]), to="year")
        return words[:-1] + "ies" if words.endswith("y") else words + "s"

    text = re.sub(r"(?<![\w'\u2019])(?P<y>1[1-9]\d0|20[0-9]0)s\b", decade, text)
    return re.sub(
        r"(?<!\w)['\u2019](?P<y>[2-9]0)s\b",
        lambda m: num2words(int(m["y"]))[:-1] + "ies",
        text,
    )


def _clock(text: str) -> str:
    def time(match: re.Match[str]) -> str:
        hour, minute = int(match["h"]), int(match["mi"] or 0)
        if not (1 <= hour <= 12 and minute < 60):
            return match.group()
        spoken = num2words(hour)
        if minute:
            spoken += f" {'oh ' if minute < 10 else ''}{num2words(minute)}"
        tail = "." if match["dot"] and match["next"] is not None else ""
        return f"{spoken} {match['ap'].upper()} M{tail}"

    return re.sub(
        r"(?<![\w:.,])(?P<h>\d{1,2})(?::(?P<mi>\d{2}))?\s?(?P<ap>[AaPp])\.?\s?[Mm](?P<dot>\.)?"
        r"(?!\w)(?P<next>(?=\s+[A-Z]|\s*$))?",
        time,
        text,
    )


def _money_scales(text: str) -> str:
    def amount(match: re.Match[str]) -> str:
        scale = _SCALES[match["scale"].lower()]
        return f"{match['n']} {scale} {_CURRENCIES[match['c']]}"

    scales = "|".join(sorted(_SCALES, key=len, reverse=True))
    return re.sub(
        rf"(?P<c>[$€£])\s?(?P<n>{_NUMBER})\s?(?P<scale>{scales})\b",
        amount,
        text,
        flags=re.IGNORECASE,
    )


def _units(text: str) -> str:
    symbols = "|".join(re.escape(s) for s in sorted(_UNITS, key=len, reverse=True))

    def unit(match: re.Match[str]) -> str:
        one, many = _UNITS[match["u"]]
        return f"{match['n']} {one if match['n'] == '1' else many}"

    return re.sub(rf"(?<![\w.,])(?P<n>-?{_NUMBER})\s?(?P<u>{symbols})(?![\w/²])", unit, text)


def _fractions(text: str) -> str:
    def fraction(match: re.Match[str]) -> str:
        top, bottom = int(match["a"]), int(match["b"])
        if (top, bottom) in _FRACTIONS:
            return _FRACTIONS[(top, bottom)]
        if not 0 < top < bottom <= 10 or bottom == 2:
            return match.group()
        return f"{num2words(top)} {_ordinal(bottom)}{'s' if top > 1 else ''}"

    return re.sub(r"(?<![\w/.,])(?P<a>\d{1,2})/(?P<b>\d{1,2})(?![\w/]|[.,]\d)", fraction, text)


def _ranges_and_signs(text: str) -> str:
    text = re.sub(rf"(?<=\d)\s?[\u2013\u2014]\s?(?={_NUMBER})", " to ", text)
    text = re.sub(r"(?<![\w-])(1[1-9]\d\d|20\d\d)-(1[1-9]\d\d|20\d\d)(?![\w-])", r"\1 to \2", text)
    return re.sub(r"(?<![\w\d.,-])[-\u2212](?=\d)", "minus ", text)


def _phone_numbers(text: str) -> str:
    """ "555-1234", "(555) 123-4567": read digit by digit, a pause between the groups."""

    def digits(match: re.Match[str]) -> str:
        groups = re.findall(r"\d+", match.group())
        return ", ".join(" ".join(num2words(int(d)) for d in group) for group in groups)

    return re.sub(r"(?<![\w.-])(?:\(\d{3}\) ?|\d{3}-)?\d{3}-\d{4}(?![\w-])", digits, text)


RULES: tuple[Callable[[str], str], ...] = (
    _abbreviations,
    _roman_headings,
    _dates,
    _decades,
    _clock,
    _money_scales,
    _fractions,
    _ranges_and_signs,
    _phone_numbers,
    _units,
)


def normalize_english(text: str) -> str:
    """`text` with the forms named in the module docstring in words; digits stay digits."""
    for rule in RULES:
        text = rule(text)
    return text
