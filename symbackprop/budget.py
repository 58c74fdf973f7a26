"""A wall-clock limit for one symbolic step (SymPy has none of its own).

:func:`time_budget` raises TimeoutError inside a block once its seconds have passed; the proof
(:mod:`symbackprop.proof`) bounds each simplification with it, and :mod:`symbackprop.kinks`
each ``solveset``.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

#: Seconds between repeated alarms once a :func:`time_budget` has run out.
ALARM_REPEAT = 0.05


@contextmanager
def time_budget(seconds: float | None) -> Iterator[None]:
    """Raise TimeoutError in the block after ``seconds`` (main thread only; elsewhere no limit).

    The alarm repeats every :data:`ALARM_REPEAT` seconds until the block ends: a TimeoutError
    raised while a gc callback or ``__del__`` runs is printed and dropped by Python, and a
    one-shot alarm would then leave the step running without a limit.
    """
    usable = seconds and threading.current_thread() is threading.main_thread() and hasattr(signal, "SIGALRM")
    if not usable:
        yield
        return
    active = [True]

    def expire(signum, frame):
        if active[0]:  # an alarm already pending as the block ends must not raise outside it
            raise TimeoutError

    previous = signal.signal(signal.SIGALRM, expire)
    try:  # armed inside the try: an alarm as setitimer returns must still reach the finally
        signal.setitimer(signal.ITIMER_REAL, seconds, ALARM_REPEAT)
        yield
    finally:
        active[0] = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
