"""Answers made once, apart from the serving threads when they are big (emulator.common.builds)."""

import os
import signal
from concurrent.futures.process import BrokenProcessPool

import pytest

from emulator.common import builds
from emulator.common.builds import Pooled

made: list[int] = []


def pid_of(n: int) -> tuple[int, int]:
    """Which process made the answer for `n` (module-level: the pool's processes import it)."""
    made.append(n)
    if n == 13:
        raise ValueError("unlucky")
    return os.getpid(), n


def test_a_big_answer_is_made_in_the_pool_and_a_small_one_here_each_once():
    answers = Pooled(pid_of, 8, lambda n: n > 100)
    assert answers(1) == (os.getpid(), 1) == answers(1)
    assert made.count(1) == 1  # kept
    pid, _ = answers(1_000)
    assert pid != os.getpid() and answers(1_000) == (pid, 1_000)
    assert 1_000 not in made  # not here


def test_the_newest_answers_are_kept_and_a_failure_is_not():
    answers = Pooled(pid_of, 2, lambda n: False)
    for n in (2, 3, 4, 2):
        answers(n)
    assert made.count(2) == 2 and made.count(4) == 1  # 2 evicted by 4, then made again
    for _ in range(2):
        with pytest.raises(ValueError, match="unlucky"):
            answers(13)
    assert made.count(13) == 2


def die() -> None:
    """A job whose process dies, as one killed or out of memory does."""
    os.kill(os.getpid(), signal.SIGKILL)


def test_a_pool_whose_process_died_is_replaced():
    with pytest.raises(BrokenProcessPool):
        builds.submit(die).result(timeout=60)
    assert builds.submit(os.getpid).result(timeout=60) != os.getpid()
