"""VGG (Simonyan & Zisserman 2014), configuration A (VGG-11), with torchvision's module layout."""

import ptjax
from ptjax import nn

from . import _apply_weights, _prepare

__all__ = ["VGG", "vgg11", "vgg11_bn"]

_CFG_A = [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"]


class VGG(nn.Module):
    def __init__(self, features, num_classes=1000, init_weights=True, dropout=0.5):
        super().__init__()
        self.features = features
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, num_classes))
        if init_weights:
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                    if m.bias is not None:
                        nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.constant_(m.weight, 1)
                    nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.Linear):
                    nn.init.normal_(m.weight, 0, 0.01)
                    nn.init.constant_(m.bias, 0)

    def forward(self, x):
        x = self.avgpool(self.features(x))
        return self.classifier(ptjax.flatten(x, 1))


def _make_layers(cfg, batch_norm=False):
    layers, in_channels = [], 3
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        else:
            layers.append(nn.Conv2d(in_channels, v, kernel_size=3, padding=1))
            if batch_norm:
                layers.append(nn.BatchNorm2d(v))
            layers.append(nn.ReLU(inplace=True))
            in_channels = v
    return nn.Sequential(*layers)


def _vgg(arch, cfg, batch_norm, weights, progress, kwargs):
    _prepare(arch, weights, kwargs)
    if weights is not None:
        kwargs.setdefault("init_weights", False)
    model = VGG(_make_layers(cfg, batch_norm), **kwargs)
    return _apply_weights(model, arch, weights)


def vgg11(*, weights=None, progress=True, **kwargs):
    """VGG-11 (configuration A). ``weights``: None, or a local checkpoint path (ptjax does not download)."""
    return _vgg("vgg11", _CFG_A, False, weights, progress, kwargs)


def vgg11_bn(*, weights=None, progress=True, **kwargs):
    """VGG-11 with BatchNorm. ``weights``: None, or a local checkpoint path (ptjax does not download)."""
    return _vgg("vgg11_bn", _CFG_A, True, weights, progress, kwargs)
