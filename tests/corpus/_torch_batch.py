"""Runs corpus scripts under real torch, imported once, each script in its own forked child.

Usage: ``python _torch_batch.py OUTDIR SCRIPT...``. A child writes ``OUTDIR/<name>.out`` and ``.err`` and runs
with the script's folder as ``sys.path[0]`` and ``OUTDIR/<name>`` as its working directory, as ``python
script.py`` would; the parent prints ``EXIT <name> <code>`` per script. Forking after ``import torch`` saves its
1.5 s import per script while keeping scripts isolated from one another. Torch runs on one thread: on a shared
2-core machine its spinning worker threads cost 2.6x the CPU time (measured over the corpus), for tiny models.
"""
import os
import runpy
import sys
import traceback

import torch

torch.set_num_threads(1)

STATUS_ON_ERROR = 1


def run_child(script, outdir):
    name = os.path.splitext(os.path.basename(script))[0]
    workdir = os.path.join(outdir, name)
    os.makedirs(workdir, exist_ok=True)
    for fd, suffix in ((1, ".out"), (2, ".err")):
        os.dup2(os.open(os.path.join(outdir, name + suffix), os.O_WRONLY | os.O_CREAT | os.O_TRUNC), fd)
    os.chdir(workdir)
    sys.argv = [script]
    sys.path[0] = os.path.dirname(script)
    code = 0
    try:
        runpy.run_path(script, run_name="__main__")
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else STATUS_ON_ERROR
    except BaseException:  # noqa: BLE001 - report any failure as a script failure
        traceback.print_exc()
        code = STATUS_ON_ERROR
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def main(outdir, scripts):
    for script in scripts:
        pid = os.fork()
        if pid == 0:
            run_child(os.path.abspath(script), outdir)
        _, status = os.waitpid(pid, 0)
        name = os.path.splitext(os.path.basename(script))[0]
        print(f"EXIT {name} {os.waitstatus_to_exitcode(status)}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
