"""One contract for every backend x bundled model (in the style of Optuna's sampler contract tests).

Each ``Test*`` class below names a backend, a bundled model and the prompt style that model must
get; the tests they inherit are the interface every generator keeps: one completion per request
in order, the same texts for the same requests (also after other work on the same model), other
seeds give other texts, each reply is one example without a preamble or wrapper, and
``max_new_tokens`` is respected.
"""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from common import model_cache_root, resolve_generator_model
from generators import Completion, PromptSpec, create_backend
from generators._cleaning import _PREAMBLE
from generators._styles import PromptStyle

from .conftest import DEMO_TRAIN

pytestmark = pytest.mark.integration


def _spec(max_new_tokens: int = 16) -> PromptSpec:
    return PromptSpec(
        system_prompt=(
            "You write realistic, varied examples of short texts for a {task}. Each example you write has the "
            'label "{label}". Write a new example in your own words; do not copy the examples.'
        ),
        user_prompt='Write one new example with the label "{label}".',
        task="patient drug review website",
        few_shot=3,
        samples_per_prompt=4,
        shot_max_chars=200,
        max_new_tokens=max_new_tokens,
        seed=0,
        list_prompt='Examples of {task} texts with the label "{label}", one per line:',
    )


@pytest.fixture(scope="module")
def shots() -> list[str]:
    return pd.read_csv(DEMO_TRAIN, sep="\t")["review"].head(30).tolist()


class GeneratorContract:
    backend: str
    model: str
    style: PromptStyle
    extra: dict = {}

    @pytest.fixture(scope="class")
    def generator(self):
        path = resolve_generator_model(self.model, allow_dir=self.backend == "transformers")
        kwargs = {"model_path": str(path), "n_threads": 1, "prompt_style": self.extra.get("prompt_style", "auto")}
        if self.backend == "transformers":
            kwargs.update(device="cpu", batch_size=4, convert_cache=str(model_cache_root() / "models"))
        else:
            kwargs.update(n_seq=4)
        return create_backend(self.backend, **kwargs)

    def group(self, shots, label="positive", group=0, max_new_tokens=16):
        spec = _spec(max_new_tokens)
        return [spec.request(label, shots, 0.8, i) for i in range(4 * group, 4 * group + 4)]

    def test_prompt_style_follows_the_model(self, generator):
        assert generator.style is self.style

    def test_one_completion_per_request_in_order(self, generator, shots):
        reqs = self.group(shots)
        out = generator.generate(reqs)
        assert len(out) == len(reqs)
        assert all(isinstance(c, Completion) and c.text.strip() for c in out)
        assert all(0 < c.n_tokens <= r.max_new_tokens for c, r in zip(out, reqs))
        assert generator.generate([]) == []

    def test_same_requests_give_the_same_texts(self, generator, shots):
        reqs = self.group(shots, group=1)
        generator.generate(self.group(shots, label="negative", group=2))  # another label's prompt head
        first = [c.text for c in generator.generate(reqs)]
        generator.generate(self.group(shots, group=2))  # same label: llama.cpp keeps the prompt head
        assert [c.text for c in generator.generate(reqs)] == first

    def test_other_seeds_give_other_texts(self, generator, shots):
        texts = [c.text for c in generator.generate(self.group(shots, group=3))]
        assert len(set(texts)) == len(texts)

    def test_one_example_per_reply_without_preamble_or_wrapper(self, generator, shots):
        for c in generator.generate(self.group(shots, label="negative", group=4, max_new_tokens=24)):
            assert "\n" not in c.text, c.text
            assert not _PREAMBLE.match(c.text), c.text
            assert '{"text"' not in c.text and not c.text.rstrip().endswith('"}'), c.text
            assert not re.match(r"\s*\d+\.\s", c.text), c.text  # no next list item

    def test_paraphrase_renders_its_source_and_gives_one_example_each(self, generator, shots):
        """Both styles render a paraphrase request (the shipped templates), with the source in the
        prompt; the group decodes together, one example per reply, the same again."""
        from sweep.config import GeneratorConfig
        from sweep.inputs import paraphrase_spec

        spec = paraphrase_spec(GeneratorConfig(), _spec(24))
        reqs = [spec.request("negative", shots, 0.8, i) for i in range(4)]
        assert len({r.source for r in reqs}) == 1 and reqs[0].source_id
        prompt = generator.render(reqs[0])[0]
        assert json.dumps(reqs[0].source, ensure_ascii=False)[1:-1] in prompt or reqs[0].source in prompt
        assert "rewrit" in prompt.lower()
        out = generator.generate(reqs)
        assert len(out) == 4 and all(c.text.strip() for c in out)
        for c in out:
            assert "\n" not in c.text and '{"text"' not in c.text, c.text
            assert not c.text.lstrip().startswith(("Original:", "Rewritten:")), c.text
        assert [c.text for c in generator.generate(reqs)] == [c.text for c in out]

    def test_respects_max_new_tokens(self, generator, shots):
        out = generator.generate(self.group(shots, group=5, max_new_tokens=8))
        assert all(c.n_tokens <= 8 for c in out)
        assert any(c.truncated for c in out), "reviews are longer than 8 tokens"


class TestLlamaCppSmolLM2(GeneratorContract):
    backend, model, style = "llama_cpp", "smollm2-135m-instruct", PromptStyle.CHAT


class TestLlamaCppGemma3(GeneratorContract):
    backend, model, style = "llama_cpp", "gemma3-270m", PromptStyle.COMPLETION


class TestTransformersSmolLM2(GeneratorContract):
    backend, model, style = "transformers", "smollm2-135m-instruct", PromptStyle.CHAT


class TestTransformersGemma3(GeneratorContract):
    backend, model, style = "transformers", "gemma3-270m", PromptStyle.COMPLETION


class TestLlamaCppSmolLM2AsCompletion(GeneratorContract):
    """An instruct model may be prompted as a base model; both backends render both styles."""

    backend, model, style = "llama_cpp", "smollm2-135m-instruct", PromptStyle.COMPLETION
    extra = {"prompt_style": "completion"}


class TestTransformersSmolLM2AsCompletion(GeneratorContract):
    backend, model, style = "transformers", "smollm2-135m-instruct", PromptStyle.COMPLETION
    extra = {"prompt_style": "completion"}


@pytest.mark.parametrize("backend", ["llama_cpp", "transformers"])
def test_chat_style_needs_a_chat_template(backend):
    path = resolve_generator_model("gemma3-270m")
    kwargs = {"model_path": str(path), "prompt_style": "chat"}
    if backend == "transformers":
        kwargs["convert_cache"] = str(model_cache_root() / "models")
    with pytest.raises(ValueError, match="has no chat template"):
        create_backend(backend, **kwargs)


@pytest.mark.parametrize("model", ["smollm2-135m-instruct", "gemma3-270m"])
def test_llama_cpp_restored_prompts_write_what_evaluated_ones_write(model, shots):
    """Two groups decoded together; the same groups at another temperature restore the evaluated
    prompts instead of evaluating them again, and write exactly what a fresh model writes."""
    kwargs = {"model_path": str(resolve_generator_model(model)), "n_threads": 1, "n_seq": 4, "n_groups": 2}
    spec = _spec(16)

    def call(temperature):
        return [spec.request("positive", shots, temperature, i) for i in range(8)]

    warm = create_backend("llama_cpp", **kwargs)
    warm.generate(call(0.7))
    warm.generate([spec.request("negative", shots, 0.7, i) for i in range(8)])  # other prompts in between
    again = [c.text for c in warm.generate(call(0.9))]
    assert warm._decoder.prompts.hits == 1, "the positive prompts were restored"
    fresh = create_backend("llama_cpp", **kwargs, prompt_cache_mb=0)
    assert [c.text for c in fresh.generate(call(0.9))] == again
    assert len(set(again)) == 8
