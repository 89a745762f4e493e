"""docs/downstream.md runs as written: its python blocks, its config built.

Config blocks (first line ``# config: PATH``) are written to PATH under a
fresh directory; the other python blocks run there in order, in one
namespace of their own, in a new process. Before them, a stand-in for
stage 2 writes the search's two files where the config points, for a random
subnet of the config's own search space.
"""
import json
import os.path as osp
import re

from helpers.paths import REPO
from helpers.tools import run_tool

DOC = osp.join(REPO, 'docs', 'downstream.md')
CONFIG_MARK = '# config: '
DETECTOR = 'configs/retinanet_spos_shufflenetv2_fpn_1x_coco.py'

HARNESS = '''
import json, os, random, sys
import torch


def _search_stand_in(config):
    from mmengine.config import Config
    from mmrazor_lite.registry import MODELS
    from mmrazor_lite.structures import write_search_result
    from mmrazor_lite.subnet import sliced_state_dict
    backbone = Config.fromfile(config).model.backbone
    space = dict(backbone.architecture, out_indices=(4, ))
    spos = MODELS.build(dict(
        type='SPOS', _scope_='mmrazor_lite', architecture=dict(
            type='ImageClassifier', backbone=space,
            neck=dict(type='GlobalAveragePooling'),
            head=dict(type='LinearClsHead', num_classes=1000,
                      in_channels=1024))))
    spos.init_weights()
    spos.mutator.set_choices(spos.mutator.sample_choices(random.Random(0)))
    work_dir = os.path.dirname(backbone.fix_subnet)
    os.makedirs(work_dir)
    write_search_result(work_dir, spos.mutator.current_subnet(),
                        sliced_state_dict(spos, spos.mutator.mutables), {})
    return spos


_spos = _search_stand_in(sys.argv[1])
_doc = {'__name__': '__main__'}
exec(compile(open('doc_code.py').read(), 'docs/downstream.md', 'exec'), _doc)
_theirs, _ours = _doc['backbone'], _spos.architecture.backbone
print('RESULT', json.dumps(dict(
    searched=dict(_spos.mutator.current_subnet()),
    built=dict(_theirs.fix_subnet),
    same_stem=torch.equal(_theirs.conv1.conv.weight,
                          _ours.conv1.conv.weight),
    same_last=torch.equal(_theirs.layers[4].conv.weight,
                          _ours.layers[4].conv.weight))))
'''


def _blocks():
    with open(DOC, encoding='utf-8') as f:
        text = f.read()
    configs, code = {}, []
    for block in re.findall(r'```python\n(.*?)```', text, flags=re.S):
        first = block.splitlines()[0]
        if first.startswith(CONFIG_MARK):
            configs[first[len(CONFIG_MARK):].strip()] = block
        else:
            code.append(block)
    return configs, code


def test_downstream_doc_runs_as_written(tmp_path):
    configs, code = _blocks()
    assert list(configs) == [DETECTOR] and len(code) == 3
    for name, text in configs.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (tmp_path / 'doc_code.py').write_text('\n'.join(code))
    (tmp_path / 'harness.py').write_text(HARNESS)
    proc = run_tool(
        ['bash', '-c', f'cd {tmp_path} && python harness.py '
         f'{DETECTOR}'],
        timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    assert 'SPOS 20 searchable blocks' in out
    assert "channels [160, 320, 640] for the FPN's [160, 320, 640]" in out
    assert 'DARTS map (1, 256, 8, 8)' in out
    result = json.loads(out.split('RESULT ', 1)[1].splitlines()[0])
    # the search's backbone.-keyed subnet, built as the bare backbone
    assert result['built'] == {
        k[len('backbone.'):]: v
        for k, v in result['searched'].items()
    }
    assert f"subnet: {result['built']}" in out
    assert result['same_stem'] and result['same_last']
