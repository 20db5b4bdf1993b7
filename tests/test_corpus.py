"""The corpus: whole PyTorch scripts (tests/corpus/) run under real torch and under ``python -m ptjax``.

Every script prints ``RESULT {json}`` lines through tests/corpus/_report.py, and each line says how it is
compared: equal to torch's value (no keyword), close to it (``rtol``/``atol``), or inside bounds under both
libraries (``min``/``max``, for results that depend on random draws: same seed is not the same numbers in ptjax
and torch). Without torch the ptjax side still has to run to the end inside its bounds.

Cost: the ptjax side is one ``python -m ptjax`` process per script, as a user runs it (isolation); the torch side
is one process that imports torch once and forks a child per script (tests/corpus/_torch_batch.py). The
processes run in the background, two at a time (``CORPUS_JOBS``), from the first corpus test on.
"""
import importlib.machinery
import json
import os
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

CORPUS = Path(__file__).resolve().parent / "corpus"
ROOT = CORPUS.parents[1]
SCRIPTS = sorted(p.stem for p in CORPUS.glob("[a-z]*.py"))
TIMEOUT_S = 300
JOBS = int(os.environ.get("CORPUS_JOBS", "2"))

# Scripts that fail today on something ptjax lacks; strict, so each must pass once its names land. A reason
# lists what stops the script first, then the other names it uses that ptjax lacks (static scan of the script,
# and runs with stand-ins for the first ones); "behaviour:" marks a difference rather than a missing name.
MISSING = {
    "numpy_bridge": "behaviour: Tensor.numpy(), torch.from_numpy and torch.as_tensor do not share memory with NumPy "
                    "(and numpy() is read-only)",
}


def _torch_available():
    """Real torch on sys.path (asked of the path finder, past any torch → ptjax import hook in this process)."""
    return importlib.machinery.PathFinder.find_spec("torch") is not None


class Run:
    """One script's run under one library: exit code, stdout, stderr."""

    def __init__(self, returncode, stdout, stderr):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr

    def results(self):
        lines = [json.loads(line[len("RESULT "):]) for line in self.stdout.splitlines()
                 if line.startswith("RESULT ")]
        return {line.pop("name"): line for line in lines}

    def failure(self, lib):
        tail = "\n".join(self.stderr.strip().splitlines()[-15:])
        return f"the script failed under {lib} (exit {self.returncode}):\n{tail}"


class CorpusRuns:
    """Starts the selected scripts' processes in a pool at first use; hands out their runs as they end."""

    def __init__(self, scripts, workdir):
        self.workdir = workdir
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
        self.env = env
        self.pool = ThreadPoolExecutor(max_workers=JOBS)
        self.torch_batch = self.pool.submit(self._torch, scripts) if _torch_available() else None
        self.ptjax = {s: self.pool.submit(self._ptjax, s) for s in scripts}
        self.lock = threading.Lock()

    def _ptjax(self, script):
        cwd = self.workdir / "ptjax" / script
        cwd.mkdir(parents=True)
        try:
            proc = subprocess.run([sys.executable, "-m", "ptjax", str(CORPUS / f"{script}.py")], cwd=cwd,
                                  env=self.env, capture_output=True, text=True, timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired as exc:
            return Run("timeout", exc.stdout or "", f"timed out after {TIMEOUT_S} s")
        return Run(proc.returncode, proc.stdout, proc.stderr)

    def _torch(self, scripts):
        outdir = self.workdir / "torch"
        outdir.mkdir()
        proc = subprocess.run([sys.executable, str(CORPUS / "_torch_batch.py"), str(outdir),
                               *(str(CORPUS / f"{s}.py") for s in scripts)],
                              env=self.env, capture_output=True, text=True, timeout=TIMEOUT_S * len(scripts))
        codes = dict(line.split()[1:] for line in proc.stdout.splitlines() if line.startswith("EXIT "))
        runs = {}
        for s in scripts:
            out, err = outdir / f"{s}.out", outdir / f"{s}.err"
            if s not in codes:
                runs[s] = Run("missing", "", proc.stderr)
            else:
                runs[s] = Run(int(codes[s]), out.read_text(), err.read_text())
        return runs

    def torch(self, script):
        return None if self.torch_batch is None else self.torch_batch.result()[script]


@pytest.fixture(scope="module")
def corpus_runs(request, tmp_path_factory):
    selected = [item.callspec.params["script"] for item in request.session.items
                if item.module is request.module and hasattr(item, "callspec")]
    runs = CorpusRuns(selected, tmp_path_factory.mktemp("corpus"))
    yield runs
    runs.pool.shutdown(cancel_futures=True)


def _leaves(value):
    """The numbers of a nested report value, flattened, and its nesting with the numbers blanked out."""
    if isinstance(value, list):
        pairs = [_leaves(v) for v in value]
        return [x for numbers, _ in pairs for x in numbers], [skeleton for _, skeleton in pairs]
    if isinstance(value, dict):
        numbers, skeleton = _leaves(list(value.values()))
        return numbers, dict(zip(value, skeleton))
    return [float(value)], None


def _check_bounds(lib, name, spec):
    if "min" not in spec and "max" not in spec:
        return
    values = np.asarray(_leaves(spec["value"])[0])
    low, high = spec.get("min", -np.inf), spec.get("max", np.inf)
    assert np.all((values >= low) & (values <= high)), f"{name} = {spec['value']} under {lib}, outside [{low}, {high}]"


def _compare(name, got, want):
    if "rtol" in got or "atol" in got:
        (got_numbers, got_nesting), (want_numbers, want_nesting) = _leaves(got["value"]), _leaves(want["value"])
        assert got_nesting == want_nesting, f"{name}: ptjax {got['value']!r}, torch {want['value']!r}: other shapes"
        np.testing.assert_allclose(got_numbers, want_numbers, rtol=got.get("rtol", 0), atol=got.get("atol", 0),
                                   err_msg=name)
    elif "min" not in got and "max" not in got:
        assert got["value"] == want["value"], f"{name}: ptjax {got['value']!r} != torch {want['value']!r}"


def _param(script):
    marks = [pytest.mark.xfail(strict=True, reason=MISSING[script])] if script in MISSING else []
    return pytest.param(script, marks=marks, id=script)


@pytest.mark.parametrize("script", [_param(s) for s in SCRIPTS])
def test_script(script, corpus_runs):
    ptjax_run = corpus_runs.ptjax[script].result()
    torch_run = corpus_runs.torch(script)
    if torch_run is not None:
        assert torch_run.returncode == 0, torch_run.failure("torch")  # the script itself is wrong
    assert ptjax_run.returncode == 0, ptjax_run.failure("ptjax")
    got = ptjax_run.results()
    assert got, "the script reported nothing"
    for name, spec in got.items():
        _check_bounds("ptjax", name, spec)
    if torch_run is None:
        return
    want = torch_run.results()
    for name, spec in want.items():
        _check_bounds("torch", name, spec)
    assert list(got) == list(want), "the scripts reported different quantities"
    for name in want:
        _compare(name, got[name], want[name])
