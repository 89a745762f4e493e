"""An optimizer wrapper for a train loop that takes no optimizer step.

mmengine's ``Runner.train`` builds ``runner.optim_wrapper`` from the config
for any train loop, right after building the loop, and a config without
one is refused. A search config that inherits a training config's
``optim_wrapper`` would then build an optimizer over every parameter
(with ``paramwise_cfg``: a log line per parameter, ~1000 for an ImageNet
supernet) that nothing uses. A loop that never steps calls
:func:`use_stepless_optim_wrapper` in its ``__init__``: the Runner then
finds a built wrapper over no parameters and builds nothing.
"""
from mmengine.optim import OptimWrapper
from torch.optim import SGD


def use_stepless_optim_wrapper(runner) -> None:
    """Give ``runner`` an optimizer wrapper over no parameters.

    A runner that has built its own wrapper already keeps it.

    Args:
        runner (Runner): The mmengine runner.
    """
    if not isinstance(runner.optim_wrapper, OptimWrapper):
        runner.optim_wrapper = OptimWrapper(SGD([{'params': []}], lr=0.0))
