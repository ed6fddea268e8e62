"""Generation never needs the network, and real record text stays out of output unless asked."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from common import BundledModel
from generators._prompts import normalise
from sweep.cli import main

from .conftest import DEMO_TRAIN, REPO

pytestmark = pytest.mark.integration

DEMO = REPO / "conf" / "demo.yaml"
# Small and quick; the same prompt settings as test_quality_integration's sweep, so they share pools.
SMALL = ["data.max_train=24", "generator.max_new_tokens=48"]


def _unshare_prefix() -> list[str] | None:
    """``unshare -n`` as root, ``unshare -rn`` (a user namespace) otherwise; None where not allowed."""
    exe = shutil.which("unshare")
    if exe is None:
        return None
    for prefix in ([exe, "-n"], [exe, "-rn"]):
        if subprocess.run([*prefix, "true"], capture_output=True).returncode == 0:
            return prefix
    return None


# (bundled model, extra --set overrides); a name this checkout does not bundle is skipped.
MODELS = [
    ("smollm2-135m-instruct", []),
    ("gemma3-270m", []),
]


@pytest.mark.parametrize("model, overrides", MODELS, ids=[m for m, _ in MODELS])
def test_generate_works_in_a_network_namespace_with_only_loopback(tmp_path, model, overrides):
    if model not in {m.value for m in BundledModel}:
        pytest.skip(f"{model} is not a bundled generator on this branch")
    prefix = _unshare_prefix()
    if prefix is None:
        pytest.skip("this machine does not allow a new network namespace (unshare -n / unshare -rn failed)")
    synthsweep = Path(sys.executable).with_name("synthsweep")
    lo_up = "ip link set lo up && " if shutil.which("ip") else ""  # without ip, loopback stays down: stricter still
    # The HF offline switches are dropped from the environment: synthsweep must set them itself.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "TRANSFORMERS_"))}
    # Inside, the only network interface must be loopback (/proc/net/dev lists this namespace's).
    only_lo = "[ \"$(awk 'NR>2{print $1}' /proc/net/dev)\" = lo: ]"
    script = f'{lo_up}if ! {only_lo}; then echo NOT-ISOLATED; exit 3; fi; exec "$@"'
    sets = [f"storage={tmp_path}", f"generator.model={model}", *SMALL, *overrides]
    cmd = [*prefix, "sh", "-c", script, sys.executable, str(synthsweep), "generate", str(DEMO), "--label", "positive"]
    cmd += ["--n", "2", "--temperature", "0.7", *sum((["--set", s] for s in sets), [])]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO, timeout=900)
    assert "NOT-ISOLATED" not in proc.stdout, "the namespace was supposed to hold only loopback"
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = [x for x in proc.stdout.splitlines() if x[:3] in ("1. ", "2. ")]
    assert len(lines) == 2, proc.stdout


def _real_prefixes() -> list[str]:
    texts = pd.read_csv(DEMO_TRAIN, sep="\t")["review"].tolist()
    return [p for p in (normalise(t)[:60] for t in texts) if len(p) == 60]


def test_generate_prints_real_text_only_with_show_text(capfd, tmp_path):
    real = _real_prefixes()
    args = ["generate", str(DEMO), "--label", "negative", "--n", "2", "--temperature", "0.7"]
    args += sum((["--set", s] for s in [f"storage={tmp_path}", *SMALL]), [])
    assert main(args) == 0
    out = capfd.readouterr()
    plain = normalise(out.out + out.err)
    assert not [p for p in real if p in plain], "no real record text without --show-text"

    assert main([*args, "--show-text"]) == 0
    shown = capfd.readouterr()
    assert "real training records shown to the generator (--show-text)" in shown.out
    assert [p for p in real if p in normalise(shown.out)], "--show-text prints the few-shot records"
    # The examples themselves come from the cache the first call filled, unchanged.
    first = [x for x in out.out.splitlines() if x[:3] in ("1. ", "2. ")]
    assert first == [x for x in shown.out.splitlines() if x[:3] in ("1. ", "2. ")]
