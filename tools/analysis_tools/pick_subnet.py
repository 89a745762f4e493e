"""Pick a subnet for a budget from a Pareto search's front, without
searching again.

Usage::

    python tools/analysis_tools/pick_subnet.py WORK_DIR/pareto_front.yaml \
        (--flops-max F | --latency-max MS) [--params-max P] \
        [--supernet-checkpoint CKPT] --out-dir DIR

Takes the best-scoring member of ``pareto_front.yaml`` within every bound
given and writes into ``--out-dir`` what a search writes for its best:
``best_fix_subnet.yaml`` and ``best_subnet_weights.pth`` (the supernet's
weights sliced to the member's path, with the BN statistics re-estimated
for it during the search, kept in ``pareto_front_bn.pth``): stage 3's
subnet config takes them as they are. The supernet is the one the front
records (``--supernet-checkpoint``: the same file moved; its sha256 is
checked); the model is built from the config the front records.
"""
import argparse
import copy
import os
import os.path as osp
import sys


def parse_args(argv=None):
    """Parse the command line of the tool.

    Args:
        argv (list[str], optional): The arguments to parse. Defaults to
            None (``sys.argv[1:]``).

    Returns:
        argparse.Namespace: The parsed arguments.
    """
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('front', help='pareto_front.yaml of a search')
    parser.add_argument(
        '--flops-max',
        type=float,
        help='at most these FLOPs '
        '(as the search counted them: see the file)')
    parser.add_argument(
        '--latency-max',
        type=float,
        help='at most this predicted latency, ms (a front '
        'searched with a latency table)')
    parser.add_argument(
        '--params-max', type=float, help='at most these '
        'params')
    parser.add_argument(
        '--supernet-checkpoint',
        default=None,
        help='default: the one the front records')
    parser.add_argument(
        '--out-dir',
        required=True,
        help='where best_fix_subnet.yaml and '
        'best_subnet_weights.pth are written')
    return parser.parse_args(argv)


def build_supernet(data: dict, checkpoint: str, front: str):
    """Build the searched model of the front's config with given weights.

    The weights of ``checkpoint`` are loaded strictly (every key, every
    shape).

    Args:
        data (dict): The loaded front file, with the ``model`` config.
        checkpoint (str): The supernet checkpoint file.
        front (str): The front file, named in error messages.

    Returns:
        nn.Module: The supernet, in eval mode.

    Raises:
        ParetoFrontError: If the front records no ``model`` config.
        CheckpointError: If the checkpoint does not fit the model.
    """
    import mmrazor_lite  # noqa: F401  (registers the types)
    from mmrazor_lite.fileio import load_state_strictly, read_checkpoint
    from mmrazor_lite.registry import build_model
    from mmrazor_lite.structures.pareto_front_file import ParetoFrontError
    if not isinstance(data.get('model'), dict):
        raise ParetoFrontError(f'{front}: records no "model" config')
    model = build_model(copy.deepcopy(data['model']))
    load_state_strictly(model,
                        read_checkpoint(checkpoint)['state_dict'], checkpoint)
    return model.eval()


def pick_subnet(front: str,
                out_dir: str,
                flops_max=None,
                params_max=None,
                latency_max=None,
                supernet_checkpoint=None) -> dict:
    """Write the picked member's subnet and weights into ``out_dir``.

    The member picked is the best-scoring one within every bound given.

    Args:
        front (str): The ``pareto_front.yaml`` of a Pareto search.
        out_dir (str): Where ``best_fix_subnet.yaml`` and
            ``best_subnet_weights.pth`` are written; not the search's own
            work dir.
        flops_max (float, optional): The most FLOPs, as the search counted
            them. Defaults to None.
        params_max (float, optional): The most params. Defaults to None.
        latency_max (float, optional): The most predicted latency in ms,
            for a front searched with a latency table. Defaults to None.
        supernet_checkpoint (str, optional): The supernet checkpoint, the
            same file moved. Defaults to None (the one the front records).

    Returns:
        dict: ``index`` (of the member in the front, 0-based), ``member``
        (its record), ``subnet_file`` and ``weights_file`` (the paths
        written).

    Raises:
        FileNotFoundError: If the front, its BN statistics or the supernet
            checkpoint is missing.
        CheckpointError: If the supernet checkpoint does not fit the
            model.
        ParetoFrontError: If no bound is given, no member is within the
            bounds (the message gives the cheapest member's cost), latency
            is asked of a front without it, the checkpoint is another
            supernet than the one searched or ``out_dir`` is the search
            work dir.
    """
    from mmrazor_lite.engine.search.settings import file_sha256
    from mmrazor_lite.structures import (SUBNET_FILE, WEIGHTS_FILE,
                                         write_search_result)
    from mmrazor_lite.structures.pareto_front_file import (ParetoFrontError,
                                                           load_member_bn,
                                                           load_pareto_front,
                                                           pick_member)
    from mmrazor_lite.subnet import sliced_state_dict
    if osp.realpath(out_dir) == osp.realpath(osp.dirname(osp.abspath(front))):
        # the search's own best_* files are its answer (and a --resume's)
        raise ParetoFrontError(
            f'--out-dir {out_dir} is the search work dir of {front}: the '
            f'pick would overwrite the search\'s own best_fix_subnet.yaml '
            f'and best_subnet_weights.pth; choose another --out-dir')
    data = load_pareto_front(front)
    index, member = pick_member(
        data,
        front,
        flops_max=flops_max,
        params_max=params_max,
        latency_max=latency_max)
    checkpoint = supernet_checkpoint or data.get('supernet_checkpoint')
    if not checkpoint or not osp.isfile(checkpoint):
        raise FileNotFoundError(
            f'supernet checkpoint {checkpoint!r} (recorded in {front}) does '
            f'not exist; pass --supernet-checkpoint where it is now')
    recorded = data.get('supernet_sha256')
    if recorded and file_sha256(checkpoint) != recorded:
        raise ParetoFrontError(
            f'{checkpoint} is not the supernet {front} was searched on '
            f'(sha256 {recorded[:12]}...): its scores and BN statistics '
            f'belong to that one')
    bn = load_member_bn(front, data, index)
    model = build_supernet(data, checkpoint, front)
    model.mutator.set_choices(member['decisions'])
    _, unexpected = model.load_state_dict(bn, strict=False)
    if unexpected:
        raise ParetoFrontError(f'BN statistics of member {index + 1} do '
                               f'not fit the model: {unexpected[:5]}')
    os.makedirs(out_dir, exist_ok=True)
    write_search_result(
        out_dir, model.mutator.current_subnet(),
        sliced_state_dict(model, model.mutator.mutables),
        dict(
            score=float(member['score']),
            score_key=member.get('score_key', data.get('score_key')),
            supernet_checkpoint=checkpoint,
            pareto_front=osp.abspath(front),
            front_rank=member['rank']))
    return dict(
        index=index,
        member=member,
        subnet_file=osp.join(out_dir, SUBNET_FILE),
        weights_file=osp.join(out_dir, WEIGHTS_FILE))


def describe(member: dict) -> str:
    """Describe a front member in one line: its rank, score and costs.

    Args:
        member (dict): A member record of the front file.

    Returns:
        str: The description.
    """
    latency = f', {member["latency_ms"]:.3f} ms' \
        if member.get('latency_ms') is not None else ''
    return (f'front member {member["rank"]}: {member.get("score_key")} '
            f'{member["score"]:.2f}, {member["flops"]:,} FLOPs, '
            f'{member["params"]:,} params{latency}')


def main(argv=None):
    """Pick the subnet the command line asks for and write its files.

    Args:
        argv (list[str], optional): The command-line arguments. Defaults
            to None (``sys.argv[1:]``).

    Returns:
        dict: What :func:`pick_subnet` returns.

    Raises:
        SystemExit: With the message, if :func:`pick_subnet` refuses.
    """
    args = parse_args(argv)
    from mmrazor_lite.fileio.checkpoint_io import CheckpointError
    from mmrazor_lite.structures.pareto_front_file import ParetoFrontError
    try:
        picked = pick_subnet(args.front, args.out_dir, args.flops_max,
                             args.params_max, args.latency_max,
                             args.supernet_checkpoint)
    except (FileNotFoundError, ParetoFrontError, CheckpointError) as err:
        sys.exit(f'error: {err}')
    print(f'picked {describe(picked["member"])}')
    print(f'wrote {picked["subnet_file"]} and {picked["weights_file"]}')
    return picked


if __name__ == '__main__':
    main()
