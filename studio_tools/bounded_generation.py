"""Bounded generation for tests and benchmarks: make every `generate` emit exactly N speech tokens.

Works on a loaded ChatterboxTTS, ChatterboxTurboTTS or ChatterboxMultilingualTTS (all three
sample one speech token per `t3.speech_head` call, the prefill's call included). Random weights
rarely emit the end-of-speech token (a call would run to the 1000-token cap) and about a fifth of
their sampled ids are not speech tokens. Forward hooks on the model's T3:
- `t3.tfmr`, before: a call over more than one position is the prefill of a new generate, so
  the count starts again. (Turbo's prefill projects only the last position through speech_head,
  so the shape of the logits cannot tell; the transformer's input can.)
- `t3.speech_emb`, before: remembers the token just sampled (each step embeds it).
- `t3.speech_head`, after: masks ids >= 6561 and the token just sampled with a finite -1e4
  (not -inf: classifier-free guidance subtracts logits, and inf - inf is NaN); after N tokens
  leaves only the end token 6562, every other id at -6e4, below the -2**15 that the
  multilingual model's AlignmentStreamAnalyzer writes over the end token to hold it back.
- Multilingual only, unless `blind_alignment=False`: the attention layers the analyzer spies on
  (9, 12, 13) hand it all-zero attention weights, so it never decides that the text is done
  (which would force an early end); with no repeated token it never sees a repetition either.
A step costs what it costs unhooked. Never install this on a server that serves people.
"""

from __future__ import annotations

from typing import Any

FIRST_SPECIAL = 6561  # start-of-speech; 0..6560 are speech tokens
END_OF_SPEECH = 6562
MASK = -1e4
FLOOR = -6e4  # under the analyzer's -2**15, and finite in fp16
ALIGNMENT_LAYERS = (9, 12, 13)  # LLAMA_ALIGNED_HEADS' layers in 0.1.7


class TokenBound:
    """The installed hooks. `tokens` may be changed between calls; `steps` counts the
    speech_head calls of the current generate."""

    def __init__(self, t3: Any, tokens: int, blind_alignment: bool = True):
        if tokens < 1:
            raise ValueError("tokens must be at least 1")
        self.tokens = tokens
        self.steps = 0
        self._last: Any = None
        self._handles = [
            t3.tfmr.register_forward_pre_hook(self._on_transformer, with_kwargs=True),
            t3.speech_emb.register_forward_pre_hook(self._on_speech_embedding),
            t3.speech_head.register_forward_hook(self._on_speech_head),
        ]
        if blind_alignment and t3.hp.is_multilingual:
            for index in ALIGNMENT_LAYERS:
                attention = t3.tfmr.layers[index].self_attn
                hook = attention.register_forward_hook(_zero_attention_weights, prepend=True)
                self._handles.append(hook)

    def _on_transformer(self, _module: Any, args: tuple, kwargs: dict) -> None:
        embeds = kwargs.get("inputs_embeds", args[0] if args else None)
        if embeds is not None and embeds.shape[1] > 1:  # the prefill: a new generate call
            self.steps = 0
            self._last = None

    def _on_speech_embedding(self, _module: Any, args: tuple) -> None:
        ids = args[0]
        if ids.shape[-1] == 1:  # one sampled token (or the start token), not the voice prompt
            self._last = ids.reshape(-1)[:1]

    def _on_speech_head(self, _module: Any, _inputs: Any, logits: Any) -> Any:
        logits = logits.clone()
        if self.steps < self.tokens:
            logits[..., FIRST_SPECIAL:] = MASK
            if self._last is not None:
                logits.index_fill_(-1, self._last.to(logits.device), MASK)
        else:
            logits[...] = FLOOR
            logits[..., END_OF_SPEECH] = -MASK
        self.steps += 1
        return logits

    def remove(self) -> None:
        for handle in self._handles:
            handle.remove()


def bound_tokens(model: Any, tokens: int, blind_alignment: bool = True) -> TokenBound:
    """Install the bound on a loaded Chatterbox model of any of the three kinds; `.remove()`
    takes it off again. `blind_alignment=False` leaves the multilingual analyzer its real
    attention (it may then end a call early, or hit 0.1.7's short-text IndexError)."""
    return TokenBound(model.t3, tokens, blind_alignment)


def _zero_attention_weights(_module: Any, _inputs: Any, output: Any) -> Any:
    if isinstance(output, tuple) and len(output) > 1 and output[1] is not None:
        return (output[0], output[1].new_zeros(output[1].shape), *output[2:])
    return None
