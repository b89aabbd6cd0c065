"""TEST FAKE of chatterbox-tts 0.1.7: the public API of `chatterbox.tts` without any neural network.

Put tests/fakes/chatterbox_pkg on sys.path to use it. See tts.py for how voices are encoded.
"""

from .tts import ChatterboxTTS, Conditionals, T3Cond

__all__ = ["ChatterboxTTS", "Conditionals", "T3Cond"]
