"""File I/O shared by every layer: safe checkpoint reads, atomic writes."""
from .checkpoint_io import (CheckpointError, atomic_torch_save,
                            atomic_write_bytes, atomic_write_text,
                            load_checkpoint_file, load_state_dict_and_meta)
from .strict_state_loading import (check_state_fits, load_state_strictly,
                                   read_checkpoint, state_mismatch)

__all__ = [
    'CheckpointError', 'atomic_torch_save', 'atomic_write_bytes',
    'atomic_write_text', 'load_checkpoint_file', 'load_state_dict_and_meta',
    'check_state_fits', 'load_state_strictly', 'read_checkpoint',
    'state_mismatch'
]
