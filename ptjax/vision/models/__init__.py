"""``ptjax.vision.models``: torchvision's classification architectures with torchvision's state_dict keys.

Only architecture definitions live here: ptjax never downloads weights. Pass ``weights=<path>`` (a local
checkpoint holding a state_dict, e.g. one written by ``torch.save(model.state_dict(), path)``) to load one.
"""

import os as _os

__all__ = ["ResNet", "BasicBlock", "Bottleneck", "resnet18", "resnet34", "resnet50",
           "VGG", "vgg11", "vgg11_bn", "MobileNetV2", "InvertedResidual", "mobilenet_v2"]

_WEIGHT_FILE_SUFFIXES = (".pt", ".pth", ".bin", ".ckpt", ".tar", ".pkl")


def _no_download_error(arch, what):
    return RuntimeError(
        f"{arch}: {what} asks for pretrained weights, but ptjax does not download weights. Download the "
        f"checkpoint yourself (e.g. with torchvision) or save one with torch.save(model.state_dict(), path), "
        f"then pass the local file path: ptjax.vision.models.{arch}(weights='/path/to/{arch}.pth')")


def _check_weights(arch, weights, pretrained=False):
    """Refuse (before building anything) a request that would need a download; pass a local path through."""
    if pretrained:
        raise _no_download_error(arch, "pretrained=True")
    if weights is None:
        return
    if isinstance(weights, str):
        looks_like_path = (_os.path.exists(weights) or _os.sep in weights or (_os.altsep or _os.sep) in weights
                           or weights.lower().endswith(_WEIGHT_FILE_SUFFIXES))
        if not looks_like_path:
            raise _no_download_error(arch, f"weights={weights!r}")
    elif not isinstance(weights, _os.PathLike):
        raise _no_download_error(arch, f"weights={weights!r}")


def _apply_weights(model, arch, weights):
    """Load the state_dict in the local checkpoint ``weights`` (None: keep the fresh init) into ``model``."""
    if weights is None:
        return model
    import ptjax
    state_dict = ptjax.load(weights, map_location="cpu", weights_only=True)
    if not isinstance(state_dict, dict):
        raise TypeError(f"{arch}: expected the file {_os.fspath(weights)!r} to hold a state_dict (a dict of "
                        f"tensors), got {type(state_dict).__name__}")
    model.load_state_dict(state_dict)
    return model


def _prepare(arch, weights, kwargs):
    """Pop the deprecated ``pretrained`` kwarg and validate ``weights`` before the model is built."""
    _check_weights(arch, weights, bool(kwargs.pop("pretrained", False)))


from .resnet import ResNet, BasicBlock, Bottleneck, resnet18, resnet34, resnet50  # noqa: E402
from .vgg import VGG, vgg11, vgg11_bn  # noqa: E402
from .mobilenetv2 import MobileNetV2, InvertedResidual, mobilenet_v2  # noqa: E402
