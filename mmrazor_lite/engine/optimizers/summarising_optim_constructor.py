"""mmengine's default optim-wrapper constructor, with a one-line log.

With a ``paramwise_cfg`` (the SPOS schedules: no decay on biases, norms and
depthwise convs) mmengine logs one INFO line per option of every parameter:
~1000 lines for a supernet, burying the run's own log. Registered under the
same name in our scope, this constructor builds exactly the same parameter
groups and folds those lines into one summary; ``log_level='DEBUG'`` shows
them all again.
"""
import logging

from mmengine.logging import MMLogger, print_log
from mmengine.optim import DefaultOptimWrapperConstructor

from mmrazor_lite.registry import OPTIM_WRAPPER_CONSTRUCTORS

_PREFIX = 'paramwise_options -- '


class _CountParamwiseLines(logging.Filter):
    """A logging filter that drops mmengine's per-parameter lines.

    It counts the lines it drops in ``count``.
    """

    def __init__(self):
        super().__init__()
        self.count = 0

    def filter(self, record: logging.LogRecord) -> bool:
        """Drop and count a per-parameter line, pass any other.

        Args:
            record (logging.LogRecord): The record to log or not.

        Returns:
            bool: False for a per-parameter line (dropped), else True.
        """
        if str(record.msg).startswith(_PREFIX):
            self.count += 1
            return False
        return True


@OPTIM_WRAPPER_CONSTRUCTORS.register_module(
    name='DefaultOptimWrapperConstructor')
class SummarisingOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """A ``DefaultOptimWrapperConstructor`` that summarises its log lines.

    It logs the per-parameter ``paramwise_cfg`` options in one line (see
    the module docstring). Its arguments are those of mmengine's
    :class:`~mmengine.optim.DefaultOptimWrapperConstructor`, unchanged.
    """

    def __call__(self, model):
        """Build the optim wrapper of ``model``, as mmengine does.

        Without a ``paramwise_cfg``, or at ``log_level='DEBUG'``, this is
        mmengine's constructor unchanged.

        Args:
            model (nn.Module): The model whose parameters are optimised.

        Returns:
            OptimWrapper: The optim wrapper built by mmengine.
        """
        logger = MMLogger.get_current_instance()
        # MMLogger keeps its own level NOTSET: log_level is on its handlers
        debug = any(0 < h.level <= logging.DEBUG for h in logger.handlers)
        if not self.paramwise_cfg or debug:
            return super().__call__(model)
        counter = _CountParamwiseLines()
        logger.addFilter(counter)
        try:
            wrapper = super().__call__(model)
        finally:
            logger.removeFilter(counter)
        groups = len(wrapper.optimizer.param_groups)
        print_log(
            f'paramwise_cfg {dict(self.paramwise_cfg)}: {counter.count} '
            f'per-parameter options over {groups} parameter groups '
            f'(log_level="DEBUG" lists each)',
            logger='current')
        return wrapper
