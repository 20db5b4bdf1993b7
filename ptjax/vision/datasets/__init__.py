"""Datasets of ``ptjax.vision`` (torchvision.datasets counterpart)."""

from .mnist import MNIST, FashionMNIST, VisionDataset

__all__ = ["MNIST", "FashionMNIST", "VisionDataset"]
