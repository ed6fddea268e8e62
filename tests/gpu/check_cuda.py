"""Check the project's CUDA code paths on a real GPU, without Ray: `python3 tests/gpu/check_cuda.py`.

Why: the CUDA branches (``trainables.trainable.trial_device``, the head-mode frozen encoder and the
LoRA classifier on ``cuda``, the transformers generator in bf16) never ran where the project is
developed (no GPU), and a GPU machine cannot hold Ray, so this script calls the Ray-free functions a
Tune trial and a generator actor run:

1. ``trainables.trainable.run_trial`` (what ``train_classifier`` calls inside Tune, with a report
   callback instead of ``tune.report``) in head and lora mode on ``cuda`` with
   ``resources.trial.gpus=0.25``: the models sit on the GPU, every epoch's validation AUC is
   finite, the same seed gives the same result twice, and after ``release_gpu_memory`` (what
   ``train_classifier`` calls when a trial ends) ``torch.cuda.memory_allocated`` is back at its
   start value (head mode keeps its frozen encoder loaded for the worker's next trial, by design).
2. ``generators.transformers.model.TransformersGenerator`` with ``device="cuda"``: bf16 weights on
   the GPU, ``device_kind`` says ``gpu``, it generates, and the same requests give the same texts.

The models are tiny and randomly initialised, built on the spot from the configs and the real
tokenizers of the bundled all-MiniLM-L6-v2 (BERT) and SmolLM2-135M-Instruct (Llama): the checks are
about device placement, dtype, determinism and memory, not quality. The bundled weights are too big
to carry to a GPU machine, so ``--prepare`` (run where the bundled packages are installed) copies
their config and tokenizer files, a few MB, into ``.gpu-carry/models``.

Prints one ``PASS name: detail`` or ``FAIL name: detail`` line per check (``INFO`` lines for the
versions and the wall time; ``SKIP`` for the GPU-memory checks with ``--device cpu``) and exits 1 on
any FAIL. ``--device cpu`` runs the same checks on a CPU to debug the script before spending GPU time.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))  # run as a script on a machine where synthsweep is not installed

ASSETS = REPO / ".gpu-carry" / "models"
ENCODER, LLM = "minilm-l6", "smollm2-135m-instruct"
TINY_ENCODER = {"num_hidden_layers": 2, "hidden_size": 64, "num_attention_heads": 4, "intermediate_size": 128}
TINY_LLM = {
    "num_hidden_layers": 2,
    "hidden_size": 64,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "head_dim": 16,
    "intermediate_size": 128,
}
MEMORY_SLACK = 1 << 20
"""Bytes of ``memory_allocated`` above the start value still counted as released."""
FAILED: list[str] = []


def report(ok: bool, name: str, detail: str) -> None:
    print(f"{'PASS' if ok else 'FAIL'} {name}: {detail}", flush=True)
    if not ok:
        FAILED.append(name)


def check(name: str, fn: Callable[[], tuple[bool, str]]) -> None:
    """Run one check; an exception is its FAIL line (traceback on stderr)."""
    try:
        ok, detail = fn()
    except Exception as e:  # the other checks still run
        traceback.print_exc()
        ok, detail = False, f"{type(e).__name__}: {e}"
    report(ok, name, detail)


def section(name: str, fn: Callable[[], None]) -> None:
    """Run a group of checks; an exception outside its checks (a model that does not load) is a FAIL."""
    try:
        fn()
    except Exception as e:
        traceback.print_exc()
        report(False, f"{name}_setup", f"{type(e).__name__}: {e}")


# --- assets: config and tokenizer files of the bundled models (run --prepare where they are installed)


def prepare(assets: Path) -> None:
    """Copy the bundled models' config, pooling and tokenizer files (no weights) into ``assets``."""
    from transformers import AutoConfig, AutoTokenizer

    from common import resolve_classifier_model, resolve_generator_model

    encoder = resolve_classifier_model(ENCODER)  # unpacked into the model cache once
    target = assets / ENCODER
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(encoder, target, ignore=shutil.ignore_patterns("*.safetensors", "*.bin"))
    gguf = resolve_generator_model(LLM)  # a GGUF file: transformers reads its config and tokenizer (gguf package)
    target = assets / LLM
    shutil.rmtree(target, ignore_errors=True)
    AutoConfig.from_pretrained(gguf.parent, gguf_file=gguf.name, local_files_only=True).save_pretrained(target)
    tok = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name, local_files_only=True)
    tok.save_pretrained(target)
    size = sum(p.stat().st_size for p in assets.rglob("*") if p.is_file())
    print(f"INFO prepared {assets} ({size / 1e6:.1f} MB): {', '.join(sorted(p.name for p in assets.iterdir()))}")


def build_tiny(src: Path, dst: Path, shrink: dict[str, int], causal: bool) -> Path:
    """A randomly initialised, shrunk model of ``src``'s architecture, saved with ``src``'s other files."""
    import torch
    from transformers import AutoConfig, AutoModel, AutoModelForCausalLM
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    shutil.copytree(src, dst)  # tokenizer and pooling files; save_pretrained writes config.json anew
    cfg = AutoConfig.from_pretrained(src, local_files_only=True)
    for key, value in shrink.items():
        setattr(cfg, key, value)
    torch.manual_seed(0)  # the same weights in every run of the script
    model = (AutoModelForCausalLM if causal else AutoModel).from_config(cfg)
    model.save_pretrained(dst)
    return dst


def tiny_models(assets: Path, work: Path) -> tuple[Path, Path]:
    """(encoder directory, causal LM directory), built in ``work`` from the carried files."""
    missing = [n for n in (ENCODER, LLM) if not (assets / n / "config.json").is_file()]
    if missing:
        raise FileNotFoundError(
            f"{assets} lacks {missing}: run this script with --prepare where synthsweep is installed"
        )
    return (
        build_tiny(assets / ENCODER, work / ENCODER, TINY_ENCODER, causal=False),
        build_tiny(assets / LLM, work / LLM, TINY_LLM, causal=True),
    )


def built_models(assets: Path, work: Path, built: list[Path]) -> tuple[bool, str]:
    built.extend(tiny_models(assets, work))
    sizes = [sum(p.stat().st_size for p in d.glob("*.safetensors")) / 2**20 for d in built]
    return True, f"random {ENCODER} {TINY_ENCODER} and {LLM} {TINY_LLM}, weights {sizes[0]:.1f} + {sizes[1]:.1f} MiB"


# --- check 1: the classifier trial


def toy_data(seed: int = 0):
    """A small two-label task a bag of token vectors can separate (the point is a finite AUC)."""
    from trainables import TrialData

    rng = random.Random(seed)
    words = (["great", "superb", "wonderful", "love", "delightful"], ["awful", "terrible", "dreadful", "hate", "dull"])
    filler = ["the", "film", "was", "plot", "actors", "and", "a", "it", "story", "really", "quite", "ending"]

    def split(n: int) -> tuple[list[str], list[int]]:
        ys = [i % 2 for i in range(n)]
        texts = []
        for y in ys:
            tokens = rng.sample(filler, 5) + rng.sample(words[1 - y], 2)
            rng.shuffle(tokens)
            texts.append(" ".join(tokens))
        return texts, ys

    (tx, ty), (vx, vy) = split(48), split(32)
    return TrialData(["negative", "positive"], tx, ty, vx, vy, positive=1)


def trial_settings(encoder: Path, mode: str, device: str, gpus: float = 0.25):
    from trainables import ClassifierSettings, TrialSettings

    c = ClassifierSettings(
        path=str(encoder),
        hash="tiny-random",
        mode=mode,
        epochs=3 if mode == "head" else 2,
        learning_rate=1e-2 if mode == "head" else 5e-4,
        batch_size=8,
        max_length=32,
        lora_r=4,
    )
    return TrialSettings(classifier=c, seed=7, repeats=2, cpus=1, gpus=gpus if device == "cuda" else 0.0)


def placement(trial: Any) -> set[str]:
    """Devices and dtypes of the models a prepared trial uses (the frozen encoder in head mode)."""
    from trainables import _features

    if trial.settings.classifier.mode == "head":
        key = (trial.settings.classifier.path, "cuda" if trial.settings.gpus > 0 else "cpu")
        models = [_features._LOADED[key][0]]
    else:
        models = [m.model for m in trial.clf.members]
    return {f"{p.device.type}/{str(p.dtype).removeprefix('torch.')}" for m in models for p in m.parameters()}


def run_one(settings: Any, data: Any) -> dict[str, Any]:
    """One trial through ``run_trial`` (no synthetic data): its reported rows, final probabilities, devices."""
    import numpy as np

    from trainables import TrialParams, trainable

    seen: dict[str, Any] = {}
    rows: list[dict] = []
    prepare_trial = trainable.prepare_trial

    def capture(*args: Any, **kwargs: Any) -> Any:
        trial = seen["trial"] = prepare_trial(*args, **kwargs)
        seen["where"] = placement(trial)
        seen["heads"] = {str(m.head.weight.device) for m in trial.clf.members if hasattr(m, "head")}
        return trial

    def no_pool(label: str, t: float, n: int) -> Any:
        raise AssertionError("n_synthetic=0 fetches nothing")

    trainable.prepare_trial = capture
    try:
        trainable.run_trial(TrialParams(0.7, 0, 1.0), data, settings, no_pool, lambda row, ckpt: rows.append(row))
    finally:
        trainable.prepare_trial = prepare_trial
    trial = seen.pop("trial")
    probs = np.stack(trial.clf.predict_proba(trial.val_in))
    return {"rows": rows, "probs": probs, "where": seen["where"], "heads": seen["heads"]}


def gpu_allocated() -> int:
    import torch

    if not torch.cuda.is_available():
        return 0
    torch.cuda.synchronize()
    return torch.cuda.memory_allocated()


def warm_up_cuda() -> None:
    """First matmuls allocate cuBLAS workspaces that stay allocated: take them before the baseline."""
    import torch

    for dtype in (torch.float32, torch.bfloat16):
        x = torch.randn(64, 64, device="cuda", dtype=dtype, requires_grad=True)
        (x @ x).sum().backward()
    del x
    torch.cuda.synchronize()


def check_trial_device(device: str) -> tuple[bool, str]:
    """Fractional GPUs give ``cuda`` (where there is one); no GPU asked for gives ``cpu``."""
    from trainables.trainable import trial_device

    settings = trial_settings(Path("unused"), "head", "cuda", gpus=0.25)
    cpu = trial_device(trial_settings(Path("unused"), "head", "cpu"))
    if device == "cuda":
        got = trial_device(settings)
        return got == "cuda" and cpu == "cpu", f"gpus=0.25 -> {got!r}, gpus=0 -> {cpu!r}"
    try:
        got = trial_device(settings)
    except RuntimeError as e:
        return cpu == "cpu", f"no CUDA here: gpus=0.25 refused ({e}); gpus=0 -> {cpu!r}"
    return got == "cuda" and cpu == "cpu", f"gpus=0.25 -> {got!r}, gpus=0 -> {cpu!r}"


def trial_ran(run: dict[str, Any], device: str, dtype: str, wall: float) -> tuple[bool, str]:
    aucs = [r["val_auc"] for r in run["rows"]]
    finite = bool(aucs) and all(math.isfinite(a) for a in aucs)
    on = run["where"] == {f"{device}/{dtype}"}
    heads = f" (linear heads on {sorted(run['heads'])}: they train on the features as numpy)" if run["heads"] else ""
    detail = (
        f"models on {sorted(run['where'])}{heads}, val_auc per epoch {[round(a, 4) for a in aucs]}, "
        f"train_loss {[round(r['train_loss'], 4) for r in run['rows']]}, {wall:.1f} s"
    )
    return finite and on, detail


def same_result(a: dict[str, Any], b: dict[str, Any]) -> tuple[bool, str]:
    """Bitwise the same reported AUCs, losses and final validation probabilities."""
    import numpy as np

    keys = ("val_auc", "val_auc_repeats", "train_loss")
    rows_equal = [[r[k] for k in keys] for r in a["rows"]] == [[r[k] for k in keys] for r in b["rows"]]
    diff = float(np.abs(a["probs"] - b["probs"]).max())
    auc_diff = max(abs(x["val_auc"] - y["val_auc"]) for x, y in zip(a["rows"], b["rows"]))
    same = rows_equal and diff == 0.0
    return (
        same,
        f"{'bitwise identical' if same else 'DIFFERENT'}: max |d prob| {diff:.3g}, max |d val_auc| {auc_diff:.3g}",
    )


def memory_line(start: int, now: int, kept: int, what: str) -> tuple[bool, str]:
    import torch

    extra = now - start - kept
    detail = (
        f"{what}: allocated {now / 2**20:.2f} MiB vs {start / 2**20:.2f} MiB at the start"
        f"{f' (+{kept / 2**20:.2f} MiB cached encoder, kept by design)' if kept else ''}, "
        f"reserved by torch's cache now {torch.cuda.memory_reserved() / 2**20:.1f} MiB"
    )
    return abs(extra) <= MEMORY_SLACK, detail


def encoder_bytes(path: str) -> int:
    """Bytes of the frozen encoder head mode keeps loaded on the GPU between trials."""
    from trainables import _features

    model = _features._LOADED[(path, "cuda")][0]
    return sum(t.numel() * t.element_size() for t in (*model.parameters(), *model.buffers()))


def kept(settings: Any) -> int:
    """GPU bytes a finished trial leaves allocated by design: head mode's frozen encoder, reused by the next trial."""
    return encoder_bytes(settings.classifier.path) if settings.classifier.mode == "head" else 0


def timed_trial(settings: Any, data: Any, runs: list[dict[str, Any]], device: str) -> tuple[bool, str]:
    """Run the trial once more (kept in ``runs``) and judge its placement and AUCs."""
    import torch

    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    t0 = time.perf_counter()
    runs.append(run_one(settings, data))
    ok, detail = trial_ran(runs[-1], device, "float32", time.perf_counter() - t0)
    if device == "cuda":
        detail += f", peak GPU memory {torch.cuda.max_memory_allocated() / 2**20:.1f} MiB"
    return ok, detail


def check_trials(encoder: Path, mode: str, device: str) -> None:
    """Run the same trial twice: placement and finite AUC, the same result, GPU memory back after each."""
    from trainables import _features
    from trainables.trainable import release_gpu_memory

    data, settings = toy_data(), trial_settings(encoder, mode, device)
    start = gpu_allocated()
    runs: list[dict[str, Any]] = []
    for k in (1, 2):
        check(f"{mode}_trial_{device}_run{k}", lambda: timed_trial(settings, data, runs, device))
        release_gpu_memory()  # what train_classifier does when a trial ends
        if device != "cuda":
            print(f"SKIP {mode}_memory_released_run{k}: GPU memory is checked on cuda only", flush=True)
            continue
        check(
            f"{mode}_memory_released_run{k}",
            lambda k=k: memory_line(start, gpu_allocated(), kept(settings), f"after run {k}"),
        )
    if len(runs) == 2:
        check(f"{mode}_same_seed_{device}", lambda: same_result(*runs))
    if mode == "head" and device == "cuda":
        _features._LOADED.clear()  # what the end of the worker process does
        release_gpu_memory()
        check("head_memory_encoder_dropped", lambda: memory_line(start, gpu_allocated(), 0, "encoder dropped"))


# --- check 2: the transformers generator


def requests() -> list[Any]:
    """Sampled replies (two share a prompt, so its prefill is shared) and a greedy one."""
    from generators import GenerationRequest

    def req(seed: int, temperature: float, label: str = "positive") -> GenerationRequest:
        return GenerationRequest(
            label=label,
            shots=("the film was a delight", "great actors and a lovely story"),
            temperature=temperature,
            seed=seed,
            max_new_tokens=24,
            system_prompt=f"You write short {label} movie reviews.",
            user_prompt=f"Write one {label} movie review as JSON.",
        )

    return [req(11, 0.9), req(12, 0.9), req(13, 0.9, "negative"), req(14, 0.0)]


def check_generator(llm: Path, device: str) -> None:
    """Load on ``device`` (bf16 on CUDA), generate twice with the same requests, compare."""
    from generators import device_kind
    from generators.transformers.config import TransformersConfig
    from generators.transformers.model import TransformersGenerator

    gen = TransformersGenerator(TransformersConfig(model_path=str(llm), device=device, batch_size=4, n_threads=2))
    where = {f"{p.device.type}/{str(p.dtype).removeprefix('torch.')}" for p in gen.model.parameters()}
    want = {"cuda/bfloat16"} if device == "cuda" else {"cpu/float32"}
    kind = device_kind(gen)
    check(
        f"generator_loads_{device}",
        lambda: (
            where == want and kind == ("gpu" if device == "cuda" else "cpu"),
            f"weights {sorted(where)}, generator.device {gen.device}, device_kind {kind!r}, style {gen.style}",
        ),
    )
    reqs = requests()
    out: list[list[Any]] = []
    t0 = time.perf_counter()
    check(f"generator_generates_{device}", lambda: generated(out, gen, reqs, t0))
    check(f"generator_same_seed_{device}", lambda: same_texts(out, gen, reqs))


def generated(out: list[list[Any]], gen: Any, reqs: list[Any], t0: float) -> tuple[bool, str]:
    out.append(gen.generate(reqs))
    tokens = [c.n_tokens for c in out[0]]
    return all(n > 0 for n in tokens) and len(out[0]) == len(reqs), (
        f"{len(out[0])} replies, tokens {tokens}, {time.perf_counter() - t0:.1f} s; first: {out[0][0].text[:60]!r}"
    )


def same_texts(out: list[list[Any]], gen: Any, reqs: list[Any]) -> tuple[bool, str]:
    """The same call twice gives the same texts; a request decoded alone is noted, not required."""
    again = gen.generate(reqs)
    same = [a.text == b.text and a.n_tokens == b.n_tokens for a, b in zip(out[0], again)]
    alone = gen.generate(reqs[:1])[0].text == out[0][0].text
    return all(same), (
        f"same texts twice: {sum(same)}/{len(same)}; first request decoded alone "
        f"{'gives the same text' if alone else 'gives another text'} (batching may change bf16 numerics; not required)"
    )


# --- main


def versions(device: str) -> str:
    import platform

    import peft
    import torch
    import transformers

    gpu = f", {torch.cuda.get_device_name()} (CUDA {torch.version.cuda})" if device == "cuda" else ""
    return (
        f"python {platform.python_version()}, torch {torch.__version__}, transformers {transformers.__version__}, "
        f"peft {peft.__version__}{gpu}"
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", choices=("cuda", "cpu"), default="cuda")
    ap.add_argument("--assets", type=Path, default=ASSETS, help="config and tokenizer files (default: %(default)s)")
    ap.add_argument("--prepare", action="store_true", help="write --assets from the bundled models installed here")
    ap.add_argument(
        "--deterministic",
        action="store_true",
        help="torch.use_deterministic_algorithms(True, warn_only=True), to tell nondeterministic kernels apart",
    )
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.prepare:
        prepare(args.assets)
        return 0
    t0 = time.perf_counter()
    if args.deterministic:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # before CUDA starts
    import torch

    if args.deterministic:
        torch.use_deterministic_algorithms(True, warn_only=True)
    if args.device == "cuda" and not torch.cuda.is_available():
        report(False, "cuda_available", f"torch {torch.__version__} sees no CUDA device")
        return 1
    print(f"INFO {versions(args.device)}{', deterministic algorithms' if args.deterministic else ''}", flush=True)
    with tempfile.TemporaryDirectory() as work:
        built: list[Path] = []
        check("tiny_models", lambda: built_models(args.assets, Path(work), built))
        if not built:
            return 1
        encoder, llm = built
        if args.device == "cuda":
            warm_up_cuda()
        check("trial_device_fractional_gpus", lambda: check_trial_device(args.device))
        section("head", lambda: check_trials(encoder, "head", args.device))
        section("lora", lambda: check_trials(encoder, "lora", args.device))
        section("generator", lambda: check_generator(llm, args.device))
    failed = f": {', '.join(FAILED)}" if FAILED else ""
    print(f"INFO wall {time.perf_counter() - t0:.1f} s, {len(FAILED)} failed{failed}", flush=True)
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
