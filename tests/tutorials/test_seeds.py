"""Every Python code block of the tutorials in ``../shared/seeds/`` runs on ptjax as on torch.

The blocks are read from the seeds at test time (not copied here). Each runs with its imports rewritten to
``import ptjax as torch`` (``torch.nn`` → ``ptjax.nn`` …) and nothing else changed, in one namespace per
tutorial so later blocks see earlier names. Where a block uses something the tutorial never defines, the least
glue is added, with a comment saying why (``GLUE`` below). When torch is installed the same block runs on
torch too, and output that involves no randomness must be identical.
"""
import contextlib
import io
import os
import re
import textwrap
from pathlib import Path

import pytest

HERE = Path(__file__).resolve()
SEEDS = Path(os.environ.get("PTJAX_SEEDS", HERE.parents[2] / ".." / "shared" / "seeds")).resolve()

IMPORTS = [  # torch → ptjax, applied to import lines only
    (r"^(\s*)import torch\.nn as nn\b", r"\1import ptjax.nn as nn"),
    (r"^(\s*)import torch\.optim as optim\b", r"\1import ptjax.optim as optim"),
    (r"^(\s*)import torch\.nn\.functional as F\b", r"\1import ptjax.nn.functional as F"),
    (r"^(\s*)import torch\b", r"\1import ptjax as torch"),
    (r"^(\s*)from torch\.utils\.data import", r"\1from ptjax.utils.data import"),
    (r"^(\s*)from torch import", r"\1from ptjax import"),
    (r"^(\s*)import torchvision\.models as models\b", r"\1import ptjax.vision.models as models"),
]

# (seed file prefix, block index) -> glue run before the block, in both libraries
GLUE = {
    # the "Training a Model" block iterates over a `dataloader` the tutorial never builds: a toy one for SimpleNet
    ("000", 3): "from torch.utils.data import DataLoader, TensorDataset\n"
                "dataloader = DataLoader(TensorDataset(torch.randn(32, 10), torch.randn(32, 2)), batch_size=8)\n",
}
OUT_OF_SCOPE = {
    # torchvision's pretrained resnet18 (downloads weights): out of scope for this issue
    ("001", 6): "pretrained resnet18 download",
}
# blocks whose printed output involves no randomness: compared character for character with torch
DETERMINISTIC = {("000", 0), ("000", 1), ("000", 2), ("001", 2), ("004", 0)}
# blocks that must fail exactly as torch fails on a machine without CUDA
CUDA_BLOCKS = {("001", 0)}


def blocks(path):
    text = path.read_text(encoding="utf-8", errors="replace")
    found = re.findall(r"^([ \t]*)```python\n(.*?)^[ \t]*```", text, flags=re.S | re.M)
    return [textwrap.dedent("\n".join(line[len(indent):] if line.startswith(indent) else line
                                      for line in body.splitlines())) for indent, body in found]


def to_ptjax(code):
    for pat, rep in IMPORTS:
        code = re.sub(pat, rep, code, flags=re.M)
    return code


def cases():
    if not SEEDS.is_dir():
        return []
    out = []
    for path in sorted(SEEDS.glob("*.txt")):
        for i, _ in enumerate(blocks(path)):
            out.append(pytest.param(path, i, id=f"{path.name[:3]}-block{i}"))
    return out


_NAMESPACES = {}


def _cuda_available(lib):
    mod = __import__(lib)
    return mod.cuda.is_available()


def run(code, ns):
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        exec(compile(code, "<tutorial>", "exec"), ns)
    return buf.getvalue()


@pytest.mark.skipif(not SEEDS.is_dir(), reason=f"tutorial seeds not found at {SEEDS}")
@pytest.mark.parametrize("path,index", cases())
def test_tutorial_block(path, index, tmp_path, monkeypatch):
    key = (path.name[:3], index)
    if key in OUT_OF_SCOPE:
        pytest.skip(OUT_OF_SCOPE[key])
    monkeypatch.chdir(tmp_path)  # blocks that save files write them here
    code = blocks(path)[index]
    glue = GLUE.get(key, "")
    libs = [("ptjax", to_ptjax(glue + code))]
    try:
        import torch  # noqa: F401
        libs.append(("torch", glue + code))
    except ImportError:
        pass
    outputs = {}
    for lib, src in libs:
        ns = _NAMESPACES.setdefault((lib, path.name), {"__name__": "__tutorial__"})
        if key in CUDA_BLOCKS and not _cuda_available(lib):
            with pytest.raises((AssertionError, RuntimeError)) as exc:
                run(src, ns)
            outputs[lib] = (type(exc.value).__name__, str(exc.value))
            # the rest of the block must still run for later blocks: everything but the CUDA line
            run("\n".join(line for line in src.splitlines() if "device='cuda'" not in line), ns)
        else:
            outputs[lib] = run(src, ns)
    if "torch" in outputs and (key in DETERMINISTIC or key in CUDA_BLOCKS) and \
            _cuda_available("ptjax") == _cuda_available("torch"):
        assert outputs["ptjax"] == outputs["torch"]
