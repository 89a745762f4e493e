"""Refuse a classifier head with fewer classes than its dataset."""
from mmengine.hooks import Hook

from mmrazor_lite.registry import HOOKS
from mmrazor_lite.structures.architecture_meta import unwrap_model


def classifier_heads(model):
    """Yield the module path and class count of every classification head.

    A classification head is a module named ``head`` with an integer
    ``num_classes``.

    Args:
        model (nn.Module): The model, wrapped or not.

    Yields:
        tuple[str, int]: ``(module path, num_classes)`` of each head.
    """
    for name, module in unwrap_model(model).named_modules():
        count = getattr(module, 'num_classes', None)
        if name.split('.')[-1] == 'head' and isinstance(count, int):
            yield name, count


def dataset_classes(dataloader):
    """Return the dataset of a dataloader and the classes of its metainfo.

    Args:
        dataloader (DataLoader, optional): The dataloader of a loop, or
            None.

    Returns:
        tuple: ``(dataset, classes)``: the dataset (None without one) and
        its ``metainfo['classes']`` as a list (None when it names none).
    """
    dataset = getattr(dataloader, 'dataset', None)
    classes = (getattr(dataset, 'metainfo', None) or {}).get('classes')
    return dataset, (list(classes) if classes is not None else None)


@HOOKS.register_module()
class ClassCountCheckHook(Hook):
    """Check that every head has a logit for each class of its dataset.

    The check runs before training, validation and test, on the dataset of
    that loop. Otherwise the first label past the head's range stops the
    run deep in the loss ("Class Index must be less than number of
    classes") without naming the head or the dataset; here the message
    names both and the keys to set. ``tools/train.py`` and
    ``tools/test.py`` add it to every run.
    """

    priority = 'VERY_HIGH'

    def before_train(self, runner) -> None:
        """Check the heads against the train dataset.

        Args:
            runner (Runner): The mmengine runner.

        Raises:
            ValueError: If a head has fewer classes than the dataset.
        """
        self._check(runner, 'train_dataloader', runner.train_loop)

    def before_val(self, runner) -> None:
        """Check the heads against the val dataset.

        Args:
            runner (Runner): The mmengine runner.

        Raises:
            ValueError: If a head has fewer classes than the dataset.
        """
        self._check(runner, 'val_dataloader', runner.val_loop)

    def before_test(self, runner) -> None:
        """Check the heads against the test dataset.

        Args:
            runner (Runner): The mmengine runner.

        Raises:
            ValueError: If a head has fewer classes than the dataset.
        """
        self._check(runner, 'test_dataloader', runner.test_loop)

    @staticmethod
    def _check(runner, key: str, loop) -> None:
        dataset, classes = dataset_classes(getattr(loop, 'dataloader', None))
        if not classes:
            return
        for name, count in classifier_heads(runner.model):
            if count < len(classes):
                raise ValueError(
                    f'the model\'s head ({name}) has num_classes={count}, '
                    f'but {key}.dataset ({type(dataset).__name__}) has '
                    f'{len(classes)} classes ({classes[:5]}...). Set '
                    f'model...head.num_classes (and the loss\'s and '
                    f'data_preprocessor.num_classes where the config has '
                    f'them) to {len(classes)} (--cfg-options '
                    f'num_classes={len(classes)} sets them all), or give '
                    f'the dataset only your classes '
                    f'({key}.dataset.classes=[...]).')
