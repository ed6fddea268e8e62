from __future__ import annotations

import os
import signal
import uuid
from pathlib import Path

import pytest

from common import force_offline

from . import _processes

force_offline()  # no test may reach a model hub
# The tests send Ctrl-C to this process and to the commands it starts. A shell starts a background
# job with SIGINT ignored, and an ignored signal stays ignored across exec: Python's own handler
# makes Ctrl-C a KeyboardInterrupt here and the default again in every child.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)
# Every process the tests start inherits this, whatever starts it (tests/_processes.py).
os.environ[_processes.RUN_VAR] = uuid.uuid4().hex
# A Ray temp dir of this run's own (unless one is set): a Ray process that overwrote its environment
# and lost its parent is still known by the log files it keeps open there; and a local Ray started
# here never takes a `ray start` cluster another session recorded in /tmp/ray for its own.
if "RAY_TMPDIR" not in os.environ:
    os.environ["RAY_TMPDIR"] = f"/tmp/sst-{os.environ[_processes.RUN_VAR][:8]}"  # short: socket paths
    os.makedirs(os.environ["RAY_TMPDIR"])
    _processes.own_dir(os.environ["RAY_TMPDIR"])

REPO = Path(__file__).resolve().parents[1]
DEMO_TRAIN = REPO / "data" / "drugsComTrain.tsv"


KEPT_ACROSS_MODULES: set[int] = set()
"""Pids a session-scoped fixture keeps alive across test modules (add them here; descendants included)."""


@pytest.fixture(scope="module", autouse=True)
def no_process_left(request):
    """After each test module, no process this test run started is left running.

    Module-scoped: pytest sets up autouse fixtures before the other fixtures of their scope, so
    this one is torn down after the module's own fixtures (a module-scoped Ray or cluster is gone by
    then; tests/test_processes.py checks the order). Marked processes alive when the module began
    belong to session-scoped fixtures and may stay, with their descendants. What is left is given
    up to 30 s to exit, then killed by pid and reported with its parent and command line.
    """
    before = _processes.marked()
    _processes.CHECK_PENDING.add(request.module.__name__)
    yield
    _processes.CHECK_PENDING.discard(request.module.__name__)
    exempt = _processes.with_descendants([*before, *_alive(KEPT_ACROSS_MODULES)])
    problem = _processes.check_none_left(exempt, timeout=LEFTOVER_WAIT_S)
    if problem:
        pytest.fail(problem, pytrace=False)


LEFTOVER_WAIT_S = 30.0


def _alive(pids):
    import psutil

    procs = []
    for pid in pids:
        try:
            procs.append(psutil.Process(pid))
        except psutil.NoSuchProcess:
            pass
    return procs


@pytest.fixture(scope="session")
def tiny_bert(tmp_path_factory) -> Path:
    """A tiny random BERT classifier directory with a word-level vocabulary, built here (no hub)."""
    import pandas as pd
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast

    root = tmp_path_factory.mktemp("tiny-bert")
    texts = pd.read_csv(DEMO_TRAIN, sep="\t")["review"].head(200).str.lower()
    words = sorted({w for t in texts for w in t.split() if w.isalpha()})[:2000]
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *words]
    (root / "vocab.txt").write_text("\n".join(vocab))
    tokenizer = BertTokenizerFast(vocab_file=str(root / "vocab.txt"))
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=16,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=128,
    )
    import torch

    torch.manual_seed(0)
    BertForSequenceClassification(config).save_pretrained(root)
    tokenizer.save_pretrained(root)
    return root


@pytest.fixture
def ray_start_2_cpus():
    """A fresh local Ray with two CPUs for one test (as in Ray Tune's own tests)."""
    import ray

    from common import OFFLINE_ENV

    info = ray.init(num_cpus=2, include_dashboard=False, runtime_env={"env_vars": OFFLINE_ENV})
    try:
        yield info
    finally:
        ray.shutdown()


@pytest.fixture
def small_csv(tmp_path) -> Path:
    """A three-class CSV with other column names than the demo."""
    import pandas as pd

    df = pd.read_csv(DEMO_TRAIN, sep="\t")
    df = df.groupby("rating").head(20).rename(columns={"review": "note", "rating": "outcome"})
    path = tmp_path / "small.csv"
    df[["note", "outcome"]].to_csv(path, index=False)
    return path


def pytest_sessionfinish(session, exitstatus):
    """Remove this run's Ray temp dir when every test passed (its logs stay for a failure)."""
    import shutil

    if exitstatus == 0:
        for path in _processes.OWNED_DIRS:
            shutil.rmtree(path, ignore_errors=True)


def pytest_collection_modifyitems(config, items):
    if os.environ.get("SYNTHSWEEP_SKIP_INTEGRATION"):
        skip = pytest.mark.skip(reason="SYNTHSWEEP_SKIP_INTEGRATION is set")
        for item in items:
            if "integration" in item.keywords:
                item.add_marker(skip)


def wait_until(condition, timeout: float, what: str, interval: float = 0.2) -> None:
    """Poll ``condition`` until it holds; fail naming ``what`` after ``timeout`` seconds."""
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out after {timeout:g} s waiting for {what}"
        time.sleep(interval)


SMALL_RUN = [
    "name=small",
    "data.max_train=24",
    "search.num_samples=4",
    "search.temperature=[0.7, 0.8]",
    "search.n_synthetic=[0, 3]",
    "search.n_synthetic_step=3",
    "generator.max_new_tokens=24",
    "classifier.epochs=4",
]


@pytest.fixture(scope="session")
def small_run(tmp_path_factory) -> Path:
    """One small real sweep (Ray, OptunaSearch, SmolLM2, MiniLM), shared by the status, export and
    report tests: four trials over two temperatures and n_synthetic in {0, 3}, a test slice of 36."""
    import pandas as pd
    import ray

    from sweep import load_config, run_sweep

    root = tmp_path_factory.mktemp("small-run")
    df = pd.read_csv(REPO / "data" / "drugsComTest.tsv", sep="\t", index_col=0)
    test_file = root / "test_slice.tsv"
    df.groupby("rating").head(12).to_csv(test_file, sep="\t")
    overrides = [f"storage={root / 'runs'}", f"data.test={test_file}", *SMALL_RUN]
    ray.init(num_cpus=2, include_dashboard=False, runtime_env={"env_vars": force_offline()})
    try:
        return run_sweep(load_config(REPO / "conf" / "demo.yaml", overrides)).run_dir
    finally:
        ray.shutdown()


def small_overrides(storage: Path, test_file: Path, **extra) -> list[str]:
    """`--set` overrides of conf/demo.yaml for a small real sweep (tens of seconds)."""
    over = {
        "storage": str(storage),
        "data.test": str(test_file),
        "data.max_train": 24,
        "search.num_samples": 3,
        "search.n_synthetic": "[0, 6]",
        "search.n_synthetic_step": 3,
        "search.temperature": "[0.7, 0.8]",
        "generator.max_new_tokens": 48,
        "classifier.epochs": 4,
    }
    over.update(extra)
    return [f"{k}={v}" for k, v in over.items()]


@pytest.fixture
def demo_test_slice(tmp_path) -> Path:
    """Twelve test reviews per rating class."""
    import pandas as pd

    df = pd.read_csv(REPO / "data" / "drugsComTest.tsv", sep="\t", index_col=0)
    path = tmp_path / "test_slice.tsv"
    df.groupby("rating").head(12).to_csv(path, sep="\t")
    return path


def demo_trial_data(n_per_class=6):
    """Train and validation reviews of the three rating classes, as a trial receives them."""
    import pandas as pd

    from trainables import TrialData

    df = pd.read_csv(DEMO_TRAIN, sep="\t")
    labels = ["negative", "neutral", "positive"]
    tr = df.groupby("rating").head(n_per_class)
    va = df.drop(tr.index).groupby("rating").head(4)
    return TrialData(
        labels=labels,
        train_texts=tr.review.tolist(),
        train_y=[labels.index(x) for x in tr.rating],
        val_texts=va.review.tolist(),
        val_y=[labels.index(x) for x in va.rating],
    )


def tiny_trial_settings(model_dir: Path, tmp_path: Path, mode: str, epochs=2, repeats=1, **extra):
    """Trial settings for the tiny BERT built by the ``tiny_bert`` fixture."""
    from trainables import ClassifierSettings, TrialSettings

    return TrialSettings(
        classifier=ClassifierSettings(
            path=str(model_dir),
            hash="tiny",
            mode=mode,
            epochs=epochs,
            learning_rate=1e-2 if mode == "head" else 1e-3,
            batch_size=8,
            max_length=32,
            weight_decay=0.0,
            lora_r=2,
        ),
        seed=0,
        repeats=repeats,
        feature_cache=str(tmp_path / "features.sqlite"),
        **extra,
    )
