"""API coverage never drops: ``tools/api_coverage.py`` measured against the installed torch (the oracle), compared
with the floor committed in ``tools/api_coverage_floor.json`` (raised with ``--update-floor`` as names land).

The tool runs in a fresh interpreter, as from the command line: ``dir(torch)`` grows with whatever other tests
imported, which would move the figures."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytest.importorskip("torch")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import api_coverage  # noqa: E402


@pytest.fixture(scope="module")
def results():
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""), JAX_PLATFORMS="cpu")
    out = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "api_coverage.py"), "--json"], env=env,
                         capture_output=True, text=True, timeout=120, check=True)
    return json.loads(out.stdout)


def test_every_namespace_is_measured(results):
    assert set(api_coverage.load_floor()) == set(results), "the floor file and the tool differ: rerun --update-floor"
    for title, r in results.items():
        assert r["supported"] or r["missing"], f"{title}: torch lists no names (the oracle's API was not read)"


def test_coverage_does_not_drop(results):
    floor = api_coverage.load_floor()
    dropped = {t: (round(r["percent"], 2), floor[t]) for t, r in results.items() if r["percent"] + 1e-9 < floor[t]}
    assert not dropped, f"coverage below the committed floor (now, floor): {dropped}; missing now: " + \
        "; ".join(f"{t}: {results[t]['missing']}" for t in dropped)


def test_exclusions_are_reasoned_and_only_for_missing_names(results):
    for r in results.values():
        for reason, names in r["excluded"].items():
            assert reason and names
            assert not set(names) & set(r["supported"])


def test_exclusion_rules():
    assert api_coverage.exclusion("torch", "sparse_coo_tensor") is not None
    assert api_coverage.exclusion("torch.Tensor", "rename") is not None
    assert api_coverage.exclusion("torch", "add") is None
    # deprecation rules are per namespace: torch.solve is removed, torch.linalg.solve is not
    assert api_coverage.exclusion("torch", "solve") is not None
    assert api_coverage.exclusion("torch.linalg", "solve") is None
