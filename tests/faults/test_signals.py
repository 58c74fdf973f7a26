"""The signal handling itself, in this process: a deferred block, a signal Python would drop,
and the exit codes of ``main``."""

from __future__ import annotations

import contextlib
import signal
import time

import pytest

from symbackprop import cli
from symbackprop.interrupts import Interrupted, deferred, interruptible, swallowed


def test_a_signal_in_a_deferred_block_is_raised_as_it_ends() -> None:
    steps = []
    with pytest.raises(Interrupted) as raised, interruptible():
        with deferred():
            signal.raise_signal(signal.SIGTERM)
            steps.append("after the signal, still in the block")
        steps.append("never")
    assert steps == ["after the signal, still in the block"]
    assert raised.value.exit_code == 143


def test_a_second_signal_while_the_first_unwinds_is_ignored() -> None:
    cleaned = []
    with pytest.raises(Interrupted) as raised, interruptible():
        try:
            signal.raise_signal(signal.SIGINT)
        finally:
            signal.raise_signal(signal.SIGTERM)  # the user presses ^C again, or a supervisor follows up
            cleaned.append(True)
    assert cleaned == [True] and raised.value.signum == signal.SIGINT


class _SignalInDestructor:
    """Receives the signal while Python runs its __del__, where an exception is printed and dropped."""

    def __del__(self) -> None:
        signal.raise_signal(signal.SIGINT)
        sum(range(1000))  # a few bytecodes, for the handler to run (and raise) inside __del__


def test_a_signal_dropped_inside_a_destructor_is_delivered_again() -> None:
    reached = []
    with pytest.raises(Interrupted), interruptible():
        _SignalInDestructor()  # destroyed at once
        for _ in range(1000):
            reached.append(1)
            time.sleep(0.001)
    assert len(reached) < 1000


def test_a_signal_whose_exception_is_caught_still_counts() -> None:
    with interruptible():
        with contextlib.suppress(BaseException):  # a library that catches everything
            signal.raise_signal(signal.SIGTERM)
        assert swallowed() == signal.SIGTERM


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_main_exits_130_or_143_with_one_line(monkeypatch, capsys, signum: int, code: int) -> None:
    def interrupted(arguments):
        signal.raise_signal(signum)
        time.sleep(5)
        return 0

    monkeypatch.setattr(cli, "_derive", interrupted)
    before = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    started = time.monotonic()
    assert cli.main(["derive", "2-2"]) == code
    assert time.monotonic() - started < 4
    assert capsys.readouterr().err == "symbackprop: interrupted\n"
    assert {number: signal.getsignal(number) for number in before} == before  # handlers restored
