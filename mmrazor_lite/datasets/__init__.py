"""Datasets: thin, checked wrappers over mmpretrain's, your own class
folders, the demo data, and a transform mmcv gets wrong on numpy 2."""
from .batch_cutout import BatchCutout
from .checked_cifar10 import CheckedCIFAR10
from .checked_imagenet import CheckedImageNet
from .class_folder_dataset import ClassFolderDataset
from .sklearn_digits import SklearnDigits
from .torchvision_color_jitter import TorchvisionColorJitter

__all__ = [
    'BatchCutout', 'CheckedCIFAR10', 'CheckedImageNet', 'ClassFolderDataset',
    'SklearnDigits', 'TorchvisionColorJitter'
]
