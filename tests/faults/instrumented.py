"""Run ``symbackprop`` with fault-injection hooks, for the tests in this folder (a test tool only).

Environment variables (all optional):

* ``FAULT_ADDRESS_SPACE`` -- bytes of address space (RLIMIT_AS) for the whole run;
* ``FAULT_MARKERS`` -- print ``@derive``, ``@tex`` and ``@write`` on stdout as those stages begin,
  so a test can send a signal at a known point;
* ``FAULT_PAUSE_AT_WRITE`` -- seconds to wait once the output's temporary file is written, before
  it is synced and renamed into place (a window for a signal during the write);
* ``FAULT_TEX_TIMEOUT`` -- seconds TeX may run (symbackprop's own limit is 120 s).
"""

from __future__ import annotations

import os
import resource
import sys
import time


def _marked(name: str, function):
    def wrapped(*args, **kwargs):
        print(f"@{name}", flush=True)
        return function(*args, **kwargs)

    return wrapped


def main() -> int:
    limit = os.environ.get("FAULT_ADDRESS_SPACE")
    if limit:
        resource.setrlimit(resource.RLIMIT_AS, (int(limit), int(limit)))
    from symbackprop import api, cli, driver, tex

    markers = bool(os.environ.get("FAULT_MARKERS"))
    if markers:
        driver.derive = api.derive = _marked("derive", driver.derive)
        driver.derive_layer_level = _marked("derive", driver.derive_layer_level)
    timeout = os.environ.get("FAULT_TEX_TIMEOUT")
    compile_pdf = tex.compile_pdf

    def compile_with_hooks(text, **options):
        if markers:
            print("@tex", flush=True)
        return compile_pdf(text, **({"timeout": float(timeout)} if timeout else {}), **options)

    tex.compile_pdf = compile_with_hooks
    pause = os.environ.get("FAULT_PAUSE_AT_WRITE")
    fsync = os.fsync

    def paused_fsync(fd):
        if markers:
            print("@write", flush=True)
        time.sleep(float(pause))
        return fsync(fd)

    if pause:
        os.fsync = paused_fsync
    return cli.main(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
