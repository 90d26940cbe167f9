"""Work on two cores: a forked helper process computes part of the work while this one
does the rest, results in order.

``ordered_map`` reads a file's records in both processes, each handling every other
block. ``offloaded`` gives the helper every block of work already in memory (it inherits
it) while this process uses the results as they come, e.g. writes them. The fork brings
the referentials and caches along; the helper never touches the database, and ends with
``os._exit`` (no cleanup that could close the parent's connections).
"""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing
from collections.abc import Callable, Iterable, Iterator
from multiprocessing.connection import Connection
from typing import Any, TypeVar

BLOCK = 1000

T = TypeVar("T")
R = TypeVar("R")


def ordered_map(
    records: Callable[[], Iterable[tuple[int, Any]]],
    func: Callable[[int, Any], Any],
    *,
    helper: bool,
) -> Iterator[tuple[int, Any]]:
    """``(line, func(line, record))`` for each ``(line, record)`` of ``records()``, in order.

    ``records`` is called in each process and must give the same records in both; ``func``
    must depend on nothing but its arguments and what the fork inherits.
    """
    if not helper:
        for line, record in records():
            yield line, func(line, record)
        return
    with _helper(_help, records, func) as receiver:
        for index, block in enumerate(_blocks(records())):
            if index % 2 == 0:
                for line, record in block:
                    yield line, func(line, record)
                continue
            yield from _received(receiver)


def offloaded(blocks: Iterable[T], func: Callable[[T], R], *, helper: bool) -> Iterator[R]:
    """``func(block)`` for each of ``blocks``, in order; with ``helper``, computed by the
    helper process a block ahead of this one, which only receives them.

    ``blocks`` must already be in memory (the helper iterates its inherited copy), and
    ``func`` depend on nothing but its argument and what the fork inherits.
    """
    if not helper:
        yield from map(func, blocks)
        return
    with _helper(_compute_all, blocks, func) as receiver:
        while (received := _received(receiver)) != _END:
            yield received[0]


_END = ()  # after the last result, which comes as a 1-tuple


@contextlib.contextmanager
def _helper(target: Callable[..., None], *args: Any) -> Iterator[Connection]:
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=target, args=(*args, sender), daemon=True)
    process.start()
    sender.close()
    try:
        yield receiver
    finally:
        receiver.close()
        if process.is_alive():
            process.terminate()
        process.join()


def _received(receiver: Connection) -> Any:
    """The helper's next result; its failure raised here (an ended helper too: EOFError)."""
    failure, result = receiver.recv()
    if failure:
        raise RuntimeError(f"traitement parallèle interrompu : {failure}")
    return result


def _help(records: Callable[[], Iterable[tuple[int, Any]]], func: Any, sender: Any) -> None:
    with _reporting(sender):
        for index, block in enumerate(_blocks(records())):
            if index % 2:
                sender.send((None, [(line, func(line, record)) for line, record in block]))


def _compute_all(blocks: Iterable[Any], func: Any, sender: Any) -> None:
    with _reporting(sender):
        for block in blocks:
            sender.send((None, (func(block),)))
        sender.send((None, _END))


@contextlib.contextmanager
def _reporting(sender: Connection) -> Iterator[None]:
    """A helper's failure sent to this process; a stopped reader ends the helper quietly."""
    try:
        yield
    except BrokenPipeError:  # the receiving process stopped early
        return
    except Exception as exc:
        sender.send((f"{type(exc).__name__} : {exc}", None))
    finally:
        sender.close()


def _blocks(records: Iterable[tuple[int, Any]]) -> Iterator[list[tuple[int, Any]]]:
    iterator = iter(records)
    while block := list(itertools.islice(iterator, BLOCK)):
        yield block
