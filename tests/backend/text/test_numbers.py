"""Tests for backend/text/numbers.py: numbers read aloud in the language that speaks them."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.core.models import LANGUAGES
from backend.text.number_words import READINGS, turkish_spaced
from backend.text.numbers import spell_numbers

CASES = [
    # English: commas group thousands, a point marks decimals, four-digit years as years.
    ("en", "I have 3 cats and 1,000 dogs.", "I have three cats and one thousand dogs."),
    ("en", "In 1984 it was 3.14.", "In nineteen eighty-four it was three point one four."),
    ("en", "The 21st, the 2nd and the 13th.", "The twenty-first, the second and the thirteenth."),
    (
        "en",
        "It cost $12.50, €3 or £1.01.",
        "It cost twelve dollars and fifty cents, three euros or one pound and one penny.",
    ),
    ("en", "50% and 2.5%", "fifty percent and two point five percent"),
    ("en", "At 9:05, 12:00 and 12:30.", "At nine oh five, twelve o'clock and twelve thirty."),
    # German: 3,5 and 1.000; "3." is an ordinal before a month, a lower-case word, after "der".
    (
        "de",
        "Es kostet 12,50 € und 1.000 Leute kamen.",
        "Es kostet zwölf Euro und fünfzig Cent und eintausend Leute kamen.",
    ),
    (
        "de",
        "Am 3. Oktober 1990 um 12:30 Uhr.",
        "Am dritten Oktober neunzehnhundertneunzig um zwölf Uhr dreißig.",
    ),
    (
        "de",
        "Der 1. Platz, 3,5 % und 1 %.",
        "Der erste Platz, drei Komma fünf Prozent und ein Prozent.",
    ),
    ("de", "1 € und 21 £", "ein Euro und einundzwanzig Pfund"),
    # French: spaces group thousands; 1er, 1re, 21e; 9h30.
    (
        "fr",
        "Le 1er mai, la 1re fois, le 21e siècle.",
        "Le premier mai, la première fois, le vingt et unième siècle.",
    ),
    (
        "fr",
        "3,5 % et 12,50 €, 1 £.",
        "trois virgule cinq pour cent et douze euros et cinquante centimes, une livre.",
    ),
    (
        "fr",
        "À 9h30, 14:00 ou 21 h, 1 000 000 fois.",
        "À neuf heures trente, quatorze heures ou vingt et une heures, un million fois.",
    ),
    # Spanish: 1.º and 2.ª; un, una, veintiún, doscientas.
    ("es", "El 1.º y la 2.ª, 1.000 personas.", "El primero y la segunda, mil personas."),
    (
        "es",
        "21 €, 1 £, 200 £ y 3,5 %.",
        "veintiún euros, una libra, doscientas libras y tres coma cinco por ciento.",
    ),
    ("es", "A las 21:15.", "A las veintiuna y quince."),
    # Italian.
    (
        "it",
        "Il 1º e la 1ª, 1 € e 3 £, 3,5 %.",
        "Il primo e la prima, un euro e tre sterline, tre virgola cinque per cento.",
    ),
    ("it", "Alle 1:30 e alle 21:00.", "Alle una e trenta e alle ventuno in punto."),
    # Portuguese: duas, duzentas, uma for the feminine libra and hora.
    (
        "pt",
        "O 1.º e a 2.ª, 2 £, 200 £, 1 €.",
        "O primeiro e a segunda, duas libras, duzentas libras, um euro.",
    ),
    (
        "pt",
        "Às 1:30 e às 22:00, 3,5 %.",
        "Às uma e trinta e às vinte e duas horas, três vírgula cinco por cento.",
    ),
    # Dutch.
    (
        "nl",
        "De 1e, 2de en 8ste, in 1984.",
        "De eerste, tweede en achtste, in negentien honderd vierentachtig.",
    ),
    ("nl", "12,50 € om 12:30 uur.", "twaalf euro en vijftig cent om twaalf uur dertig."),
    # Polish: jedno euro, dwa dolary, pięć funtów; hours as ordinals.
    (
        "pl",
        "1 €, 22 $, 25 £, 1 000 osób.",
        "jedno euro, dwadzieścia dwa dolary, dwadzieścia pięć funtów, tysiąc osób.",
    ),
    (
        "pl",
        "3,5 % o 12:30 i 9:05.",
        "trzy przecinek pięć procent o dwunasta trzydzieści i dziewiąta zero pięć.",
    ),
    # Russian: доллар, доллара, долларов; процента after a decimal.
    (
        "ru",
        "1 $, 2 $, 5 $, 21 $.",
        "один доллар, два доллара, пять долларов, двадцать один доллар.",
    ),
    (
        "ru",
        "3,5 %, 5 %, в 9:05.",
        "три целых пять десятых процента, пять процентов, в девять ноль пять.",
    ),
    # Turkish: %50 before the number; words written apart; a dotted ordinal.
    (
        "tr",
        "%50 indirim, 1234 kişi, 3. sınıf.",
        "yüzde elli indirim, bin iki yüz otuz dört kişi, üçüncü sınıf.",
    ),
    ("tr", "12,50 € saat 12:30, 3,5.", "on iki euro elli sent saat on iki otuz, üç virgül beş."),
    # Finnish and Norwegian.
    (
        "fi",
        "3. tammikuuta, 12,50 €, 3,5 %.",
        "kolmas tammikuuta, kaksitoista euroa ja viisikymmentä senttiä, kolme pilkku viisi prosenttia.",
    ),
    (
        "no",
        "1. mai 1984, 1 £ kl. 12:30.",
        "første mai nitten hundre og åttifire, ett pund kl. tolv tretti.",
    ),
]


@pytest.mark.parametrize(("language", "text", "spoken"), CASES)
def test_numbers_are_spelt_out_in_the_language(language: str, text: str, spoken: str):
    assert spell_numbers(text, language) == spoken


def test_the_table_covers_at_least_the_ten_main_languages_all_of_them_the_models():
    assert {"en", "de", "fr", "es", "it", "pt", "nl", "pl", "ru", "tr"} <= READINGS.keys()
    assert READINGS.keys() <= LANGUAGES.keys()


@pytest.mark.parametrize(
    "language", ["zh", "ja", "ko", "el", "hi", "ar", "he", "sw", "ms", "sv", "da", "xx"]
)
def test_a_language_without_a_reading_is_left_unchanged(language: str):
    text = "Am 3. Mai um 12:30 kostete es 12,50 € (3,5 %), 1984."
    assert spell_numbers(text, language) == text


def test_the_language_code_may_carry_case_and_blanks():
    assert spell_numbers("3 Katzen", " DE ") == "drei Katzen"


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "Pi is not 3,14 here."),  # a comma is no decimal point in English
        ("de", "Pi ist nicht 3.14 hier."),  # nor a point in German
        ("en", "Call 007 or 0151."),  # leading zeros: codes and phone numbers
        ("en", "MP3, 4K, B2B and 3D."),  # digits glued to letters
        ("en", "Dotted 1.2.3 and 192.168.0.1."),
        ("de", "Am 12.03.2024 war es."),  # a date
        ("en", "The 1th and 2st are wrong."),  # an English suffix that does not fit
        ("de", "Es waren 3. Dann ging er."),  # "3." before a capital may end a sentence
        ("en", "At 12:75 or 25:00 or 1:2."),  # not a time
        ("en", "12345678901234567 is an id."),  # too many digits for a quantity
    ],
)
def test_what_is_not_understood_is_left_as_written(language: str, text: str):
    assert spell_numbers(text, language) == text


def test_turkish_words_split_into_parts_and_what_does_not_split_is_kept():
    assert turkish_spaced("binikiyüzotuzdört") == "bin iki yüz otuz dört"
    assert turkish_spaced("yirmibirinci") == "yirmi birinci"
    assert turkish_spaced("dördüncü") == "dördüncü"
    assert turkish_spaced("altmışaltı") == "altmış altı"
    assert turkish_spaced("merhaba") == "merhaba"


# X, Y and Z appear in no number word of these languages, so they mark the text around numbers.
NOISE = st.text(alphabet="0123456789 .,:%€$£-/hºª\u00a0XYZ", max_size=40)


@settings(max_examples=300, deadline=None)
@given(text=NOISE, language=st.sampled_from(sorted(READINGS)))
def test_any_text_is_spelt_without_error_and_keeps_the_text_around_its_numbers(text, language):
    spoken = spell_numbers(text, language)
    assert re.sub(r"[^XYZ]", "", spoken) == re.sub(r"[^XYZ]", "", text)


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet=st.characters(blacklist_categories=("Nd",)), max_size=60))
def test_text_without_digits_is_returned_unchanged(text: str):
    assert all(spell_numbers(text, language) == text for language in READINGS)
