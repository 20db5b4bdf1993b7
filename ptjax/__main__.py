"""``python -m ptjax script.py [args]`` / ``python -m ptjax -m module [args]``: run unmodified PyTorch code on ptjax.

An import hook maps ``torch`` and ``torch.*`` onto ``ptjax`` and ``ptjax.*``, and ``torchvision`` onto
``ptjax.vision``, before the script runs. A module ptjax lacks fails with an ImportError naming it. With ``-m``,
a module named ``torch.*`` runs as its ptjax counterpart: ``python -m ptjax -m torch.distributed.run ...`` is
torchrun on ptjax.
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import runpy
import sys

ALIASES = {"torch": "ptjax", "torchvision": "ptjax.vision"}


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, target):
        self.target = target

    def create_module(self, spec):
        return importlib.import_module(self.target)

    def exec_module(self, module):
        pass


class TorchAliasFinder(importlib.abc.MetaPathFinder):
    """Finds ``torch.x.y`` as ``ptjax.x.y`` (and ``torchvision.x`` as ``ptjax.vision.x``)."""

    def find_spec(self, fullname, path=None, target=None):
        head, _, rest = fullname.partition(".")
        base = ALIASES.get(head)
        if base is None:
            return None
        real = base + ("." + rest if rest else "")
        if importlib.util.find_spec(real) is None:
            return None
        return importlib.util.spec_from_loader(fullname, _AliasLoader(real), is_package=True)


def install():
    if not any(isinstance(f, TorchAliasFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, TorchAliasFinder())


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: python -m ptjax script.py [args ...] | -m module [args ...]   (runs PyTorch code with torch "
              "mapped to ptjax)")
        return 0 if argv else 2
    install()
    if argv[0] == "-m":
        if len(argv) < 2:
            print("usage: python -m ptjax -m module [args ...]")
            return 2
        head, _, rest = argv[1].partition(".")
        module = ALIASES[head] + ("." + rest if rest else "") if head in ALIASES else argv[1]
        sys.argv = [argv[1]] + list(argv[2:])
        runpy.run_module(module, run_name="__main__", alter_sys=True)
        return 0
    sys.argv = list(argv)
    runpy.run_path(argv[0], run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main())
