"""``synthsweep run CONFIG --dry-run``: the placement plan, then exit without starting or writing anything."""

from __future__ import annotations

import sys

import pytest

from sweep.cli import main

from .conftest import REPO


def _dry(capsys, conf: str, *overrides: str) -> tuple[int, str, str]:
    args = ["run", str(REPO / "conf" / conf), "--dry-run", "--set", "ray.address=null"]
    for o in overrides:
        args += ["--set", o]
    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err.strip()


def test_dry_run_demo_prints_the_plan(capsys, tmp_path):
    code, out, err = _dry(capsys, "demo.yaml", f"storage={tmp_path / 'runs'}")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "plan for demo (dry run: nothing is started or written)"
    assert any(ln.startswith("cluster: this machine") for ln in lines)
    assert any(ln.startswith("generator actor default 1/1: CPU 1, GPU 0, on ") for ln in lines)
    assert any(ln.startswith("trials: CPU 1, GPU 0 each;") for ln in lines)
    assert "fits: yes" in lines and any(ln.startswith("search: 8 trials") for ln in lines)
    assert not (tmp_path / "runs").exists()
    assert "ray" not in sys.modules or not __import__("ray").is_initialized()


def test_dry_run_cluster_yaml_says_it_does_not_fit_here(capsys, tmp_path):
    code, out, err = _dry(capsys, "cluster.yaml", f"storage={tmp_path / 'runs'}")
    assert code == 2
    assert "generator actor default 4/4: CPU 4, GPU 1, fits on no node" in out
    assert any(ln.startswith("fits: no: the sweep cannot be placed") for ln in out.splitlines())
    assert err.startswith("error: the sweep cannot be placed") and len(err.splitlines()) == 1
    assert not (tmp_path / "runs").exists()


@pytest.mark.integration
def test_dry_run_against_a_running_ray(capsys, tmp_path, ray_start_2_cpus):
    code, out, _ = _dry(capsys, "two_generators.yaml", f"storage={tmp_path / 'runs'}")
    assert code == 0
    assert "cluster: the connected Ray: 1 node(s), CPU 2, GPU 0" in out
    assert "generator actor smollm2 1/1: CPU 0.5, GPU 0" in out and "generator actor gemma 1/1" in out
