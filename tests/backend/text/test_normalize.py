"""Tests for backend/text/normalize.py (and normalize_en.py, normalize_web.py): what a narrator
says for each written form, case by case."""

from __future__ import annotations

import pytest

from backend.core.speech import SynthesisParams
from backend.engines.piper import PiperEngine
from backend.jobs.quality import QualityChecker, error_rate
from backend.text.normalize import normalize
from backend.text.normalize_en import roman_value

ENGLISH = [
    # numbers, decimals, negatives, ranges, fractions
    ("It weighs 1,250 tons.", "It weighs one thousand two hundred and fifty tons."),
    ("Pi is about 3.14.", "Pi is about three point one four."),
    ("It fell to -5 overnight.", "It fell to minus five overnight."),
    ("See pages 10–12.", "See pages ten to twelve."),
    ("Add 1/2 cup, then 3/4 and 2/3.", "Add one half cup, then three quarters and two thirds."),
    # ordinals and years, decades
    ("The 21st century began.", "The twenty-first century began."),
    ("She came 3rd of 12.", "She came third of twelve."),
    ("It fell in 1492.", "It fell in fourteen ninety-two."),
    ("The war of 1914-1918.", "The war of nineteen fourteen to nineteen eighteen."),
    ("In the 1990s and the '80s.", "In the nineteen nineties and the eighties."),
    # dates
    ("On March 3, 2024 we met.", "On March third, twenty twenty-four we met."),
    ("Born on 4 July 1776.", "Born on the fourth of July seventeen seventy-six."),
    ("By the 3rd of May.", "By the third of May."),
    ("Filed on 2024-03-15.", "Filed on March fifteenth, twenty twenty-four."),
    ("Due Jan. 5.", "Due January fifth."),
    # times
    ("We left at 12:30.", "We left at twelve thirty."),
    ("Meet at 9:05 a.m. Then go.", "Meet at nine oh five A M. Then go."),
    ("Open until 10pm tonight.", "Open until ten P M tonight."),
    # currency and percentages
    ("It cost $5.50.", "It cost five dollars and fifty cents."),
    ("He paid £3.", "He paid three pounds."),
    ("A budget of $2.5 billion.", "A budget of two point five billion dollars."),
    ("Sales rose 12%.", "Sales rose twelve percent."),
    # units
    ("A 10 km walk.", "A ten kilometers walk."),
    ("It weighs 1 kg.", "It weighs one kilogram."),
    ("At 20°C or -5 °C.", "At twenty degrees Celsius or minus five degrees Celsius."),
    ("Drive at 60 mph.", "Drive at sixty miles per hour."),
    ("A 64 GB card.", "A sixty-four gigabytes card."),
    # abbreviations
    ("Dr. Watson met Mr. Holmes.", "Doctor Watson met Mister Holmes."),
    ("Fruit, e.g. apples, i.e. food.", "Fruit, for example apples, that is food."),
    ("Apples, pears, etc. Then more.", "Apples, pears, et cetera. Then more."),
    ("See Fig. 3 on p. 12.", "See figure three on page twelve."),
    ("Room No. 5 and #2.", "Room number five and number two."),
    ("Martin Luther King, Jr. spoke.", "Martin Luther King, Junior spoke."),
    ("Salt & pepper.", "Salt and pepper."),
    ("He lived on St. Helena.", "He lived on Saint Helena."),
    ("On Baker St., near St. Paul.", "On Baker Street, near Saint Paul."),
    ("Walk down Main St. today.", "Walk down Main Street today."),
    # Roman numerals in headings
    ("Chapter IV", "Chapter four"),
    ("Part XII: The End", "Part twelve: The End"),
    ("IX. The Return", "Nine. The Return"),
    ("After World War II ended.", "After World War two ended."),
    # addresses
    (
        "Visit https://www.example.com/shop/ today.",
        "Visit w w w dot example dot com slash shop today.",
    ),
    ("Go to example.org now.", "Go to example dot org now."),
    ("Write to jane.doe@example.org.", "Write to jane dot doe at example dot org."),
    (
        "Mail first_last+news@mail-host.co.uk",
        "Mail first underscore last plus news at mail dash host dot co dot uk",
    ),
    # phone numbers
    ("Call 555-1234.", "Call five five five, one two three four."),
    # left as written
    ("An MP3 player.", "An MP3 player."),
    ("I think, therefore I am.", "I think, therefore I am."),
    ("the Dr. said", "the Dr. said"),
    ("Version 007 shipped.", "Version 007 shipped."),
]


@pytest.mark.parametrize(("written", "spoken"), ENGLISH)
def test_english_is_read_as_a_narrator_reads_it(written: str, spoken: str) -> None:
    assert normalize(written, "en") == spoken


OTHERS = [
    ("de", "Am 3. Oktober um 12:30 Uhr kostete es 5 €.",
     "Am dritten Oktober um zwölf Uhr dreißig kostete es fünf Euro."),
    ("de", "Schreiben Sie an info@beispiel.de.",
     "Schreiben Sie an info at beispiel Punkt de."),
    ("fr", "Il est 9h30 et cela coûte 12,50 €.",
     "Il est neuf heures trente et cela coûte douze euros et cinquante centimes."),
    ("es", "Visite www.ejemplo.es hoy.", "Visite w w w punto ejemplo punto es hoy."),
    ("it", "Il 25% di 200.", "Il venticinque per cento di duecento."),
]  # fmt: skip


@pytest.mark.parametrize(("language", "written", "spoken"), OTHERS)
def test_other_languages_are_read_in_their_own_words(
    language: str, written: str, spoken: str
) -> None:
    assert normalize(written, language) == spoken


def test_a_language_without_a_reading_is_left_as_written() -> None:
    text = "会议在 12:30 开始，网址 www.example.com"
    assert normalize(text, "zh") == text


def test_no_language_means_english() -> None:
    assert normalize("Chapter II costs $3.") == "Chapter two costs three dollars."


@pytest.mark.parametrize("written", [case[0] for case in ENGLISH])
def test_normalising_twice_gives_what_normalising_once_gave(written: str) -> None:
    once = normalize(written, "en")
    assert normalize(once, "en") == once


@pytest.mark.parametrize(
    ("numeral", "value"),
    [("IV", 4), ("ix", 9), ("XLII", 42), ("MCMLXXXIV", 1984), ("IIII", None), ("VX", None)],
)
def test_roman_numerals_are_read_only_when_well_formed(numeral: str, value: int | None) -> None:
    assert roman_value(numeral) == value


SAMPLE = (
    "Dr. Smith paid $5.50 on March 3, 2024 at 10:30 a.m. for 12 km of road. "
    "Chapter IV starts on p. 21, e.g. with 25% of the 1990s."
)


def test_a_normalised_sample_spoken_by_piper_is_heard_back_by_whisper_as_its_words():
    """Round trip: the spoken text through real Piper speech and Whisper tiny.en. Whisper
    writes what it hears in its own way ("$5.50", "10.30am"), so what it heard is normalised
    too before the words are compared."""
    engine = PiperEngine()
    engine.load()
    spoken = normalize(SAMPLE, "en")
    assert not any(c.isdigit() for c in spoken), spoken
    heard = QualityChecker().transcribe(engine.synthesize(spoken, "builtin", SynthesisParams()))
    assert error_rate(normalize(heard, "en"), spoken) <= 0.2, (heard, spoken)
