"""API coverage never drops: ``tools/api_coverage.py`` measured against the installed torch (the oracle), compared
with the floor committed in ``tools/api_coverage_floor.json`` (raised with ``--update-floor`` as names land)."""
from __future__ import annotations

import os
import sys

import pytest

pytest.importorskip("torch")

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tools"))
import api_coverage


@pytest.fixture(scope="module")
def results():
    return {r.title: r for r in api_coverage.measure()}


def test_every_namespace_is_measured(results):
    floor = api_coverage.load_floor()
    assert set(floor) == set(results), "the floor file and the tool's namespaces differ: rerun --update-floor"
    for r in results.values():
        assert r.supported or r.missing, f"{r.title}: torch lists no names (the oracle's API was not read)"


def test_coverage_does_not_drop(results):
    floor = api_coverage.load_floor()
    dropped = {t: (round(r.percent, 1), floor[t]) for t, r in results.items() if r.percent + 1e-9 < floor[t]}
    assert not dropped, f"coverage below the committed floor (now, floor): {dropped}; missing now: " + \
        "; ".join(f"{t}: {results[t].missing}" for t in dropped)


def test_exclusions_are_reasoned_and_only_for_missing_names(results):
    for r in results.values():
        for reason, names in r.excluded.items():
            assert reason and names
            assert not set(names) & set(r.supported)


def test_exclusion_rules():
    assert api_coverage.exclusion("torch", "sparse_coo_tensor") is not None
    assert api_coverage.exclusion("torch.Tensor", "rename") is not None
    assert api_coverage.exclusion("torch", "add") is None
    # deprecation rules are per namespace: torch.solve is removed, torch.linalg.solve is not
    assert api_coverage.exclusion("torch", "solve") is not None
    assert api_coverage.exclusion("torch.linalg", "solve") is None
