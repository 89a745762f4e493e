"""NAS algorithms, each an mmengine ``BaseModel``."""
from .darts import DARTS
from .spos import SPOS

__all__ = ['DARTS', 'SPOS']
