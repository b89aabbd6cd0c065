from __future__ import annotations

import io
import os
import sys

import pytest
import soundfile as sf

from backend.engines.fake import FakeEngine
from backend.engines.piper import PiperEngine
from tests.helpers.api import assert_error
from tests.helpers.audio import clip_bytes, recorded_clip, webm_with_duration

SOLUTION = "Upload WAV, MP3, FLAC, OGG, WebM (Opus) or MP4 (AAC) audio."
NOT_FOUND_BODY = {
    "error": "voice_file_not_found",
    "message": "No voice file is available at that path.",
    "solution": "Give a voice_id from GET /voices, or a path to an audio file inside the voice "
    "library or the import folder (CHATTERBOX_VOICE_IMPORT_DIR).",
}


def upload(client, data=None, filename="narrator.wav", name="Narrator", route="/voices"):
    return client.post(
        route,
        files={"file": (filename, data if data is not None else clip_bytes(), "audio/wav")},
        data={"name": name} if name else None,
    )


def test_upload_list_and_delete_a_voice(client):
    created = upload(client)
    assert created.status_code == 201
    voice = created.json()
    assert voice["name"] == "Narrator"
    assert voice["sample_rate"] == 24000
    assert 4.5 < voice["duration_seconds"] < 5.5  # silence around the 5 s clip was trimmed
    listing = client.get("/voices").json()
    assert [v["id"] for v in listing["voices"]] == [voice["id"]]
    assert listing["current"] is None
    assert listing["builtin_available"] is True
    assert listing["aliases"] == {"en-US-JennyNeural": "builtin"}
    deleted = client.delete(f"/voices/{voice['id']}")
    assert deleted.status_code == 200
    assert client.get("/voices").json()["voices"] == []


@pytest.mark.parametrize("fmt,filename", [("MP3", "a.mp3"), ("FLAC", "a.flac"), ("OGG", "a.ogg")])
def test_upload_accepts_mp3_flac_and_ogg(client, fmt, filename):
    response = upload(client, clip_bytes(fmt=fmt), filename=filename, name=None)
    assert response.status_code == 201, response.text
    assert response.json()["name"] == "a"


@pytest.mark.parametrize(
    ("data", "filename", "content_type"),
    [
        # Chrome and Firefox: MediaRecorder's Opus in WebM, no duration; a Blob named "blob"
        (recorded_clip("webm", channels=2, live=True), "blob", "audio/webm;codecs=opus"),
        (recorded_clip("webm"), "recording.webm", "audio/webm"),
        # Safari: AAC in (fragmented) MP4
        (recorded_clip("fmp4", rate=44100), "recording.mp4", "audio/mp4"),
        (recorded_clip("mp4", rate=44100), "memo.m4a", "audio/x-m4a"),
    ],
    ids=["chrome-blob", "webm", "safari-mp4", "m4a"],
)
def test_upload_accepts_what_browsers_record(client, data, filename, content_type):
    response = client.post(
        "/voices", files={"file": (filename, data, content_type)}, data={"name": "Mic"}
    )

    assert response.status_code == 201, response.text
    voice = response.json()
    assert 4.5 < voice["duration_seconds"] < 5.5  # the 5 s clip, its silence trimmed
    stored, rate = sf.read(io.BytesIO(client.get(f"/voices/{voice['id']}/audio").content))
    assert rate == 24000 and 4.5 < len(stored) / rate < 5.5


def test_a_corrupt_webm_is_422_audio_unreadable(client):
    data = recorded_clip("webm")
    response = client.post(
        "/voices", files={"file": ("take.webm", data[:40] + b"garbage" * 50, "audio/webm")}
    )
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "audio_unreadable"
    assert body["message"].startswith("'take.webm' has a WEBM header but could not be decoded")
    assert body["solution"]


def test_a_webm_whose_header_lies_about_its_length_is_422(client):
    liar = webm_with_duration(recorded_clip("webm", seconds=8.0), 1.0)
    response = client.post("/voices", files={"file": ("liar.webm", liar, "audio/webm")})
    assert response.status_code == 422
    assert response.json()["error"] == "audio_unreadable"
    assert "more audio than its header declares" in response.json()["message"]


def test_delete_unknown_voice_is_404(client):
    assert_error(
        client.delete("/voices/nobody-12345678"),
        404,
        {
            "error": "voice_not_found",
            "message": "No voice has the id 'nobody-12345678'.",
            "solution": "List the library with GET /voices.",
        },
    )


def test_voice_audio_is_the_stored_reference_clip_as_wav(client):
    voice = upload(client).json()
    response = client.get(f"/voices/{voice['id']}/audio")
    assert response.status_code == 200
    assert response.headers["content-type"] == "audio/wav"
    stored = client.app.state.store.root / voice["path"]
    assert response.content == stored.read_bytes()
    samples, rate = sf.read(io.BytesIO(response.content))
    assert rate == voice["sample_rate"] == 24000
    assert len(samples) / rate == pytest.approx(voice["duration_seconds"], abs=0.001)


def test_voice_audio_is_served_by_an_engine_that_cannot_clone(make_client):
    client = make_client(FakeEngine(can_clone=False))
    voice_id = upload(client).json()["id"]
    response = client.get(f"/voices/{voice_id}/audio")
    assert response.status_code == 200
    assert sf.info(io.BytesIO(response.content)).format == "WAV"


def test_voice_audio_of_an_unknown_or_deleted_voice_is_404(client):
    voice_id = upload(client).json()["id"]
    client.delete(f"/voices/{voice_id}")
    assert_error(
        client.get(f"/voices/{voice_id}/audio"),
        404,
        {
            "error": "voice_not_found",
            "message": f"No voice has the id {voice_id!r}.",
            "solution": "List the library with GET /voices.",
        },
    )
    response = client.get("/voices/..current.json/audio")  # not an id: never a path
    assert response.status_code == 404
    assert response.json()["message"] == "No voice has the id '..current.json'."


def test_wrong_extension_is_415(client):
    assert_error(
        upload(client, b"hello", filename="notes.txt"),
        415,
        {
            "error": "unsupported_audio_format",
            "message": "'notes.txt' does not end in .wav, .mp3, .flac, .ogg, .webm, .m4a or "
            ".mp4, so it is not accepted.",
            "solution": SOLUTION,
        },
    )


def test_non_audio_content_behind_an_audio_extension_is_415(client):
    assert_error(
        upload(client, b"%PDF-1.7\n" + os.urandom(2000), filename="voice.mp3"),
        415,
        {
            "error": "unsupported_audio_format",
            "message": "The content of 'voice.mp3' is not audio (no WAV, MP3, FLAC, OGG, WebM "
            "or MP4 header), whatever its extension says.",
            "solution": SOLUTION,
        },
    )


def test_empty_file_is_422_audio_unreadable(client):
    assert_error(
        upload(client, b"", filename="empty.wav"),
        422,
        {
            "error": "audio_unreadable",
            "message": "The file 'empty.wav' is empty (0 bytes).",
            "solution": "The file may be damaged; export it again as WAV and upload that.",
        },
    )


def test_truncated_wav_is_422_audio_unreadable(client):
    response = upload(client, clip_bytes()[:30], filename="cut.wav")
    assert response.status_code == 422
    assert response.json()["error"] == "audio_unreadable"


def test_too_short_clip_is_422_audio_too_short(client):
    assert_error(
        upload(client, clip_bytes(seconds=1.0), filename="short.wav"),
        422,
        {
            "error": "audio_too_short",
            "message": "'short.wav' holds 1.10 s of sound after trimming silence; at least 3 s is needed.",
            "solution": "Record at least 3 seconds of speech (10-30 seconds is ideal).",
            "seconds": 1.1,
            "min_seconds": 3.0,
        },
    )


def test_too_long_clip_is_422_audio_too_long(client):
    response = upload(client, clip_bytes(seconds=65.0), filename="long.wav")
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "audio_too_long"
    assert "60 s" in body["message"]
    assert body["solution"] == (
        "Trim the clip to under a minute; 10-30 seconds of clean speech is ideal."
    )


def test_upload_over_the_size_limit_is_413_with_and_without_content_length(make_client):
    client = make_client(max_upload_mb=1)
    big = b"RIFF" + os.urandom(2 * 1024 * 1024)
    body = {
        "error": "upload_too_large",
        "message": "The upload is larger than the limit of 1.0 MB.",
        "solution": "Trim the clip: 10-30 seconds of clean speech is ideal for cloning.",
    }
    assert_error(upload(client, big, filename="big.wav"), 413, body)

    boundary = "xyz"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.wav"\r\n'
        "Content-Type: audio/wav\r\n\r\n"
    ).encode()

    def chunked():
        yield head
        for _ in range(40):
            yield os.urandom(64 * 1024)
        yield f"\r\n--{boundary}--\r\n".encode()

    response = client.post(
        "/voices",
        content=chunked(),
        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
    )
    assert "content-length" not in response.request.headers
    assert_error(response, 413, body)
    assert client.get("/voices").json()["voices"] == []


def test_missing_file_field_is_422_invalid_request(client):
    response = client.post("/voices", data={"name": "x"})
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_request"


def test_load_voice_by_id_makes_it_current(client):
    voice_id = upload(client).json()["id"]
    response = client.post("/load_voice", json={"voice_id": voice_id})
    assert response.status_code == 200
    assert response.json()["current"] == voice_id
    assert client.get("/voices").json()["current"] == voice_id
    assert client.engine.prepared[-1] == voice_id  # prepared at once, not on the first /tts


def test_load_voice_by_library_path(client):
    voice = upload(client).json()
    response = client.post("/load_voice", json={"path": voice["path"]})
    assert response.status_code == 200
    assert response.json()["current"] == voice["id"]


def test_load_voice_from_the_import_folder_adds_it_to_the_library(make_client, tmp_path):
    imports = tmp_path / "imports"
    imports.mkdir()
    (imports / "grandpa.wav").write_bytes(clip_bytes())
    client = make_client(voice_import_dir=imports)
    response = client.post("/load_voice", json={"path": str(imports / "grandpa.wav")})
    assert response.status_code == 200, response.text
    voice = response.json()["voice"]
    assert voice["name"] == "grandpa"
    assert client.get("/voices").json()["current"] == voice["id"]


def test_load_voice_unknown_id_is_400_voice_not_found(client):
    response = client.post("/load_voice", json={"voice_id": "ghost"})
    assert response.status_code == 400
    assert response.json()["error"] == "voice_not_found"
    assert response.json()["available_voices"] == ["builtin", "en-US-JennyNeural"]


def test_load_voice_needs_exactly_one_of_id_and_path(client):
    for body in ({}, {"voice_id": "a", "path": "b"}):
        response = client.post("/load_voice", json=body)
        assert response.status_code == 422
        assert response.json()["error"] == "invalid_request"


# Every engine answers a bad path the same way: the real Piper engine (which cannot clone), a
# fake that clones and a fake that cannot. The path is checked before the engine's abilities.
ENGINES = {
    "piper": PiperEngine,
    "cloning": FakeEngine,
    "not-cloning": lambda: FakeEngine(can_clone=False),
}


@pytest.mark.parametrize("engine", ENGINES)
def test_every_bad_path_gets_the_same_400_body(make_client, tmp_path, engine):
    outside = tmp_path / "outside.wav"
    outside.write_bytes(clip_bytes())
    client = make_client(ENGINES[engine]())
    voice = upload(client).json()
    store_root = client.app.state.store.root
    (store_root / voice["id"] / "escape.wav").symlink_to(outside)
    paths = [
        "../outside.wav",
        "../../etc/passwd",
        "%2e%2e%2foutside.wav",
        str(outside),
        "/etc/passwd",
        "C:\\Windows\\win.ini",
        "..\\..\\outside.wav",
        "\\\\server\\share\\voice.wav",
        "voice.wav\x00.txt",
        f"{voice['id']}/escape.wav",
        "missing/reference.wav",
        voice["id"],
        "",
    ]
    for path in paths:
        assert_error(client.post("/load_voice", json={"path": path}), 400, NOT_FOUND_BODY)


_OPENED: list[str] | None = None  # paths opened while a test records them (see below)


def _record_opens(event: str, args: tuple) -> None:
    if _OPENED is not None and event == "open" and isinstance(args[0], (str, bytes, os.PathLike)):
        _OPENED.append(os.fsdecode(args[0]))


sys.addaudithook(_record_opens)  # audit hooks cannot be removed: this one records only on demand


@pytest.mark.parametrize("engine", ENGINES)
def test_no_bad_path_makes_the_server_open_a_file_outside_the_store(make_client, tmp_path, engine):
    global _OPENED
    secret = tmp_path / "secret"
    secret.mkdir()
    outside = secret / "outside.wav"
    outside.write_bytes(clip_bytes())
    imports = tmp_path / "imports"
    imports.mkdir()
    (imports / "take.wav").write_bytes(clip_bytes())
    client = make_client(ENGINES[engine](), voice_import_dir=imports)
    voice = upload(client).json()
    (client.app.state.store.root / voice["id"] / "escape.wav").symlink_to(outside)
    paths = [
        str(outside),
        "../../secret/outside.wav",
        "%2e%2e%2f%2e%2e%2fsecret%2foutside.wav",
        f"{voice['id']}/escape.wav",
        f"{voice['id']}/../../secret/outside.wav",
        "/etc/passwd",
        "\\\\server\\share\\voice.wav",
    ]
    _OPENED = []
    try:
        for path in paths:
            assert client.post("/load_voice", json={"path": path}).status_code == 400
        # A good file is read: proof that the recorder sees opens. An engine that cannot clone
        # refuses the import-folder clip without reading it; the library clip is still served.
        good = client.post("/load_voice", json={"path": str(imports / "take.wav")})
        if client.engine.capabilities.can_clone:
            assert good.status_code == 200
            proof = "take.wav"
        else:
            assert good.json()["error"] == "voice_cloning_unavailable"
            assert client.get(f"/voices/{voice['id']}/audio").status_code == 200
            proof = "reference.wav"
        opened = list(_OPENED)
    finally:
        _OPENED = None

    assert any(p.endswith(proof) for p in opened)
    assert not [p for p in opened if "secret" in p or "passwd" in p or "server" in p], opened


def test_load_voice_upload_adds_and_selects_in_one_step(client):
    response = upload(client, route="/load_voice_upload")
    assert response.status_code == 200
    voice_id = response.json()["current"]
    assert client.get("/voices").json()["current"] == voice_id
    assert client.post("/tts", json={"text": "Mine now."}).headers["x-voice"] == voice_id


def test_engine_without_cloning_refuses_load_voice_but_keeps_the_library(make_client):
    client = make_client(FakeEngine(can_clone=False))
    voice_id = upload(client).json()["id"]  # the library works with every engine
    body = {
        "error": "voice_cloning_unavailable",
        "message": "The current engine (Piper) cannot speak in an uploaded voice.",
        "solution": "Install Chatterbox to clone voices: python setup_env.py --engine chatterbox "
        "(downloads the model into model_cache/), then restart the server.",
    }
    assert_error(client.post("/load_voice", json={"voice_id": voice_id}), 400, body)
    assert_error(upload(client, route="/load_voice_upload"), 400, body)
    assert client.get("/voices").json()["current"] is None


def test_an_engine_that_cannot_clone_checks_the_path_first_and_adds_nothing(make_client, tmp_path):
    imports = tmp_path / "imports"
    imports.mkdir()
    (imports / "grandpa.wav").write_bytes(clip_bytes())
    client = make_client(PiperEngine(), voice_import_dir=imports)

    missing = client.post("/load_voice", json={"path": str(imports / "nobody.wav")})
    real = client.post("/load_voice", json={"path": str(imports / "grandpa.wav")})

    assert_error(missing, 400, NOT_FOUND_BODY)
    assert real.status_code == 400
    assert real.json()["error"] == "voice_cloning_unavailable"
    assert client.get("/voices").json()["voices"] == []  # refused before it was added
    unknown = client.post("/load_voice", json={"voice_id": "ghost"})
    assert unknown.status_code == 400
    assert unknown.json()["error"] == "voice_not_found"


def test_deleting_the_current_voice_falls_back_to_the_builtin_voice(client):
    voice_id = upload(client).json()["id"]
    client.post("/load_voice", json={"voice_id": voice_id})
    client.delete(f"/voices/{voice_id}")
    assert client.post("/tts", json={"text": "Back to default."}).headers["x-voice"] == "builtin"


def test_current_voice_survives_a_restart(make_client):
    first = make_client()
    voice_id = upload(first).json()["id"]
    first.post("/load_voice", json={"voice_id": voice_id})
    second = make_client()  # same data dir, new app
    assert second.get("/voices").json()["current"] == voice_id


def test_voices_say_why_the_current_voice_cannot_be_spoken(make_client):
    """GET /voices carries the X-Voice-Warning text of a stale current voice (a clip made current
    under a cloning engine, then served by Piper), so the studio can say so before anyone speaks."""
    voice_id = upload(make_client()).json()["id"]
    make_client().post("/load_voice", json={"voice_id": voice_id}).raise_for_status()
    piper = make_client(PiperEngine())

    stale = piper.get("/voices").json()
    piper.delete("/load_voice").raise_for_status()
    cleared = piper.get("/voices").json()

    assert stale["current"] == voice_id
    assert voice_id in stale["current_warning"] and "DELETE /load_voice" in stale["current_warning"]
    assert cleared["current"] is None and cleared["current_warning"] is None


def test_a_current_voice_the_engine_speaks_has_no_warning(client):
    voice_id = upload(client).json()["id"]
    client.post("/load_voice", json={"voice_id": voice_id}).raise_for_status()

    body = client.get("/voices").json()

    assert body["current"] == voice_id and body["current_warning"] is None


def test_voice_audio_whose_clip_is_gone_is_a_404_with_the_fix(client):
    voice_id = upload(client).json()["id"]
    (client.app.state.store.root / voice_id / "reference.wav").unlink()

    response = client.get(f"/voices/{voice_id}/audio")

    assert response.status_code == 404, response.text
    assert response.json()["error"] == "voice_not_found"
    assert "reference clip" in response.json()["message"]
    assert "upload" in response.json()["solution"]
