"""NAS algorithms, each an mmengine ``BaseModel``."""
from .spos import SPOS

__all__ = ['SPOS']
