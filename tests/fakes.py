"""Named fakes for unit tests only; integration tests use the real bundled models."""

from __future__ import annotations

from collections.abc import Sequence

from generators import Completion, GenerationRequest, stable_int

_WORDS = {
    "positive": "great relief helped wonderful better improved happy works recommend effective",
    "negative": "awful worse pain nausea terrible stopped headache anxiety failed useless",
    "neutral": "okay some mild average unsure mixed moderate fine partial changes",
}
_FILLER = "the this medication drug after weeks days taking dose doctor i my".split()


class FakeGenerator:
    """Deterministic stand-in for a loaded LLM: label-flavoured word salad seeded per request."""

    def __init__(self, duplicate_every: int = 0, copy_shot_every: int = 0):
        self.calls = 0
        self.requests: list[GenerationRequest] = []
        self.duplicate_every = duplicate_every
        self.copy_shot_every = copy_shot_every

    def generate(self, requests: Sequence[GenerationRequest]) -> list[Completion]:
        out = []
        for req in requests:
            self.calls += 1
            self.requests.append(req)
            if self.copy_shot_every and self.calls % self.copy_shot_every == 0:
                out.append(Completion(req.shots[0], n_tokens=10))
                continue
            seed = 7 if self.duplicate_every and self.calls % self.duplicate_every == 0 else req.seed
            words = _WORDS.get(req.label, "alpha beta gamma delta epsilon zeta eta theta").split()
            picks = [
                words[stable_int(seed, i) % len(words)] if i % 2 else _FILLER[stable_int(seed, i) % len(_FILLER)]
                for i in range(12)
            ]
            out.append(Completion("Here is a review: " + " ".join(picks) + ".", n_tokens=14))
        return out
