"""``python -m ptjax script.py [args]`` / ``python -m ptjax -m module [args]``: run unmodified PyTorch code on ptjax.

An import hook (``ptjax._torch_alias``) maps ``torch`` and ``torch.*`` onto ``ptjax`` and ``ptjax.*``, and
``torchvision`` onto ``ptjax.vision``, before the script runs; DataLoader workers install it too. With ``-m``, a
module named ``torch.*`` runs as its ptjax counterpart: ``python -m ptjax -m torch.distributed.run ...`` is
torchrun on ptjax.
"""
from __future__ import annotations

import os
import runpy
import sys

from ptjax._torch_alias import ALIASES, TorchAliasFinder, install

__all__ = ["ALIASES", "TorchAliasFinder", "install", "main"]


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
    sys.path.insert(0, os.path.dirname(os.path.abspath(argv[0])))  # as `python script.py`: its folder first
    runpy.run_path(argv[0], run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main())
