"""What crosses the engine host's pipe: audio keeps its samples, its rate and its marks."""

from __future__ import annotations

import pickle

import numpy as np

from backend.core.speech import Audio, Mark, WordMark
from backend.engines.host_wire import from_wire, to_wire


def test_audio_with_marks_crosses_the_pipe_unchanged() -> None:
    marks = (Mark(0.0, 0.5, "One.", (WordMark(0.0, 0.5, "One."),)), Mark(0.6, 1.0, "Two."))
    audio = Audio(np.linspace(-1, 1, 16000, dtype=np.float32), 16000, marks)
    back = from_wire(pickle.loads(pickle.dumps(to_wire((audio, 1.5)))))
    assert back[1] == 1.5
    assert back[0].sample_rate == 16000 and back[0].marks == marks
    assert np.array_equal(back[0].samples, audio.samples)


def test_audio_without_marks_arrives_without_marks() -> None:
    audio = Audio(np.zeros(10, dtype=np.float32), 8000)
    assert from_wire(pickle.loads(pickle.dumps(to_wire(audio)))).marks is None
