"""``ordered_map``: a function over a file's records on two cores, results in file order.

A forked helper process reads the same file and handles every other block of records;
this process handles the others and receives the helper's results, pickled. The fork
brings the referentials and caches along; the helper never touches the database, and
ends with ``os._exit`` (no cleanup that could close the parent's connections).
"""

from __future__ import annotations

import itertools
import multiprocessing
from collections.abc import Callable, Iterable, Iterator
from typing import Any

BLOCK = 1000


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
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_help, args=(records, func, sender), daemon=True)
    process.start()
    sender.close()
    try:
        for index, block in enumerate(_blocks(records())):
            if index % 2 == 0:
                for line, record in block:
                    yield line, func(line, record)
                continue
            failure, results = receiver.recv()
            if failure:
                raise RuntimeError(f"lecture parallèle interrompue : {failure}")
            yield from results
    finally:
        receiver.close()
        if process.is_alive():
            process.terminate()
        process.join()


def _help(records: Callable[[], Iterable[tuple[int, Any]]], func: Any, sender: Any) -> None:
    try:
        for index, block in enumerate(_blocks(records())):
            if index % 2:
                sender.send((None, [(line, func(line, record)) for line, record in block]))
    except BrokenPipeError:  # the reading process stopped early
        return
    except Exception as exc:
        sender.send((f"{type(exc).__name__} : {exc}", None))
    finally:
        sender.close()


def _blocks(records: Iterable[tuple[int, Any]]) -> Iterator[list[tuple[int, Any]]]:
    iterator = iter(records)
    while block := list(itertools.islice(iterator, BLOCK)):
        yield block
