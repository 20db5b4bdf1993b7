"""torch.backends.mha: the fast path of ``nn.MultiheadAttention`` / ``TransformerEncoderLayer`` in inference (ptjax
has one path; the switch is kept for scripts that set it)."""
_FASTPATH = [True]


def get_fastpath_enabled() -> bool:
    return _FASTPATH[0]


def set_fastpath_enabled(value: bool):
    _FASTPATH[0] = bool(value)
