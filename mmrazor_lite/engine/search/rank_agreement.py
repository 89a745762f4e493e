"""Fail on every rank or on none.

A check that raises on one rank only (a file one node does not see, a
race) would leave the other ranks waiting in their next collective until
the process group's timeout, 30 minutes by default, with no message.
"""
from typing import Callable, TypeVar

from mmengine.dist import all_gather_object

T = TypeVar('T')


def on_every_rank(check: Callable[..., T], *args, **kwargs) -> T:
    """``check(*args, **kwargs)`` on every rank; if it raised on any rank,
    raise on all.

    Every rank calls this (it gathers one message per rank). A rank whose
    check raised re-raises its own error; the others raise a RuntimeError
    quoting the first failed rank's. Without a process group it is just
    the call.
    """
    try:
        result, error = check(*args, **kwargs), None
    except Exception as exc:  # noqa: BLE001  re-raised below, on every rank
        result, error = None, exc
    messages = all_gather_object(None if error is
                                 None else f'{type(error).__name__}: {error}')
    if error is not None:
        raise error
    failed = [(rank, m) for rank, m in enumerate(messages) if m is not None]
    if failed:
        rank, message = failed[0]
        raise RuntimeError(f'rank {rank} stopped with {message}')
    return result
