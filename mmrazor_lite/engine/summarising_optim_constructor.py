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
    """Drops mmengine's per-parameter lines, counting them."""

    def __init__(self):
        super().__init__()
        self.count = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if str(record.msg).startswith(_PREFIX):
            self.count += 1
            return False
        return True


@OPTIM_WRAPPER_CONSTRUCTORS.register_module(
    name='DefaultOptimWrapperConstructor')
class SummarisingOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """``DefaultOptimWrapperConstructor`` that summarises ``paramwise_cfg``."""

    def __call__(self, model):
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
            f'(log_level="DEBUG" lists each)', logger='current')
        return wrapper
