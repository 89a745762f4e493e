"""Params and FLOPs of the model a config builds.

Usage::

    python tools/analysis_tools/get_flops.py CONFIG [--shape H W]
        [--subnet YAML] [--convention fvcore|conv_linear] [--json]
        [--latency-table FILE]

A supernet config without ``--subnet`` reports its largest path (the one
with the most FLOPs), and says so; a subnet config (``FixedSubnet``) reports
the subnet it builds, or the ``--subnet`` given. One FLOP is one
multiply-add. ``--latency-table`` adds that path's latency as the table
(``build_latency_table.py``) predicts it, on the table's device, batch and
input shape; a table built for another search space is refused.
"""
import argparse
import contextlib
import json
import os.path as osp
import sys

from mmengine.config import DictAction


def parse_args(argv=None):
    """Parse the command line of the tool.

    Args:
        argv (list[str], optional): The arguments to parse. Defaults to
            None (``sys.argv[1:]``).

    Returns:
        argparse.Namespace: The parsed arguments.
    """
    parser = argparse.ArgumentParser(description='Count params and FLOPs')
    parser.add_argument('config', help='config file path')
    parser.add_argument(
        '--shape',
        type=int,
        nargs=2,
        default=[224, 224],
        metavar=('H', 'W'),
        help='input size (224 224)')
    parser.add_argument('--subnet', help='subnet yaml to fix the supernet to')
    parser.add_argument(
        '--convention', default='fvcore', choices=['fvcore', 'conv_linear'])
    parser.add_argument(
        '--json', action='store_true', help='print one JSON object only')
    parser.add_argument(
        '--latency-table',
        metavar='FILE',
        help='also print the predicted latency (ms)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(argv)


def predicted_latency(path: str, space, choices, config: str) -> dict:
    """Predict the latency of a path of a search space by a latency table.

    Args:
        path (str): The latency table file (``build_latency_table.py``).
        space (nn.Module | OneShotMutator): The search space: a supernet,
            or the mutator of one.
        choices (Mapping[str, str]): The path, decision key or module path
            -> choice name.
        config (str): The name of the source checked against the table,
            used in its error message.

    Returns:
        dict: ``latency_ms`` (rounded to 3 decimals), ``latency_table``
        (``path``) and ``latency_setting`` (the table's device, batch,
        input and threads, in words).

    Raises:
        ValueError: If the table was built for another search space.
    """
    from mmrazor_lite.estimators import LatencyTable
    from mmrazor_lite.mutators import OneShotMutator
    table = LatencyTable.load(path)
    mutator = space
    if not isinstance(space, OneShotMutator):
        mutator = OneShotMutator()
        mutator.prepare_from_supernet(space)
    table.check_matches(mutator.choices, source=config)
    meta = table.meta
    return dict(
        latency_ms=round(
            table.latency_of(mutator.validate_choices(choices)), 3),
        latency_table=path,
        latency_setting=f'{meta.get("device_name", "?")}, batch '
        f'{meta.get("batch", "?")}, input '
        f'{meta.get("input_shape", "?")}, '
        f'{meta.get("threads", "?")} thread(s)')


def measure(cfg,
            shape,
            subnet=None,
            convention='fvcore',
            latency_table=None,
            config='the config') -> dict:
    """Count the params and FLOPs of the model ``cfg`` builds.

    A supernet without ``subnet`` is measured on its largest path; a
    subnet config, or ``subnet``, on that subnet. See the module
    docstring.

    Args:
        cfg (Config): The loaded config.
        shape (Sequence[int]): The input size ``(H, W)``.
        subnet (str, optional): The subnet yaml to fix the supernet to,
            or to replace the subnet of a subnet config. Defaults to None.
        convention (str): How FLOPs are counted, ``'fvcore'`` or
            ``'conv_linear'``. Defaults to ``'fvcore'``.
        latency_table (str, optional): A latency table file whose
            predicted latency is added. Defaults to None.
        config (str): The name of the config in error messages. Defaults
            to ``'the config'``.

    Returns:
        dict: ``params``, ``flops``, ``convention``, ``input_shape`` and
        ``model`` (what was measured, in words), with ``latency_ms``,
        ``latency_table`` and ``latency_setting`` given a latency table
        and ``params_excluding_aux`` with an auxiliary head.

    Raises:
        ValueError: If ``subnet`` is given for a model with no free
            choice, or ``latency_table`` for one with no searched model or
            subnet, or the table does not match the search space.
    """
    from mmengine.registry import init_default_scope

    import mmrazor_lite  # noqa: F401
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
    latency = {}
    if any(isinstance(m, OneShotChoice) for m in net.modules()):
        mutator = OneShotMutator()
        mutator.prepare_from_supernet(net)
        if subnet:
            # as FixedSubnet does: every subnet form, MMRazor 0.x included
            fixed = fix_model(net, subnet, source=f'--subnet {subnet}')
            what = f'subnet {subnet}'
            if latency_table:
                latency = predicted_latency(latency_table, mutator, fixed,
                                            config)
        else:
            table = ResourceTable(net, mutator, input_shape, convention)
            largest = table.largest()
            if latency_table:
                latency = predicted_latency(latency_table, mutator, largest,
                                            config)
            return dict(
                params=table.params_of(largest),
                flops=table.flops_of(largest),
                convention=CONVENTIONS[convention],
                input_shape=list(input_shape[1:]),
                model='largest path of the supernet (no --subnet given)',
                **latency)
    elif subnet:
        raise ValueError(f'--subnet {subnet} given, but the model of the '
                         f'config has no free choice to fix')
    elif getattr(net, 'fix_subnet', None):
        what = f'fixed subnet from {net.subnet_source}'
        if latency_table:  # the space: the supernet the subnet came from
            latency = predicted_latency(
                latency_table, MODELS.build(model_cfg['architecture']),
                net.fix_subnet, config)
    else:
        what = 'the model as configured'
    if latency_table and not latency:
        raise ValueError(f'--latency-table {latency_table} given, but '
                         f'{config} builds no searched model or subnet')
    flops, params = count_flops_params(net, input_shape, convention)
    result = dict(
        params=params,
        flops=flops,
        convention=CONVENTIONS[convention],
        input_shape=list(input_shape[1:]),
        model=what,
        **latency)
    aux = getattr(getattr(net, 'head', None), 'auxiliary_head', None)
    if aux is not None:
        # the papers' convention: every parameter but the auxiliary head's
        # (only trained with, never run at test, nor counted in FLOPs here)
        result['params_excluding_aux'] = params - sum(
            p.numel() for p in aux.parameters())
        result['model'] += ' (FLOPs in eval mode: auxiliary head not run)'
    return result


def main(argv=None):
    """Print the params and FLOPs of the config on the command line.

    Args:
        argv (list[str], optional): The command-line arguments. Defaults
            to None (``sys.argv[1:]``).

    Returns:
        dict: What :func:`measure` returns.

    Raises:
        SystemExit: With the message, on a missing or invalid config, or a
            model that cannot be measured as asked.
    """
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
        try:
            result = measure(cfg, args.shape, args.subnet, args.convention,
                             args.latency_table, args.config)
        except (FileNotFoundError, ValueError) as err:
            sys.exit(f'error: {err}')
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
    if 'latency_ms' in result:
        print(f'latency:     {result["latency_ms"]:.2f} ms (predicted by '
              f'{result["latency_table"]}: {result["latency_setting"]})')
    return result


if __name__ == '__main__':
    main()
