"""Datasets: thin, checked wrappers over mmpretrain's, and the demo data."""
from .checked_cifar10 import CheckedCIFAR10
from .checked_imagenet import CheckedImageNet
from .sklearn_digits import SklearnDigits

__all__ = ['CheckedCIFAR10', 'CheckedImageNet', 'SklearnDigits']
