"""The exceptions of ``ptjax.save`` / ``ptjax.load`` (what each one means: ``docs/serialization.md``)."""
from __future__ import annotations

import pickle


class CheckpointError(RuntimeError):
    """The file is not a readable PyTorch checkpoint (corrupt, truncated, not a zip, inconsistent)."""


class LegacyFormatError(CheckpointError):
    """The file uses a format ptjax does not read (pre-1.6 non-zip ``torch.save``, TorchScript archives)."""


class WeightsOnlyUnpicklingError(pickle.UnpicklingError):
    """``weights_only=True`` refused a global or opcode of the pickle; nothing from it was imported or called."""


def _fail(msg: str, cause=None):
    raise CheckpointError(msg) from cause
