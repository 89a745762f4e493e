"""A downstream repo reaches our types and mmpretrain's, both ways."""
import textwrap

from helpers.tools import run_tool

BUILD = textwrap.dedent('''
    import sys
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmengine.utils import import_modules_from_strings
    cfg = Config.fromfile(sys.argv[1])
    if cfg.get('custom_imports'):
        import_modules_from_strings(**cfg.custom_imports)
    from mmengine.registry import MODELS, DATASETS
    init_default_scope(cfg.get('default_scope', 'mmengine'))
    model = MODELS.build(cfg.model)
    print(type(model).__name__, type(model.architecture).__name__,
          type(model.architecture.backbone).__name__)
    with DATASETS.switch_scope_and_registry(None) as registry:
        print('dataset', registry.get(cfg.dataset_type).__name__)
''')

MODEL = textwrap.dedent('''
    model = dict(
        type='{spos}',
        architecture=dict(
            type='ImageClassifier',
            backbone=dict(type='{space}', widen_factor=0.25),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(type='LinearClsHead', num_classes=10,
                      in_channels=1024)))
    dataset_type = '{dataset}'
''')


def _run(tmp_path, header, **names):
    cfg = tmp_path / 'downstream.py'
    cfg.write_text(header + MODEL.format(**names))
    script = tmp_path / 'build.py'
    script.write_text(BUILD)
    return run_tool(['python', str(script), str(cfg)], timeout=300)


def test_custom_imports_route(tmp_path):
    proc = _run(
        tmp_path, "custom_imports = dict(imports=['mmrazor_lite'])\n"
        "default_scope = 'mmpretrain'\n",
        spos='mmrazor_lite.SPOS',
        space='mmrazor_lite.SearchableShuffleNetV2',
        dataset='ImageNet')
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'SPOS ImageClassifier SearchableShuffleNetV2' in proc.stdout
    assert 'dataset ImageNet' in proc.stdout


def test_default_scope_route(tmp_path):
    # no import of mmrazor_lite anywhere: the scope alone finds the package
    proc = _run(
        tmp_path,
        "default_scope = 'mmrazor_lite'\n",
        spos='SPOS',
        space='SearchableShuffleNetV2',
        dataset='ImageNet')
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'SPOS ImageClassifier SearchableShuffleNetV2' in proc.stdout
    assert 'dataset ImageNet' in proc.stdout


def test_register_all_modules_sets_the_scope():
    proc = run_tool([
        'python', '-c',
        ('from mmrazor_lite import register_all_modules\n'
         'from mmengine.registry import DefaultScope, MODELS\n'
         'register_all_modules()\n'
         'print(DefaultScope.get_current_instance().scope_name)\n'
         'from mmrazor_lite.registry import MODELS as M\n'
         "print(M.get('OneShotMutator').__name__, "
         "M.get('LinearClsHead').__name__)\n")
    ],
                    timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.split() == [
        'mmrazor_lite', 'OneShotMutator', 'LinearClsHead'
    ]


def _sibling(kind, scope='registry_test_sibling'):
    """A registry of another repo's scope: a child of mmengine's root."""
    from mmengine import registry as root
    parent = getattr(root, kind)
    if scope in parent.children:
        return parent.children[scope]
    return root.Registry(parent.name, parent=parent, scope=scope)


def test_our_types_resolve_from_any_scope():
    """``mmrazor_lite.X`` from a sibling scope; bare names as they were."""
    from mmengine.registry import DefaultScope

    from mmrazor_lite import registry as ours
    from mmrazor_lite.engine.hooks.checkpoint_hook import \
        KillSafeCheckpointHook
    one_of_ours = dict(
        MODELS='SPOS',
        DATASETS='SklearnDigits',
        HOOKS='SubnetMetaHook',
        LOOPS='EvolutionSearchLoop',
        TRANSFORMS='TorchvisionColorJitter',
        OPTIM_WRAPPER_CONSTRUCTORS='SeparateOptimWrapperConstructor',
        MODEL_WRAPPERS='NASDistributedDataParallel')
    for kind, name in one_of_ours.items():
        assert _sibling(kind).get(f'mmrazor_lite.{name}') is \
            getattr(ours, kind).get(name), kind
    # every registry is a direct child of mmengine's root of its kind
    roots = dict(EVALUATORS='EVALUATOR')
    import mmengine.registry as root
    for kind in ours.__all__:
        if kind in ('register_all_modules', 'BATCH_AUGMENTS'):
            continue
        assert getattr(ours, kind).parent is getattr(root,
                                                     roots.get(kind,
                                                               kind)), kind
    # and mmengine's own builders under our scope still see our shadowing
    with DefaultScope.overwrite_default_scope('mmrazor_lite'), \
            root.HOOKS.switch_scope_and_registry(None) as registry:
        assert registry.get('CheckpointHook') is KillSafeCheckpointHook
    # BATCH_AUGMENTS: mmpretrain's is the root of that kind
    from mmpretrain.registry import BATCH_AUGMENTS
    assert BATCH_AUGMENTS.get('mmrazor_lite.BatchCutout') is \
        ours.BATCH_AUGMENTS.get('BatchCutout')

    # bare names as before: ours first, then mmpretrain's, then mmengine's
    from mmengine.hooks import IterTimerHook
    from mmpretrain.engine.hooks import EMAHook as PretrainEMAHook
    from mmpretrain.models import ImageClassifier
    assert ours.HOOKS.get('CheckpointHook') is KillSafeCheckpointHook
    assert ours.HOOKS.get('EMAHook') is PretrainEMAHook  # also in mmengine's
    assert ours.HOOKS.get('IterTimerHook') is IterTimerHook
    assert ours.MODELS.get('ImageClassifier') is ImageClassifier
    # ``mmrazor_lite.X`` is X as our scope resolves it
    assert _sibling('MODELS').get('mmrazor_lite.ImageClassifier') is \
        ImageClassifier
    assert ours.MODELS.get('NoSuchModel') is None
