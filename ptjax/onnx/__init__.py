"""torch.onnx, importable so that scripts which import it (or guard an export behind a flag) run: ptjax has no ONNX
exporter, so ``export`` raises a NotImplementedError that says so and what to use instead."""
from __future__ import annotations

__all__ = ["export", "is_in_onnx_export", "OnnxExporterError"]


class OnnxExporterError(RuntimeError):
    """Errors raised by the ONNX exporter."""


def export(*args, **kwargs):
    raise NotImplementedError("ptjax has no ONNX exporter: torch.onnx.export is not available under ptjax. Save the "
                              "model with ptjax.jit.save (or its state_dict with torch.save, which real PyTorch "
                              "loads) and export to ONNX from PyTorch.")


def is_in_onnx_export() -> bool:
    return False
