"""Numbers spelt out in the language that speaks them, for models that read digits badly.

`spell_numbers` rewrites, per backend.text.number_words.READINGS: whole numbers (with that
language's thousands separators), decimals (with its decimal separator), years 1100-2099,
ordinals where the language marks them simply ("21st", "3.", "1er", "2º", "3e"), percentages,
amounts in €, $ and £, and times of day ("12:30", French "9h30"). Conservative by design: a
number it does not understand (a leading zero, "3,5" in English, "1.2.3", a date "12.03.2024",
digits glued to letters as in "MP3") is left as written, and so is all text in a language
without a reading.
"""

from __future__ import annotations

import functools
import re
from decimal import Decimal

from num2words import num2words

from backend.text.number_words import READINGS, Reading

MAX_DIGITS = 15  # longer runs of digits are codes or identifiers, not quantities
_SYMBOLS = {"€": "EUR", "$": "USD", "£": "GBP"}
_GAP = "[ \u00a0\u202f]?"


def spell_numbers(text: str, language: str) -> str:
    """`text` with its numbers in words of `language` (ISO 639-1, "de"); unchanged when the
    language has no reading (backend.text.number_words says which do and why). Deterministic,
    no I/O, safe from any thread."""
    reading = READINGS.get(language.strip().lower())
    if reading is None:
        return text
    pattern = _pattern(reading.code)
    return pattern.sub(lambda match: _spoken(match, reading) or match.group(), text)


@functools.cache
def _pattern(code: str) -> re.Pattern[str]:
    """One regex for every form `code` reads, tried left to right at each position."""
    reading = READINGS[code]
    groups, decimal = re.escape(reading.groups), re.escape(reading.decimal)
    whole = rf"\d{{1,3}}(?:[{groups}]\d{{3}})+|\d+"
    number = rf"(?:{whole})(?:{decimal}\d+)?"
    money = rf"(?:{whole})(?:{decimal}\d{{1,2}})?"
    start, end = r"(?<![\w])(?<!\d[.,:])", r"(?![\w])(?![.,:]\d)"
    symbols = "".join(re.escape(s) for s in _SYMBOLS)
    forms = [
        rf"(?P<sym>[{symbols}]){_GAP}{start}(?P<amount>{money}){end}",
        rf"{start}(?P<amount2>{money}){_GAP}(?P<sym2>[{symbols}])(?![\w])",
    ]
    if reading.clock:
        clock = reading.clock
        absorbs = rf"(?:[ \u00a0]{clock.absorbs}\b)?" if clock.absorbs else ""
        forms.append(
            rf"(?<![\w.,:])(?P<hour>[01]?\d|2[0-4]){clock.separator}(?P<minute>[0-5]\d)"
            rf"(?![\w])(?![.,:]?\d){absorbs}"
        )
        if clock.hour_mark:
            forms.append(
                rf"(?<![\w.,:])(?P<hour_only>[01]?\d|2[0-4]){_GAP}{clock.hour_mark}(?![\w])"
            )
    if reading.percent:
        forms.append(rf"{start}(?P<percent>{number}){_GAP}%")
        if reading.percent_first:
            forms.append(rf"%{_GAP}(?P<percent2>{number}){end}")
    if reading.ordinal == "dot":
        forms.append(r"(?<!\S)(?P<dotted>[1-9]\d?)\.(?= (?P<next>\w+))")
    elif reading.ordinal:
        forms.append(rf"{start}(?P<ordinal>\d+)(?P<suffix>{reading.ordinal})(?![\w])")
    forms.append(rf"{start}(?P<number>{number}){end}")
    return re.compile("|".join(f"(?:{form})" for form in forms))


def _spoken(match: re.Match[str], reading: Reading) -> str | None:
    """The words for one match, or None to leave it as written."""
    found = match.groupdict()
    if found["sym"] or found["sym2"]:
        symbol = found["sym"] or found["sym2"]
        return _money(found["amount"] or found["amount2"], _SYMBOLS[symbol], reading)
    if found.get("hour"):
        return _clock(int(found["hour"]), int(found["minute"]), reading)
    if found.get("hour_only"):
        return _clock(int(found["hour_only"]), 0, reading)
    if found.get("percent") or found.get("percent2"):
        return _percent(found.get("percent") or found["percent2"], reading)
    if found.get("dotted"):
        return _dotted(match, reading)
    if found.get("ordinal"):
        return _ordinal(int(found["ordinal"]), found["suffix"], reading)
    return _number(found["number"], reading, year=True)


def _value(written: str, reading: Reading) -> Decimal | None:
    """The number `written` in `reading`'s notation; None for a leading zero or too many
    digits (an identifier, a code or a phone number, better left to the reader)."""
    whole, _, fraction = written.partition(reading.decimal)
    digits = re.sub(r"\D", "", whole)
    if len(digits) > MAX_DIGITS or (len(digits) > 1 and digits[0] == "0"):
        return None
    return Decimal(f"{digits}.{fraction}" if fraction else digits)


def _number(written: str, reading: Reading, year: bool = False, gender: str = "") -> str | None:
    """A whole number or decimal as words; a bare 1100-2099 as a year where years are read."""
    value = _value(written, reading)
    if value is None:
        return None
    if value == value.to_integral_value() and reading.decimal not in written:
        n = int(value)
        plain = re.fullmatch(r"\d{4}", written) is not None
        if year and plain and reading.years and 1100 <= n <= 2099:
            return reading.after(num2words(n, lang=reading.code, to="year"))
        return _whole(n, reading, gender)
    fraction = written.partition(reading.decimal)[2]
    if reading.point is None:
        return reading.after(num2words(value, lang=reading.code))
    digits = " ".join(_whole(int(d), reading) for d in fraction)
    return f"{_whole(int(value), reading, gender)} {reading.point} {digits}"


def _whole(n: int, reading: Reading, gender: str = "") -> str:
    """A whole number's words, agreeing with a noun of `gender` ("" for none)."""
    words = reading.after(num2words(n, lang=reading.code))
    for pattern, replacement in reading.genders.get(gender, ()):
        words = re.sub(pattern, replacement, words)
    return words


def _money(written: str, currency: str, reading: Reading) -> str | None:
    money = reading.money.get(currency)
    value = _value(written, reading)
    if money is None or value is None:
        return None
    units = int(value)
    cents = int((value - units) * 100)
    spoken = (
        []
        if units == 0 and cents
        else [f"{_whole(units, reading, money.gender)} {money.unit[reading.plural(units)]}"]
    )
    if cents:
        spoken.append(
            f"{_whole(cents, reading, money.sub_gender)} {money.sub[reading.plural(cents)]}"
        )
    return reading.joiner.join(spoken)


def _percent(written: str, reading: Reading) -> str | None:
    assert reading.percent is not None
    words = _number(written, reading, gender=reading.percent_gender)
    value = _value(written, reading)
    if words is None or value is None:
        return None
    whole = value == value.to_integral_value() and reading.decimal not in written
    form = reading.percent[reading.plural(int(value)) if whole else reading.percent_fraction]
    return f"{form} {words}" if reading.percent_first else f"{words} {form}"


def _clock(hour: int, minute: int, reading: Reading) -> str | None:
    clock = reading.clock
    assert clock is not None
    h = clock.hours[hour] if clock.hours else _whole(hour, reading, clock.gender)
    noun = clock.hour_nouns[0 if reading.plural(hour) == 0 else 1]
    if minute == 0:
        return clock.on_the_hour.format(h=h, H=noun).replace("  ", " ").strip()
    m = _whole(minute, reading)
    if minute < 10 and clock.zero:
        m = f"{clock.zero} {m}"
    return clock.minutes.format(h=h, m=m, H=noun).replace("  ", " ").strip()


def _ordinal(n: int, suffix: str, reading: Reading) -> str | None:
    """An ordinal written with a suffix ("21st", "1er", "2ª", "3e"), checked where the suffix
    tells the number (English "1th" is left alone)."""
    if reading.code == "en" and suffix != _english_suffix(n):
        return None
    words = reading.after(num2words(n, lang=reading.code, to="ordinal"))
    if reading.code == "fr" and n == 1 and suffix in reading.feminine:
        return "première"
    if suffix in reading.feminine:
        words = re.sub(r"o\b", "a", words)  # primero -> primera, vigésimo -> vigésima
    return words


def _english_suffix(n: int) -> str:
    if 11 <= n % 100 <= 13:
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")


def _dotted(match: re.Match[str], reading: Reading) -> str | None:
    """ "3." as an ordinal where the next word shows it is one: it starts in lower case ("3.
    tammikuuta") or is a month ("3. Oktober"); German adds -n after "am", "im", "dem"... Otherwise
    the sentence ends after a number ("Es waren 3. Dann")."""
    following = match.group("next")
    before = match.string[: match.start()].split()
    after = before[-1].lower() if before else ""
    if not (
        following[0].islower() or following in reading.months or after in reading.ordinal_after
    ):
        return None
    words = reading.after(num2words(int(match.group("dotted")), lang=reading.code, to="ordinal"))
    return words + reading.ordinal_after.get(after, "")
