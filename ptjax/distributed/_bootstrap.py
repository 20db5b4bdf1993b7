"""A launcher worker: joins JAX's distributed runtime from torchrun's variables, then runs the script.

``python -m ptjax.distributed._bootstrap script.py args`` (or ``-m module args``) is what the launcher starts
in each worker. Joining happens before the script runs because JAX must join before its first computation (see
``process_group.py``); the script then runs as under ``python -m ptjax`` (``torch`` mapped onto ptjax).

A failure is recorded in ``$PTJAX_ERROR_FILE`` (the launcher shows it, naming the rank) and the process exits at
once: a normal interpreter exit would first wait in JAX's shutdown barrier for ranks that may never arrive.
"""
from __future__ import annotations

import os
import sys
import traceback

INIT_TIMEOUT_S = 300    # JAX's own default for joining; the launcher ends every worker when one fails anyway


def _exit_now(code, error=None):
    if error is not None and os.environ.get("PTJAX_ERROR_FILE"):
        with open(os.environ["PTJAX_ERROR_FILE"], "w") as f:
            f.write(error)
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os._exit(code)


def main(argv):
    from .process_group import join_runtime
    env = os.environ
    world_size = int(env["WORLD_SIZE"])
    if world_size > 1:
        gpu_index = None if env.get("JAX_PLATFORMS", "").lower() == "cpu" else int(env["LOCAL_RANK"])
        join_runtime(env["MASTER_ADDR"], int(env["MASTER_PORT"]), int(env["RANK"]), world_size, INIT_TIMEOUT_S,
                     gpu_index)
    from ..__main__ import main as run_script
    try:
        run_script(argv)
    except SystemExit as e:
        if e.code in (None, 0):
            raise
        if isinstance(e.code, int):
            _exit_now(e.code)
        print(e.code, file=sys.stderr)
        _exit_now(1, f"SystemExit: {e.code}\n")
    except BaseException:  # noqa: BLE001 -- any failure is recorded for the launcher, then the process ends
        error = traceback.format_exc()
        print(error, file=sys.stderr, end="")
        _exit_now(1, error)


if __name__ == "__main__":
    main(sys.argv[1:])
