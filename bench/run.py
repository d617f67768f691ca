"""Run every bench/bench_*.py as a subprocess, stream its output, and print a summary table.

    .venv/bin/python bench/run.py [name-filter ...]     # BENCH_TIMEOUT (s, default 600) per script

Always exits 0; a failing or timed-out bench is reported in the summary.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TIMEOUT = float(os.environ.get("BENCH_TIMEOUT", 600))


def run_one(script: Path) -> tuple[int | str, float]:
    print(f"\n===== {script.name} =====", flush=True)
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-u", str(script)], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, bufsize=1, start_new_session=True)

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            print(f"[{script.stem}] {line}", end="", flush=True)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    try:
        code: int | str = proc.wait(TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 15)  # the bench's own process group (it may have started servers)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait()
        code = f"timeout ({TIMEOUT:.0f} s)"
    reader.join(5)
    return code, time.perf_counter() - t0


def main() -> int:
    filters = sys.argv[1:]
    scripts = sorted(p for p in HERE.glob("bench_*.py") if not filters or any(f in p.name for f in filters))
    results = []
    for script in scripts:
        try:
            code, secs = run_one(script)
        except Exception as exc:  # noqa: BLE001 - report and go on
            code, secs = f"error: {exc}", 0.0
        results.append((script.name, code, secs))
    print("\n| script | exit code | seconds |")
    print("|---|---|---:|")
    for name, code, secs in results:
        print(f"| {name} | {code} | {secs:.0f} |")
    failed = [(n, c) for n, c, _ in results if c != 0]
    for name, code in failed:
        print(f"FAILED: {name} (exit {code})")
    if not failed:
        print("all benches passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
