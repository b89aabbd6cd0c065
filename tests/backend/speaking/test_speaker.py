"""Speaker.stream: chunk by chunk, first sentence alone, the same audio as joining the chunks,
errors before the first piece, and no further engine call once the consumer stops."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from backend.audio.assemble import join
from backend.core.errors import ServerBusy, TextEmpty
from backend.core.settings import Settings
from backend.core.speech import SynthesisParams
from backend.engines.fake import FakeEngine
from backend.engines.manager import ModelManager
from backend.speaking.speaker import Speaker
from backend.text.chunking import split_text

TEXT = "First things first. " + " ".join(f"Sentence {n} of the text is here." for n in range(8))


@pytest.fixture
def make_speaker():
    managers = []

    def make(**engine_kwargs) -> Speaker:
        manager = ModelManager(FakeEngine(max_chars=80, **engine_kwargs), max_waiting=1)
        managers.append(manager)
        return Speaker(manager, Settings(_env_file=None))

    yield make
    for manager in managers:
        manager.close()


async def collect(speaker: Speaker, text: str = TEXT, limit: int | None = None) -> list:
    pieces = []
    stream = speaker.stream(text, None, SynthesisParams())
    try:
        async for piece in stream:
            pieces.append(piece)
            if limit is not None and len(pieces) == limit:
                break
    finally:
        await stream.aclose()
    return pieces


def test_the_pieces_are_the_joined_chunks_with_the_first_sentence_alone(make_speaker):
    speaker = make_speaker()

    pieces = asyncio.run(collect(speaker))

    chunks = split_text(TEXT, 80, first_alone=True)
    assert [text for text, _ in speaker.manager.engine.calls] == chunks
    assert chunks[0] == "First things first."
    parts = [speaker.manager.engine.synthesize(chunk, None, SynthesisParams()) for chunk in chunks]
    joined = join(parts, speaker.settings.crossfade_ms, speaker.settings.pause_ms)
    streamed = np.concatenate([piece.samples for piece in pieces])
    np.testing.assert_array_equal(streamed, joined.samples)


def test_errors_come_from_the_first_step_before_any_audio(make_speaker):
    speaker = make_speaker()

    with pytest.raises(TextEmpty):
        asyncio.run(collect(speaker, "  🎉  "))
    with speaker.manager.admit(), pytest.raises(ServerBusy):  # max_waiting=1, taken here
        asyncio.run(collect(speaker))
    assert speaker.manager.engine.calls == []


def test_a_consumer_that_stops_early_calls_the_engine_no_more(make_speaker):
    speaker = make_speaker()

    pieces = asyncio.run(collect(speaker, limit=2))

    assert len(pieces) == 2
    assert len(speaker.manager.engine.calls) == 2
    assert speaker.manager.status()["in_flight"] == 0


def test_the_pause_between_chunks_scales_with_the_rate(make_speaker):
    """Each chunk is spoken rate times as fast; the pause between two chunks shrinks as much, so
    the whole text (here five chunks) lasts duration(1.0) / rate, whole or streamed."""
    speaker = make_speaker()
    params = {rate: SynthesisParams(rate=rate) for rate in (0.5, 1.0, 2.0)}
    whole = {rate: asyncio.run(speaker.speak(TEXT, None, p)).seconds for rate, p in params.items()}

    async def streamed(p: SynthesisParams) -> float:
        return sum([piece.seconds async for piece in speaker.stream(TEXT, None, p)])

    assert len(split_text(TEXT, 80)) >= 4
    for rate in (0.5, 2.0):
        assert whole[rate] * rate / whole[1.0] == pytest.approx(1.0, abs=0.01)
        assert asyncio.run(streamed(params[rate])) == pytest.approx(whole[rate], abs=0.01)


def test_every_sentence_keeps_its_mark_in_the_whole_and_in_each_streamed_piece(make_speaker):
    speaker = make_speaker()

    whole = asyncio.run(speaker.speak(TEXT, None, SynthesisParams()))
    pieces = asyncio.run(collect(speaker))

    sentences = ["First things first."] + [f"Sentence {n} of the text is here." for n in range(8)]
    assert [mark.text for mark in whole.marks] == sentences
    # A piece's marks count from its own first sample; laid end to end they are where join puts
    # the marks of the same chunks (each after the pause before its chunk).
    chunks = split_text(TEXT, 80, first_alone=True)
    parts = [speaker.manager.engine.synthesize(chunk, None, SynthesisParams()) for chunk in chunks]
    joined = join(parts, speaker.settings.crossfade_ms, speaker.settings.pause_ms)
    offset, laid = 0.0, []
    for piece in pieces:
        laid.extend(mark.moved(offset) for mark in piece.marks)
        offset += piece.seconds
    assert [(m.text, round(m.start, 6), round(m.end, 6)) for m in laid] == [
        (m.text, round(m.start, 6), round(m.end, 6)) for m in joined.marks
    ]
    assert [m.text for m in laid] == sentences
