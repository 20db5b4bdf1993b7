"""The import hook of ``python -m ptjax``: ``torch`` and ``torch.*`` are ``ptjax`` and ``ptjax.*``, ``torchvision``
is ``ptjax.vision``. A module ptjax lacks fails with a ModuleNotFoundError that says ptjax does not provide it
(Python's own "No module named 'torch.x'" would mislead where real torch is installed).

It lives apart from ``ptjax/__main__.py`` (which runs as ``__main__``) so that DataLoader workers can ask whether
the hook is on (:func:`installed`) and install the same hook before they load what the script sent them.
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
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
            raise ModuleNotFoundError(f"ptjax does not provide {fullname} yet (python -m ptjax maps {head} onto "
                                      f"{base})", name=fullname)
        return importlib.util.spec_from_loader(fullname, _AliasLoader(real), is_package=True)


def installed() -> bool:
    return any(isinstance(f, TorchAliasFinder) for f in sys.meta_path)


def install():
    if not installed():
        sys.meta_path.insert(0, TorchAliasFinder())
        _hook_spawned_children()


def _hook_spawned_children():
    """A child that ``multiprocessing`` starts with ``spawn`` re-imports the main script before it runs anything
    of the parent's: its command line is made to install this hook first, so ``import torch`` there is ptjax too
    (``mp.Process(target=...)`` under ``python -m ptjax``)."""
    import multiprocessing.spawn as spawn
    original = spawn.get_command_line
    if getattr(original, "installs_torch_alias", False):
        return

    def get_command_line(**kwds):
        command = original(**kwds)
        if "-c" in command:
            i = command.index("-c") + 1
            command[i] = "import ptjax._torch_alias; ptjax._torch_alias.install(); " + command[i]
        return command
    get_command_line.installs_torch_alias = True
    spawn.get_command_line = get_command_line
