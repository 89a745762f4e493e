"""Datasets: thin, checked wrappers over mmpretrain's, and the demo data."""
from .checked_imagenet import CheckedImageNet
from .sklearn_digits import SklearnDigits

__all__ = ['CheckedImageNet', 'SklearnDigits']
