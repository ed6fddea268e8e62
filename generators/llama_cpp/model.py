"""A loaded GGUF model that writes one example per request, in the prompt style its model needs.

Instruct models (a chat template in the GGUF) get a few-shot chat whose assistant turns are
``{"text": "..."}``; base models get a numbered list to continue (``generators._styles``). A chat
reply is pinned to one example in one of two ways (``constrain``):

* ``prefill`` (default): the assistant turn is started with ``{"text": "`` and generation stops
  at the closing ``"}``. Measured here it decodes about twice as fast as a grammar (118 vs 53
  tokens/s for SmolLM2 on 2 threads).
* ``grammar``: a JSON-schema grammar constrains every sampled token.

Speed: a group of requests shares one prompt (same shots, different seeds). The prompt is
processed once into sequence 0 of a unified KV cache, copied to sequences 1..n-1 with
``llama_memory_seq_cp`` (the cells are shared, not duplicated), and the n replies are decoded
together, one token per sequence per ``llama_decode``, each with its own sampler seeded by its
request. The prompt's head (system prompt and first user turn; the list's header), the same for
every group of a label, stays in the cache from one group to the next (measured: 1.25x for
SmolLM2's 69-token head of about 350, nothing measurable for Gemma's 21 of about 235).

A group's shots do not depend on the temperature, so a sweep that tries several temperatures
asks for the same prompts again, once per temperature. The evaluated prompt (all but its last
token) is kept as a copy of its sequence's state, up to ``prompt_cache_mb``, and restored
instead of evaluated again; the last prompt token is always decoded on its own, so a restored
prompt gives the same logits as an evaluated one.

Flash attention is off on a CPU: there it made each decoded row 1.5-1.9x slower against a prompt
of a few hundred tokens (docs/benchmarks.md), and llama-cpp-python's own ``Llama`` leaves it off
too. With layers on a GPU, llama.cpp decides (``auto``).

Determinism: a group's texts are a function of the group (its prompt and its requests' seeds),
whatever the actor ran before (the head is decoded on its own, so a kept head holds the same bits
as a recomputed one); the pool asks for whole groups, so an attempt index always gets the same
text. A request decoded in another company (alone, or with other seeds) may differ in the last
bits of its logits, and so in its text.
"""

from __future__ import annotations

import ctypes
import dataclasses
import json
import logging
from collections.abc import Sequence
from typing import Any

from .._styles import (
    CHAT_PREFILL,
    CHAT_STOP,
    COMPLETION_STOP,
    PromptStyle,
    chat_messages,
    completion_prompt,
    first_stop,
    head_of,
    reply_text,
    resolve_style,
    unescape_json_fragment,
    unwrap_json_text,
)
from .._types import Completion, GenerationRequest
from .config import LlamaCppConfig

__all__ = [
    "PREFILL",
    "LlamaCppGenerator",
    "chat_messages",
    "unescape_json_fragment",
    "unwrap_json_text",
]

_SCHEMA = {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]}
PREFILL = CHAT_PREFILL
_PENALTY_LAST_N = 64  # llama-cpp-python's default window for the repeat penalty


def _silence_llama_log() -> None:
    """Keep llama.cpp's own log lines out of synthsweep's output.

    llama-cpp-python prints lines logged without a level even with ``verbose=False`` ("using
    full-size SWA cache" for Gemma 3, compute buffer sizes when a context is freed at exit).
    Failures do not depend on them: loading and decoding raise.
    """
    logging.getLogger("llama-cpp-python").setLevel(logging.CRITICAL + 1)


def check_gpu_offload() -> None:
    """Raise, naming this node, when the installed llama.cpp cannot offload layers to a GPU.

    A CPU-only build silently ignores ``n_gpu_layers``; a sweep that asked for a GPU would then
    generate on the CPU while its cache key said GPU.
    """
    import socket
    from importlib.metadata import version

    import llama_cpp as ll

    if not ll.llama_supports_gpu_offload():
        raise RuntimeError(
            f"generator.gpus > 0 but llama-cpp-python {version('llama_cpp_python')} on node {socket.gethostname()} "
            "was built without GPU offload; install its CUDA build (README, GPU nodes) or set generator.gpus=0"
        )


class LlamaCppGenerator:
    """One llama.cpp context; not thread-safe, so its actor serves one request at a time."""

    def __init__(self, config: LlamaCppConfig | None = None, **kwargs: Any):
        import llama_cpp as ll
        from llama_cpp import Llama, LlamaGrammar
        from llama_cpp._internals import LlamaModel

        self.config = config or LlamaCppConfig(**kwargs)
        c = self.config
        if c.n_gpu_layers != 0:
            check_gpu_offload()
        self.device = "gpu" if c.n_gpu_layers != 0 else "cpu"
        """Where the layers run; the synthetic cache key records it."""
        if c.n_seq == 1:
            self.llm = Llama(
                model_path=c.model_path,
                n_ctx=c.n_ctx,
                n_threads=c.n_threads,
                n_threads_batch=c.n_threads,
                n_gpu_layers=c.n_gpu_layers,
                seed=0,
                verbose=False,
            )
            self.model = self.llm._model
        else:
            # The batched path makes its own multi-sequence context, so it loads the bare model:
            # a Llama would allocate a context (and its compute buffers) that nothing uses.
            self.llm = None
            params = ll.llama_model_default_params()
            params.n_gpu_layers = 0x7FFFFFFF if c.n_gpu_layers == -1 else c.n_gpu_layers
            self.model = LlamaModel(path_model=c.model_path, params=params, verbose=False)
        _silence_llama_log()
        template = self.model.metadata().get("tokenizer.chat_template")
        self.style = resolve_style(c.prompt_style, bool(template), c.model_path)
        self._format = None
        if self.style is PromptStyle.CHAT:
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter

            m = self.model
            self._format = Jinja2ChatFormatter(
                template=template,
                eos_token=m.detokenize([m.token_eos()]).decode("utf-8", "ignore"),
                bos_token=m.detokenize([m.token_bos()]).decode("utf-8", "ignore"),
            )
        use_grammar = c.constrain == "grammar" and self.style is PromptStyle.CHAT
        self._grammar = LlamaGrammar.from_json_schema(json.dumps(_SCHEMA), verbose=False) if use_grammar else None
        self._decoder = _SharedPrefixDecoder(self.model, c) if c.n_seq > 1 else None

    def render(self, req: GenerationRequest) -> tuple[str, list[str]]:
        """The prompt text (chat template applied and reply opened, or the list) and its stop strings."""
        if self.style is PromptStyle.COMPLETION:
            return completion_prompt(req), list(COMPLETION_STOP)
        formatted = self._format(messages=chat_messages(req))  # type: ignore[arg-type]  # plain role/content dicts
        extra = formatted.stop if isinstance(formatted.stop, list) else [formatted.stop]
        stop = [s for s in extra if s]  # an empty stop string would end every reply at once
        if self._grammar is None:
            return formatted.prompt + PREFILL, CHAT_STOP + stop
        return formatted.prompt, stop

    def _text(self, raw: str) -> str:
        return reply_text(self.style, raw, prefilled=self._grammar is None)

    def generate(self, requests: Sequence[GenerationRequest]) -> list[Completion]:
        if self._decoder is None:
            return [self._one(req) for req in requests]
        out: list[Completion] = []
        groups = self._groups(requests)
        # Up to n_groups consecutive groups decode together, as the pool planned them (``PoolBuilder.plan``).
        for k in range(0, len(groups), self.config.n_groups):
            raws = self._decoder.run(groups[k : k + self.config.n_groups], self._grammar)
            out.extend(Completion(self._text(r), n_tokens=n, truncated=t) for r, n, t in raws)
        return out

    def _groups(self, requests: Sequence[GenerationRequest]) -> list[_Group]:
        """Consecutive requests with the same prompt (one attempt group, at most ``n_seq``), rendered."""
        groups: list[_Group] = []
        for req in requests:
            prompt, stop = self.render(req)
            last = groups[-1] if groups else None
            if last is not None and last.prompt == prompt and len(last.requests) < self.config.n_seq:
                last.requests.append(req)
            else:
                groups.append(_Group(prompt, self.render(head_of(req))[0], stop, [req]))
        return groups

    def _one(self, req: GenerationRequest) -> Completion:
        """One request through llama-cpp-python's own completion (``n_seq`` 1): the unbatched path."""
        prompt, stop = self.render(req)
        # Consecutive requests of one group share their prompt, so llama.cpp reuses the processed
        # prefix and only decodes.
        resp = self.llm.create_completion(
            prompt=prompt,
            temperature=req.temperature,
            top_p=self.config.top_p,
            top_k=self.config.top_k,
            min_p=self.config.min_p,
            repeat_penalty=self.config.repeat_penalty,
            max_tokens=req.max_new_tokens,
            seed=req.seed,
            stop=stop,
            grammar=self._grammar,
        )
        assert isinstance(resp, dict)  # not streamed
        choice = resp["choices"][0]
        return Completion(
            text=self._text(choice["text"] or ""),
            n_tokens=int(resp.get("usage", {}).get("completion_tokens", 0)),
            truncated=choice.get("finish_reason") == "length",
        )


@dataclasses.dataclass
class _Group:
    """Requests that share one prompt, rendered."""

    prompt: str
    head: str
    """The prompt rendered without shots: what every group of its label has in common."""
    stop: list[str]
    requests: list[GenerationRequest]


@dataclasses.dataclass
class _Reply:
    """One request's reply while its sequence is decoded."""

    req: GenerationRequest
    sampler: Any
    """The request's llama.cpp sampler chain, seeded by it; freed when the call is done."""
    seq: int
    """The KV cache sequence it decodes in."""
    pos: int
    """The position of its next token."""
    prompt: int
    """Its prompt's index in the call: the output row of that prompt's last logits."""
    stop: list[str]
    pieces: bytearray = dataclasses.field(default_factory=bytearray)
    """The sampled tokens' bytes: a UTF-8 character may span tokens, so the text is decoded from all of them."""
    count: int = 0
    text: str = ""
    truncated: bool = False


class _SharedPrefixDecoder:
    """Decodes the replies to a few prompts (up to ``n_groups`` of ``n_seq`` requests) at once through
    llama.cpp's batch API."""

    def __init__(self, model: Any, c: LlamaCppConfig):
        import llama_cpp as ll
        from llama_cpp._internals import LlamaContext

        self.ll, self.model, self.c = ll, model, c
        params = ll.llama_context_default_params()
        params.n_ctx = c.n_ctx
        params.n_batch = min(512, c.n_ctx)
        params.n_ubatch = min(512, c.n_ctx)
        params.n_threads = c.n_threads
        params.n_threads_batch = c.n_threads
        params.n_seq_max = c.n_seq * c.n_groups
        # One cell pool for all sequences: a shared prompt is stored once, and every sequence may
        # use the whole window (a split cache would give each n_ctx / n_seq_max).
        params.kv_unified = True
        params.no_perf = True
        if c.n_gpu_layers == 0:  # measured on a CPU only (module docstring); a GPU keeps llama.cpp's choice
            params.flash_attn_type = ll.LLAMA_FLASH_ATTN_TYPE_DISABLED
        self._ctx_owner = LlamaContext(model=model, params=params, verbose=False)
        self.ctx = self._ctx_owner.ctx
        self.mem = ll.llama_get_memory(self.ctx)
        self.vocab = model.vocab
        self.n_vocab = model.n_vocab()
        self.batch = ll.llama_batch_init(params.n_batch, 0, 1)
        self._head: list[int] = []  # the head tokens sequence 0 holds, if any
        self.reuse_head = True
        self._piece = ctypes.create_string_buffer(64)
        self.prompts = _PromptStates(c.prompt_cache_mb * 2**20)

    def __del__(self) -> None:
        batch = getattr(self, "batch", None)
        if batch is not None:
            self.ll.llama_batch_free(batch)
            self.batch = None

    def _sampler(self, req: GenerationRequest, grammar: Any) -> Any:
        ll, c = self.ll, self.c
        chain = ll.llama_sampler_chain_init(ll.llama_sampler_chain_default_params())
        # Same chain as llama-cpp-python's create_completion builds (its binding passes n_vocab first).
        ll.llama_sampler_chain_add(
            chain, ll.llama_sampler_init_penalties(self.n_vocab, _PENALTY_LAST_N, c.repeat_penalty, 0.0, 0.0)
        )
        if grammar is not None:
            ll.llama_sampler_chain_add(
                chain,
                ll.llama_sampler_init_grammar(self.vocab, grammar._grammar.encode(), grammar._root.encode()),
            )
        if req.temperature <= 0.0:
            ll.llama_sampler_chain_add(chain, ll.llama_sampler_init_greedy())
        else:
            ll.llama_sampler_chain_add(chain, ll.llama_sampler_init_top_k(c.top_k))
            ll.llama_sampler_chain_add(chain, ll.llama_sampler_init_top_p(c.top_p, 1))
            ll.llama_sampler_chain_add(chain, ll.llama_sampler_init_min_p(c.min_p, 1))
            ll.llama_sampler_chain_add(chain, ll.llama_sampler_init_temp(req.temperature))
            ll.llama_sampler_chain_add(chain, ll.llama_sampler_init_dist(req.seed & 0xFFFFFFFF))
        return chain

    def _decode(self, items: Sequence[tuple[int, int, int, bool]]) -> None:
        """One ``llama_decode`` of (token, position, sequence, wants logits) items."""
        b = self.batch
        for i, (tok, pos, seq, logits) in enumerate(items):
            b.token[i] = tok
            b.pos[i] = pos
            b.n_seq_id[i] = 1
            b.seq_id[i][0] = seq
            b.logits[i] = logits
        b.n_tokens = len(items)
        rc = self.ll.llama_decode(self.ctx, b)
        if rc != 0:
            self._head = []
            self.ll.llama_memory_clear(self.mem, True)
            hint = " (no room in the KV cache: raise generator.context_length)" if rc == 1 else ""
            raise RuntimeError(f"llama_decode failed with code {rc}{hint}")

    def _piece_of(self, token: int) -> bytes:
        n = self.ll.llama_token_to_piece(self.vocab, token, self._piece, len(self._piece), 0, False)
        return self._piece.raw[:n] if n > 0 else b""

    def run(self, groups: Sequence[_Group], grammar: Any) -> list[tuple[str, int, bool]]:
        """(raw text before the stop string, tokens generated, truncated) per request, in order.

        Group ``i``'s prompt sits in sequence ``i * n_seq`` and is copied to the sequences after it,
        one per request; every reply then decodes one token per ``llama_decode`` together.
        """
        ll, n_seq = self.ll, self.c.n_seq
        prompts = [self.model.tokenize(g.prompt.encode("utf-8"), add_bos=True, special=True) for g in groups]
        self._check_room(prompts, groups)
        self._prefill(prompts, self._shared_head(prompts, groups))
        replies: list[_Reply] = []
        for i, (tokens, g) in enumerate(zip(prompts, groups)):
            for j in range(1, len(g.requests)):
                ll.llama_memory_seq_cp(self.mem, i * n_seq, i * n_seq + j, -1, -1)
            replies += [_Reply(r, self._sampler(r, grammar), i * n_seq + j, len(tokens), i, g.stop)
                        for j, r in enumerate(g.requests)]  # fmt: skip
        try:
            self._decode_replies(replies)
        finally:
            for reply in replies:
                ll.llama_sampler_free(reply.sampler)
        return [(r.text, r.count, r.truncated) for r in replies]

    def _check_room(self, prompts: list[list[int]], groups: Sequence[_Group]) -> None:
        longest = max(r.max_new_tokens for g in groups for r in g.requests)
        need = sum(len(p) for p in prompts) + longest * sum(len(g.requests) for g in groups)
        if max(len(p) for p in prompts) + longest > self.c.n_ctx or need > self.c.n_ctx:
            raise RuntimeError(
                f"{len(groups)} prompts of up to {max(map(len, prompts))} tokens plus max_new_tokens for each reply "
                f"exceed the context of {self.c.n_ctx}; raise generator.context_length or lower "
                "generator.shot_max_chars"
            )

    def _prefill(self, prompts: list[list[int]], head: int) -> None:
        """Put each prompt into its group's first sequence, its last token's logits ready to sample.

        A call with the same prompts as before (the same groups at another temperature) restores
        the context's state after all but their last tokens; else the first ``head`` tokens may be
        kept from the last call, the rest are evaluated, and that state is kept for the next such
        call. The last tokens are decoded together, after the rest, either way: restored cells hold
        the bits evaluated ones would, so a restored call writes the texts an evaluated one would.
        """
        key = tuple(tuple(p) for p in prompts)
        if not self._restore(key, prompts[0][:head]):
            self._evaluate(prompts, head)
            self._remember(key)
        self._decode([(p[-1], len(p) - 1, i * self.c.n_seq, True) for i, p in enumerate(prompts)])

    def _evaluate(self, prompts: list[list[int]], head: int) -> None:
        """Evaluate every prompt but its last token.

        The head (system prompt and first user turn, or the list's header; every prompt of a call
        shares it) is always decoded on its own, into the first cells of an emptied cache, so its
        keys and values are the same bits whichever call computed them, and kept ones equal
        recomputed ones. Group ``i`` shares the head's cells and its body follows group ``i - 1``'s.
        A call's texts therefore depend on its groups alone, never on what the actor did before.
        """
        ll, mem, n_seq = self.ll, self.mem, self.c.n_seq
        kept = False
        if head and self._head == prompts[0][:head]:
            for s in range(1, n_seq * self.c.n_groups):
                ll.llama_memory_seq_rm(mem, s, -1, -1)
            kept = ll.llama_memory_seq_rm(mem, 0, head, -1)
        if not kept:
            ll.llama_memory_clear(mem, True)
            self._head = []
            if head:
                self._decode_chunks(prompts[0][:head], 0, 0)
                self._head = list(prompts[0][:head])
        for i, tokens in enumerate(prompts):
            if i:
                ll.llama_memory_seq_cp(mem, 0, i * n_seq, 0, head)
            self._decode_chunks(tokens[head:-1], head, i * n_seq)

    def _decode_chunks(self, tokens: list[int], start: int, seq: int) -> None:
        """Evaluate ``tokens`` into sequence ``seq`` from position ``start``, no logits wanted."""
        n_batch = self.batch_size
        for off in range(0, len(tokens), n_batch):
            chunk = tokens[off : off + n_batch]
            self._decode([(t, start + off + k, seq, False) for k, t in enumerate(chunk)])

    def _remember(self, key: tuple[tuple[int, ...], ...]) -> None:
        """Keep a copy of the context's cells (the prompts but their last tokens) for ``key``."""
        ll = self.ll
        size = ll.llama_state_get_size(self.ctx)
        if not self.prompts.fits(size):
            return
        buf = (ctypes.c_uint8 * size)()
        if ll.llama_state_get_data(self.ctx, buf, size) == size:
            self.prompts.put(key, buf)

    def _restore(self, key: tuple[tuple[int, ...], ...], head: list[int]) -> bool:
        """Load ``key``'s kept cells into an emptied cache, where evaluating its prompts would put them."""
        saved = self.prompts.get(key)
        if saved is None:
            return False
        ll = self.ll
        ll.llama_memory_clear(self.mem, True)
        self._head = []
        if ll.llama_state_set_data(self.ctx, saved, len(saved)) != len(saved):
            ll.llama_memory_clear(self.mem, True)
            return False
        self._head = list(head)
        return True

    @property
    def batch_size(self) -> int:
        return min(512, self.c.n_ctx)

    def _shared_head(self, prompts: list[list[int]], groups: Sequence[_Group]) -> int:
        """How many first tokens every prompt of the call has in common with its head (one label: all)."""
        head = min(self._head_length(p, g.head) for p, g in zip(prompts, groups))
        return head if all(p[:head] == prompts[0][:head] for p in prompts) else 0

    def _head_length(self, tokens: list[int], head: str) -> int:
        """How many of the prompt's first tokens are the head's, and may be kept from the last call."""
        if not self.reuse_head:
            return 0
        head_len = 0
        for a, b in zip(tokens, self.model.tokenize(head.encode("utf-8"), add_bos=True, special=True)):
            if a != b:
                break
            head_len += 1
        return min(head_len, len(tokens) - 1)  # the last prompt token is decoded with the others' last, for logits

    def _decode_replies(self, replies: list[_Reply]) -> None:
        """Decode every reply's sequence a token per ``llama_decode`` until each reply is done."""
        ll = self.ll
        # Each reply samples its first token from its prompt's last logits (output ``prompt``).
        nxt = [ll.llama_sampler_sample(r.sampler, self.ctx, r.prompt) for r in replies]
        active = list(range(len(replies)))
        while active:
            active = [k for k in active if self._add_token(replies[k], nxt[k])]
            if not active:
                break
            self._decode([(nxt[k], replies[k].pos, replies[k].seq, True) for k in active])
            for i, k in enumerate(active):
                replies[k].pos += 1
                nxt[k] = ll.llama_sampler_sample(replies[k].sampler, self.ctx, i)

    def _add_token(self, reply: _Reply, tok: int) -> bool:
        """Add a sampled token to the reply; False once the reply is done (end of generation, stop string, limit)."""
        if self.ll.llama_vocab_is_eog(self.vocab, tok):
            reply.text = reply.pieces.decode("utf-8", "ignore")
            return False
        reply.count += 1
        reply.pieces += self._piece_of(tok)
        text = reply.pieces.decode("utf-8", "ignore")
        cut = first_stop(text, reply.stop)
        if cut >= 0:
            reply.text = text[:cut]
        elif reply.count >= reply.req.max_new_tokens:
            reply.text, reply.truncated = text, True
        else:
            return True
        return False


class _PromptStates:
    """Evaluated prompts (their sequence's state), least recently used dropped first past ``budget`` bytes."""

    def __init__(self, budget: int):
        from collections import OrderedDict

        self.budget = budget
        self._states: OrderedDict[tuple, Any] = OrderedDict()
        self._bytes = 0
        self.hits = 0
        self.misses = 0

    def fits(self, size: int) -> bool:
        return 0 < size <= self.budget

    def get(self, key: tuple) -> Any:
        state = self._states.get(key)
        if state is None:
            self.misses += 1
            return None
        self._states.move_to_end(key)
        self.hits += 1
        return state

    def put(self, key: tuple, state: Any) -> None:
        if key in self._states:
            return
        self._states[key] = state
        self._bytes += len(state)
        while self._bytes > self.budget:
            _, old = self._states.popitem(last=False)
            self._bytes -= len(old)
