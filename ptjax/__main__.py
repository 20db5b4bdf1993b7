"""``python -m ptjax script.py [args]``: run an unmodified PyTorch script on ptjax.

An import hook (``ptjax._torch_alias``) maps ``torch`` and ``torch.*`` onto ``ptjax`` and ``ptjax.*``, and
``torchvision`` onto ``ptjax.vision``, before the script runs; DataLoader workers install it too.
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
        print("usage: python -m ptjax script.py [args ...]   (runs a PyTorch script with torch mapped to ptjax)")
        return 0 if argv else 2
    install()
    sys.argv = list(argv)
    sys.path.insert(0, os.path.dirname(os.path.abspath(argv[0])))  # as `python script.py`: its folder first
    runpy.run_path(argv[0], run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main())
