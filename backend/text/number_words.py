"""How each language reads numbers aloud: the table that backend.text.numbers follows.

One `Reading` per language that num2words 0.5.14 spells well enough to speak. Languages it
spells with errors (Swedish "etttusen", Danish "en millioner") or whose numbers need agreement
this table does not know (Hebrew and Arabic gender, Korean native counters), and those it does
not have (Greek, Hindi, Malay, Swahili, Chinese), are absent: their text is left as written.
Words are given as (one, few, many): the forms after 1, after Slavic 2-4, and after the rest.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

Forms = tuple[str, str, str]


def forms(one: str, many: str) -> Forms:
    """Forms for a language with one plural: (one, many, many)."""
    return (one, many, many)


@dataclass(frozen=True)
class Money:
    """One currency's words: the unit and its hundredth, each with a grammatical gender that
    picks the form of "one" (`Reading.genders`)."""

    unit: Forms
    sub: Forms
    gender: str = "m"
    sub_gender: str = "m"


@dataclass(frozen=True)
class Clock:
    """How a time of day is read: `minutes` and `on_the_hour` are templates over {h}, {m} and
    {H} (the hour noun, by number); `zero` is said before minutes 01-09 ("nine oh five");
    `hours` replaces the hour's number word (Polish reads hours as ordinals); `separator` is a
    regex between hours and minutes; `absorbs` a word after the time that the reading already
    says ("12:30 Uhr"); `hour_mark` a letter that makes a number alone an hour ("21 h")."""

    minutes: str
    on_the_hour: str
    zero: str | None = None
    gender: str = "m"
    hour_nouns: tuple[str, str] = ("", "")
    hours: tuple[str, ...] = ()
    separator: str = ":"
    absorbs: str | None = None
    hour_mark: str | None = None


@dataclass(frozen=True)
class Reading:
    """One language's way of reading numbers.

    - `code`: num2words' language code. `decimal` and `groups`: the decimal separator and the
      characters that group thousands (groups of exactly three digits).
    - `point`: the word between a decimal's parts, whose decimals are then read digit by digit;
      None: num2words reads the decimal (Russian "три целых пять десятых").
    - `percent`: its forms ("Prozent"), None to leave percentages alone; `percent_first` for
      "yüzde elli"; `percent_fraction`: the form index after a decimal; `percent_gender`: the
      gender the number agrees with ("ein Prozent").
    - `years`: 1100-2099 read as years ("nineteen eighty-four"); else as cardinals.
    - `ordinal`: a regex for the suffix written after an ordinal's digits ("st|nd|rd|th"), or
      "dot" for "3." followed by a lower-case word or a month in `months`; `feminine`: the
      suffixes that make it feminine; `ordinal_after`: words that make the "3." after them an
      ordinal even before a capital ("der 3. Platz"), each with the ending they add ("am 3." ->
      "dritten"); before any other capital a "3." is left as written (it may end a sentence).
    - `money`: €, $ and £ by ISO code; `joiner` between units and cents.
    - `genders`: regex replacements that make a number's words agree with a noun's gender.
    - `plural`: the form index (0 one, 1 few, 2 many) for a whole number.
    - `after`: a last touch on every number's words (Turkish: spaces between the parts).
    """

    code: str
    decimal: str
    groups: str
    point: str | None
    percent: Forms | None = None
    percent_first: bool = False
    percent_fraction: int = 2
    percent_gender: str = ""
    years: bool = False
    ordinal: str | None = None
    feminine: tuple[str, ...] = ()
    months: tuple[str, ...] = ()
    ordinal_after: dict[str, str] = field(default_factory=dict)
    money: dict[str, Money] = field(default_factory=dict)
    joiner: str = " "
    clock: Clock | None = None
    genders: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)
    plural: Callable[[int], int] = lambda n: 0 if n == 1 else 2
    after: Callable[[str], str] = lambda words: words


def slavic_plural(n: int) -> int:
    """Russian: 1, 21, 31 take `one`; 2-4, 22-24 `few`; the rest (and 11-14) `many`."""
    if n % 10 == 1 and n % 100 != 11:
        return 0
    return 1 if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14 else 2


def polish_plural(n: int) -> int:
    """Polish: only 1 takes `one`; 2-4, 22-24 `few`; the rest `many`."""
    if n == 1:
        return 0
    return 1 if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14 else 2


# fmt: off
_TURKISH_PARTS = sorted(
    ["sıfır", "bir", "iki", "üç", "dört", "dörd", "beş", "altı", "yedi", "sekiz", "dokuz", "on",
     "yirmi", "otuz", "kırk", "elli", "altmış", "yetmiş", "seksen", "doksan", "yüz", "bin",
     "milyon", "milyar", "trilyon", "virgül", "eksi"],
    key=len,
    reverse=True,  # longest first: "altmış" before "altı"
)
# fmt: on
_TURKISH_ORDINAL = re.compile(r"[iıuü]?nc[iıuü]")


def turkish_spaced(words: str) -> str:
    """num2words writes Turkish numbers as one word ("binikiyüz"); Turkish writes them apart
    ("bin iki yüz"). An ordinal ending stays on its number; anything else that does not split
    into number words is returned unchanged."""
    parts: list[str] = []
    rest = words
    while rest:
        part = next((p for p in _TURKISH_PARTS if rest.startswith(p)), None)
        if part is None:
            if parts and _TURKISH_ORDINAL.fullmatch(rest):
                parts[-1] += rest
                break
            return words
        parts.append(part)
        rest = rest[len(part) :]
    return " ".join(parts)


_SPACES = " \u00a0\u202f\u2009"  # a space, no-break, narrow no-break and thin space
_NO_BREAK = "\u00a0\u202f\u2009"
_DE_MONTHS = (
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
)
# Polish reads the hours 0-24 as feminine ordinals ("dwunasta trzydzieści").
_POLISH_HOURS = (
    "zero",
    "pierwsza",
    "druga",
    "trzecia",
    "czwarta",
    "piąta",
    "szósta",
    "siódma",
    "ósma",
    "dziewiąta",
    "dziesiąta",
    "jedenasta",
    "dwunasta",
    "trzynasta",
    "czternasta",
    "piętnasta",
    "szesnasta",
    "siedemnasta",
    "osiemnasta",
    "dziewiętnasta",
    "dwudziesta",
    "dwudziesta pierwsza",
    "dwudziesta druga",
    "dwudziesta trzecia",
    "dwudziesta czwarta",
)
_ROMANCE_ORDINAL = "º|ª|\\.º|\\.ª"

# fmt: off
READINGS: dict[str, Reading] = {
    "en": Reading(
        "en", ".", ",", "point", forms("percent", "percent"), years=True,
        after=lambda words: words.replace(",", ""),  # "one thousand, two hundred": no pause
        ordinal="st|nd|rd|th", joiner=" and ",
        money={
            "EUR": Money(forms("euro", "euros"), forms("cent", "cents")),
            "USD": Money(forms("dollar", "dollars"), forms("cent", "cents")),
            "GBP": Money(forms("pound", "pounds"), forms("penny", "pence")),
        },
        clock=Clock("{h} {m}", "{h} o'clock", zero="oh"),
    ),
    "de": Reading(
        "de", ",", "." + _NO_BREAK, "Komma", forms("Prozent", "Prozent"), percent_gender="n",
        years=True,
        ordinal="dot", months=_DE_MONTHS,
        ordinal_after=dict.fromkeys(("der", "die", "das"), "")
        | dict.fromkeys(("am", "im", "zum", "zur", "vom", "beim", "dem", "den", "des"), "n"),
        joiner=" und ",
        money={
            "EUR": Money(forms("Euro", "Euro"), forms("Cent", "Cent")),
            "USD": Money(forms("Dollar", "Dollar"), forms("Cent", "Cent")),
            "GBP": Money(forms("Pfund", "Pfund"), forms("Penny", "Pence"), "n"),
        },
        clock=Clock("{h} Uhr {m}", "{h} Uhr", absorbs="Uhr"),
        genders={g: (("eins$", "ein" + end),) for g, end in (("m", ""), ("n", ""), ("f", "e"))},
    ),
    "fr": Reading(
        "fr", ",", _SPACES, "virgule", forms("pour cent", "pour cent"),
        ordinal="er|re|ère|e|ème", feminine=("re", "ère"), joiner=" et ",
        money={
            "EUR": Money(forms("euro", "euros"), forms("centime", "centimes")),
            "USD": Money(forms("dollar", "dollars"), forms("cent", "cents")),
            "GBP": Money(forms("livre", "livres"), forms("penny", "pence"), "f"),
        },
        clock=Clock(
            "{h} {H} {m}", "{h} {H}", gender="f", hour_nouns=("heure", "heures"),
            separator=f"(?::|[{_NO_BREAK} ]?h[{_NO_BREAK} ]?)", hour_mark="h",
        ),
        genders={"f": ((r"\bun$", "une"),)},
        plural=lambda n: 0 if n < 2 else 2,
    ),
    "es": Reading(
        "es", ",", "." + _NO_BREAK, "coma", forms("por ciento", "por ciento"),
        ordinal=_ROMANCE_ORDINAL, feminine=("ª", ".ª"), joiner=" con ",
        money={
            "EUR": Money(forms("euro", "euros"), forms("céntimo", "céntimos")),
            "USD": Money(forms("dólar", "dólares"), forms("centavo", "centavos")),
            "GBP": Money(forms("libra", "libras"), forms("penique", "peniques"), "f"),
        },
        clock=Clock("{h} y {m}", "{h} en punto", gender="f"),
        genders={
            "m": (("veintiuno$", "veintiún"), (r"\buno$", "un")),
            "f": (("uno$", "una"), (r"ientos\b", "ientas")),
        },
    ),
    "it": Reading(
        "it", ",", "." + _NO_BREAK, "virgola", forms("per cento", "per cento"),
        ordinal=_ROMANCE_ORDINAL, feminine=("ª", ".ª"), joiner=" e ",
        money={
            "EUR": Money(forms("euro", "euro"), forms("centesimo", "centesimi")),
            "USD": Money(forms("dollaro", "dollari"), forms("centesimo", "centesimi")),
            "GBP": Money(forms("sterlina", "sterline"), forms("penny", "pence"), "f"),
        },
        clock=Clock("{h} e {m}", "{h} in punto", gender="f"),
        genders={"m": (("^uno$", "un"),), "f": (("^uno$", "una"),)},
    ),
    "pt": Reading(
        "pt", ",", "." + _NO_BREAK, "vírgula", forms("por cento", "por cento"),
        ordinal=_ROMANCE_ORDINAL, feminine=("ª", ".ª"), joiner=" e ",
        money={
            "EUR": Money(forms("euro", "euros"), forms("cêntimo", "cêntimos")),
            "USD": Money(forms("dólar", "dólares"), forms("centavo", "centavos")),
            "GBP": Money(forms("libra", "libras"), forms("penny", "pence"), "f"),
        },
        clock=Clock("{h} e {m}", "{h} {H}", gender="f", hour_nouns=("hora", "horas")),
        genders={
            "f": (
                (r"\bum(?= mil\b|$)", "uma"), (r"\bdois(?= mil\b|$)", "duas"),
                (r"entos\b", "entas"),
            ),
        },
    ),
    "nl": Reading(
        "nl", ",", "." + _NO_BREAK, "komma", forms("procent", "procent"), years=True,
        ordinal="ste|de|e", joiner=" en ",
        money={
            "EUR": Money(forms("euro", "euro"), forms("cent", "cent")),
            "USD": Money(forms("dollar", "dollar"), forms("cent", "cent")),
            "GBP": Money(forms("pond", "pond"), forms("penny", "pence")),
        },
        clock=Clock("{h} uur {m}", "{h} uur", absorbs="uur"),
    ),
    "pl": Reading(
        "pl", ",", _SPACES, None, ("procent", "procent", "procent"), joiner=" i ",
        money={
            "EUR": Money(("euro", "euro", "euro"), ("cent", "centy", "centów"), "n"),
            "USD": Money(("dolar", "dolary", "dolarów"), ("cent", "centy", "centów")),
            "GBP": Money(("funt", "funty", "funtów"), ("pens", "pensy", "pensów")),
        },
        clock=Clock(
            "{h} {m}", "{h}", zero="zero",
            hours=_POLISH_HOURS,
        ),
        genders={"n": (("^jeden$", "jedno"),)},
        plural=polish_plural,
    ),
    "ru": Reading(
        "ru", ",", _SPACES, None, ("процент", "процента", "процентов"), percent_fraction=1,
        money={
            "EUR": Money(("евро", "евро", "евро"), ("цент", "цента", "центов")),
            "USD": Money(("доллар", "доллара", "долларов"), ("цент", "цента", "центов")),
            "GBP": Money(("фунт", "фунта", "фунтов"), ("пенс", "пенса", "пенсов")),
        },
        clock=Clock("{h} {m}", "{h} ноль ноль", zero="ноль"),
        plural=slavic_plural,
    ),
    "tr": Reading(
        "tr", ",", "." + _NO_BREAK, "virgül", forms("yüzde", "yüzde"), percent_first=True,
        ordinal="dot",
        money={
            "EUR": Money(forms("euro", "euro"), forms("sent", "sent")),
            "USD": Money(forms("dolar", "dolar"), forms("sent", "sent")),
            "GBP": Money(forms("sterlin", "sterlin"), forms("peni", "peni")),
        },
        clock=Clock("{h} {m}", "saat {h}", zero="sıfır"),
        after=turkish_spaced,
    ),
    "fi": Reading(
        "fi", ",", _SPACES, "pilkku", forms("prosentti", "prosenttia"), percent_fraction=2,
        ordinal="dot", joiner=" ja ",
        money={
            "EUR": Money(forms("euro", "euroa"), forms("sentti", "senttiä")),
            "USD": Money(forms("dollari", "dollaria"), forms("sentti", "senttiä")),
            "GBP": Money(forms("punta", "puntaa"), forms("penny", "pennyä")),
        },
        clock=Clock("{h} {m}", "kello {h}", zero="nolla"),
    ),
    "no": Reading(
        "no", ",", _SPACES, "komma", forms("prosent", "prosent"), years=True,
        ordinal="dot", joiner=" og ",
        money={
            "EUR": Money(forms("euro", "euro"), forms("cent", "cent")),
            "USD": Money(forms("dollar", "dollar"), forms("cent", "cent")),
            "GBP": Money(forms("pund", "pund"), forms("penny", "pence"), "n"),
        },
        clock=Clock("{h} {m}", "klokka {h}", zero="null"),
        genders={"n": (("^en$", "ett"),)},
    ),
}
# fmt: on
