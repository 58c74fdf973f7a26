"""SIGINT and SIGTERM as an exception, so that every clean-up on the way out runs.

Provides:

* :class:`Interrupted` -- raised in the main thread when a signal arrives inside
  :func:`interruptible`; a :class:`BaseException`, like :class:`KeyboardInterrupt`, so
  ``except Exception`` does not swallow it, while ``finally`` blocks, context managers and
  ``except BaseException`` clean-ups (the TeX process group, temporary files) all run;
* :func:`interruptible` -- the command line's scope: signals raise :class:`Interrupted` once (a
  second signal while the first unwinds is ignored, so the clean-up finishes);
* :func:`deferred` -- a block that must not be split (creating a temporary and taking charge
  of it): a signal arriving in it is raised when it ends;
* :func:`swallowed` -- the signal of an :class:`Interrupted` that some library caught and dropped.

A signal that lands while Python runs a ``__del__`` method or a garbage-collector callback
raises there, and Python drops such exceptions; the hook installed by :func:`interruptible`
sees that and delivers the signal again.
"""

from __future__ import annotations

import _thread
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

SIGNALS = (signal.SIGINT, signal.SIGTERM)
#: Seconds after which a signal whose exception Python dropped is delivered again.
REDELIVERY_DELAY = 0.01


class Interrupted(BaseException):
    """The run was stopped by ``signum``; its exit status is 128 + signum (130, 143)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


class _State:
    """What the handler knows: inside a deferred block, a signal waiting there, one already raised."""

    def __init__(self) -> None:
        self.deferring = 0
        self.waiting: int | None = None
        self.raised: int | None = None


_state = _State()


def _handle(signum: int, frame) -> None:
    if _state.raised is not None:
        return
    if _state.deferring:
        _state.waiting = signum
        return
    _state.raised = signum
    raise Interrupted(signum)


def _redeliver(previous):
    """An unraisable-exception hook that sends a signal whose Interrupted Python dropped again.

    From another thread, a moment later: sent from the hook itself, the handler would run, and
    raise, before the destructor it interrupted has finished.
    """

    def hook(unraisable) -> None:
        if isinstance(unraisable.exc_value, Interrupted) and _state.raised is not None:
            _state.raised = None
            again = threading.Timer(REDELIVERY_DELAY, _thread.interrupt_main, (unraisable.exc_value.signum,))
            again.daemon = True
            again.start()
            return
        previous(unraisable)

    return hook


@contextmanager
def interruptible() -> Iterator[None]:
    """Within the block, SIGINT and SIGTERM raise :class:`Interrupted` (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.getsignal(signum) for signum in SIGNALS}
    previous_hook = sys.unraisablehook
    _state.__init__()
    sys.unraisablehook = _redeliver(previous_hook)
    try:
        for signum in SIGNALS:
            signal.signal(signum, _handle)
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        sys.unraisablehook = previous_hook


@contextmanager
def deferred() -> Iterator[None]:
    """A signal arriving in the block is raised as the block ends (nothing is lost, nothing split)."""
    _state.deferring += 1
    try:
        yield
    finally:
        _state.deferring -= 1
        if not _state.deferring and _state.waiting is not None and _state.raised is None:
            signum, _state.waiting = _state.waiting, None
            _state.raised = signum
            raise Interrupted(signum)


def swallowed() -> int | None:
    """The signal an :class:`Interrupted` was raised for, if the run went on all the same (else None).

    Only meaningful after that exception would have reached the caller: code that catches
    every exception (``except BaseException``, a bare ``except``) and carries on hides it.
    """
    return _state.raised
