"""Read the logs of ``gpu_check.sh`` and print the figures as Markdown for docs/performance.md.

    python benchmarks/gpu/report.py LOG_DIR
"""
import json
import os
import re
import sys

EPOCH = re.compile(r"Epoch 1: ([\d.]+) s, \d+ samples/s, ([\d.]+) ms/step")
ACCURACY = re.compile(r"Accuracy: \d+/\d+ \(([\d.]+)%\)")
TESTS = re.compile(r"(\d+) passed|(\d+) failed|(\d+) skipped|(\d+) errors?")


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def steps_table(text):
    rows = [json.loads(line[len("RESULT "):]) for line in text.splitlines() if line.startswith("RESULT ")]
    if not rows:
        return ["(step benchmarks: no result — see steps.log)"]
    out = ["| step (ms/step, medians) | torch eager | ptjax eager | hand-written jax.jit | first step ptjax / torch |",
           "|---|---|---|---|---|"]
    names = {"mlp": "MLP 784-128-10 b64 SGD", "cnn": "MNIST CNN b64 Adadelta",
             "lm": "Transformer LM 4x512, seq 128, b32, AdamW"}
    for r in rows:
        ms, first = r["ms"], r["first_s"]
        torch_ms = ms.get("torch")

        def cell(label):
            if label not in ms:
                return "—"
            rel = f" ({ms[label] / torch_ms:.2f}x)" if torch_ms and label != "torch" else ""
            return f"{ms[label]:.2f}{rel}"
        firsts = " / ".join(f"{first[k]:.1f} s" for k in ("ptjax", "torch") if k in first)
        out.append(f"| {names.get(r['model'], r['model'])} ({r['device']}) | {cell('torch')} | {cell('ptjax')} | "
                   f"{cell('jax.jit')} | {firsts} |")
    return out


def mnist_row(label, text):
    epoch, acc = EPOCH.search(text), ACCURACY.search(text)
    if not epoch:
        return f"| {label} | — | — | — |"
    return f"| {label} | {epoch.group(1)} s | {epoch.group(2)} | {acc.group(1) + ' %' if acc else '—'} |"


def tests_line(text):
    counts = {}
    for m in TESTS.finditer(text.strip().splitlines()[-1] if text.strip() else ""):
        for word, value in zip(("passed", "failed", "skipped", "errors"), m.groups()):
            if value:
                counts[word] = int(value)
    return ", ".join(f"{v} {k}" for k, v in counts.items()) or "no summary (see tests.log)"


def main(log_dir):
    lines = ["### GPU figures (benchmarks/gpu_check.sh)", "", read(os.path.join(log_dir, "env.log")).strip(), "",
             f"Device tests: {tests_line(read(os.path.join(log_dir, 'tests.log')))}", ""]
    lines += steps_table(read(os.path.join(log_dir, "steps.log")))
    lines += ["", "| MNIST example, one epoch | time | ms/step | test accuracy |", "|---|---|---|---|",
              mnist_row("ptjax (examples/mnist.py)", read(os.path.join(log_dir, "mnist_ptjax.log"))),
              mnist_row("torch + torchvision", read(os.path.join(log_dir, "mnist_torch.log")))]
    print("\n".join(lines))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "gpu_check_logs")
