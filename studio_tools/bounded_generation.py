"""Bounded generation for tests and benchmarks: make every `generate` emit exactly N speech tokens.

Random weights rarely emit the end-of-speech token (a call would run to the 1000-token cap) and
about a fifth of their sampled ids are not speech tokens. A forward hook on `t3.speech_head` masks
ids >= 6561 with a finite -1e4 (not -inf: classifier-free guidance subtracts logits, and inf - inf
is NaN) and, after N steps, leaves only the end token 6562. A step costs what it costs unhooked.
Never install this on a server that serves people.
"""

from __future__ import annotations

from typing import Any

FIRST_SPECIAL = 6561  # start-of-speech; 0..6560 are speech tokens
END_OF_SPEECH = 6562
MASK = -1e4


class TokenBound:
    """The installed hook. `steps` counts speech_head calls since the current prompt's prefill."""

    def __init__(self, speech_head: Any, tokens: int):
        if tokens < 1:
            raise ValueError("tokens must be at least 1")
        self.tokens = tokens
        self.steps = 0
        self._handle = speech_head.register_forward_hook(self._hook)

    def _hook(self, _module: Any, _inputs: Any, logits: Any) -> Any:
        if logits.shape[1] > 1:  # the prefill over the whole prompt: a new generate call
            self.steps = 0
        logits = logits.clone()
        if self.steps < self.tokens:
            logits[..., FIRST_SPECIAL:] = MASK
        else:
            logits[...] = MASK
            logits[..., END_OF_SPEECH] = -MASK
        self.steps += 1
        return logits

    def remove(self) -> None:
        self._handle.remove()


def bound_tokens(model: Any, tokens: int) -> TokenBound:
    """Install the bound on a loaded `ChatterboxTTS`; `.remove()` takes it off again."""
    return TokenBound(model.t3.speech_head, tokens)
