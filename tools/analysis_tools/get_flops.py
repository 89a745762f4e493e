"""Params and FLOPs of the model a config builds.

    python tools/analysis_tools/get_flops.py CONFIG [--shape H W]
        [--subnet YAML] [--convention fvcore|conv_linear] [--json]

A supernet config without ``--subnet`` reports its largest path (the one
with the most FLOPs), and says so; a subnet config (``FixedSubnet``) reports
the subnet it builds, or the ``--subnet`` given. One FLOP is one
multiply-add.
"""
import argparse
import contextlib
import json
import os.path as osp
import sys

from mmengine.config import DictAction


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Count params and FLOPs')
    parser.add_argument('config', help='config file path')
    parser.add_argument('--shape', type=int, nargs=2, default=[224, 224],
                        metavar=('H', 'W'), help='input size (224 224)')
    parser.add_argument('--subnet', help='subnet yaml to fix the supernet to')
    parser.add_argument('--convention', default='fvcore',
                        choices=['fvcore', 'conv_linear'])
    parser.add_argument('--json', action='store_true',
                        help='print one JSON object only')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(argv)


def measure(cfg, shape, subnet=None, convention='fvcore') -> dict:
    import mmrazor_lite  # noqa: F401
    from mmengine.registry import init_default_scope

    from mmrazor_lite.estimators import (CONVENTIONS, ResourceTable,
                                         count_flops_params)
    from mmrazor_lite.mutables import OneShotChoice
    from mmrazor_lite.mutators import OneShotMutator
    from mmrazor_lite.registry import MODELS
    from mmrazor_lite.subnet import fix_model

    init_default_scope(cfg.get('default_scope', 'mmrazor_lite'))
    model_cfg = cfg.model
    if subnet and model_cfg.get('type') in ('FixedSubnet',
                                            'mmrazor_lite.FixedSubnet'):
        # a subnet config: --subnet replaces the subnet it would build
        model_cfg = dict(model_cfg, fix_subnet=subnet)
        subnet = None
    model = MODELS.build(model_cfg)
    net = getattr(model, 'architecture', model)
    input_shape = (1, 3, shape[0], shape[1])
    if any(isinstance(m, OneShotChoice) for m in net.modules()):
        if subnet:
            # as FixedSubnet does: every subnet form, MMRazor 0.x included
            fix_model(net, subnet, source=f'--subnet {subnet}')
            what = f'subnet {subnet}'
        else:
            mutator = OneShotMutator()
            mutator.prepare_from_supernet(net)
            table = ResourceTable(net, mutator, input_shape, convention)
            largest = table.largest()
            return dict(
                params=table.params_of(largest),
                flops=table.flops_of(largest),
                convention=CONVENTIONS[convention],
                input_shape=list(input_shape[1:]),
                model='largest path of the supernet (no --subnet given)')
    elif subnet:
        raise ValueError(f'--subnet {subnet} given, but the model of the '
                         f'config has no free choice to fix')
    elif getattr(net, 'fix_subnet', None):
        what = f'fixed subnet from {net.subnet_source}'
    else:
        what = 'the model as configured'
    flops, params = count_flops_params(net, input_shape, convention)
    result = dict(params=params, flops=flops,
                  convention=CONVENTIONS[convention],
                  input_shape=list(input_shape[1:]), model=what)
    aux = getattr(getattr(net, 'head', None), 'auxiliary_head', None)
    if aux is not None:
        # the papers' convention: every parameter but the auxiliary head's
        # (only trained with, never run at test, nor counted in FLOPs here)
        result['params_excluding_aux'] = params - sum(
            p.numel() for p in aux.parameters())
        result['model'] += ' (FLOPs in eval mode: auxiliary head not run)'
    return result


def main(argv=None):
    args = parse_args(argv)
    if not osp.isfile(args.config):
        sys.exit(f'config file {args.config!r} does not exist')
    from mmrazor_lite.apis import load_config
    # logs (e.g. which subnet was built) go to stderr with --json: stdout
    # is JSON
    with contextlib.redirect_stdout(sys.stderr) if args.json else \
            contextlib.nullcontext():
        try:
            # the same checks and data_root= / num_classes= as training
            cfg = load_config(args.config, args.cfg_options)
        except KeyError as err:
            sys.exit(f'error: {err.args[0]}')
        result = measure(cfg, args.shape, args.subnet, args.convention)
    if args.json:
        print(json.dumps(result))
        return result
    print(f'model:       {result["model"]}')
    print(f'input shape: {result["input_shape"]}')
    print(f'params:      {result["params"]:,}')
    if 'params_excluding_aux' in result:
        print(f'  excluding the auxiliary head: '
              f'{result["params_excluding_aux"]:,}')
    print(f'FLOPs:       {result["flops"]:,}')
    print(f'convention:  {result["convention"]}')
    return result


if __name__ == '__main__':
    main()
