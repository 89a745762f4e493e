"""What every traced export computes, and how its copy is checked."""
import torch
import torch.nn as nn

from .export_error import ExportError


class LogitsModule(nn.Module):
    """``x -> model(x, mode='tensor')``: tracing needs a plain forward(x)."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x, mode='tensor')


def random_input(batch: int, shape, seed: int = 0) -> torch.Tensor:
    """A fixed random batch of normalised images, ``batch x 3 x H x W``."""
    return torch.randn(
        batch, 3, *shape, generator=torch.Generator().manual_seed(seed))


def check_reproduces(fmt: str,
                     x: torch.Tensor,
                     expected: torch.Tensor,
                     got: torch.Tensor,
                     atol: float,
                     rtol: float = 0.0) -> float:
    """Raise unless ``got`` (the reloaded export's output) matches.

    Returns:
        the max abs difference, printed either way.
    """
    same_shape = tuple(expected.shape) == tuple(got.shape)
    diff = (expected - got).abs().max().item() if same_shape else \
        float('inf')
    print(f'{fmt} check: max abs difference {diff:.3g} on a random input '
          f'of shape {tuple(x.shape)}')
    if not same_shape or not torch.allclose(
            got, expected, atol=atol, rtol=rtol):
        raise ExportError(
            f'the {fmt} export does not reproduce the model (max abs '
            f'difference {diff:.3g}, allowed {atol:g} + {rtol:g} x |logit|; '
            f'shapes {tuple(expected.shape)} vs {tuple(got.shape)}); '
            f'nothing written')
    return diff
