"""A downstream repo reaches our types and mmpretrain's, both ways."""
import textwrap

from conftest import run_tool

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
    proc = _run(tmp_path,
                "custom_imports = dict(imports=['mmrazor_lite'])\n"
                "default_scope = 'mmpretrain'\n",
                spos='mmrazor_lite.SPOS',
                space='mmrazor_lite.SearchableShuffleNetV2',
                dataset='ImageNet')
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'SPOS ImageClassifier SearchableShuffleNetV2' in proc.stdout
    assert 'dataset ImageNet' in proc.stdout


def test_default_scope_route(tmp_path):
    # no import of mmrazor_lite anywhere: the scope alone finds the package
    proc = _run(tmp_path, "default_scope = 'mmrazor_lite'\n", spos='SPOS',
                space='SearchableShuffleNetV2', dataset='ImageNet')
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'SPOS ImageClassifier SearchableShuffleNetV2' in proc.stdout
    assert 'dataset ImageNet' in proc.stdout


def test_register_all_modules_sets_the_scope():
    proc = run_tool(['python', '-c', (
        'from mmrazor_lite import register_all_modules\n'
        'from mmengine.registry import DefaultScope, MODELS\n'
        'register_all_modules()\n'
        'print(DefaultScope.get_current_instance().scope_name)\n'
        'from mmrazor_lite.registry import MODELS as M\n'
        "print(M.get('OneShotMutator').__name__, "
        "M.get('LinearClsHead').__name__)\n")], timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.split() == ['mmrazor_lite', 'OneShotMutator',
                                   'LinearClsHead']
