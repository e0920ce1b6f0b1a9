"""The server under test, started the way users start it, and its memory.

* embedded mode: ``python -m server upgrade`` then ``python -m server serve``
  (gunicorn, one worker process, 8 threads, timers in a thread of it) — what
  ``make run`` does;
* scale-out mode: ``gunicorn -w $WORKERS -b host:port server.wsgi:app``
  with ``VANGUARD_SCHEDULER=off`` — the web half of ``make scale-out`` (the
  Celery worker fires timers and takes no part in these scenarios).

The only difference from a user's start is ``VANGUARD_BENCH_FLOOR=1``, which
adds the benchmark-only endpoints of ``bench/floor.py`` (the floor and the
naive baseline) and nothing else.

Memory is read from ``/proc``: every 0.2 s the resident set (``VmRSS``) of the
gunicorn master and its workers is summed (the peak is kept per phase), as is
their proportional set size (``Pss``: pages the forked workers share counted
once), and each process's own high-water mark (``VmHWM``) is kept.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.client import Client

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BENCH_SECRET = "bench-secret-not-for-production"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_env(database_url: str, instance_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VANGUARD_")}
    env.update(
        VANGUARD_DATABASE_URL=database_url,
        VANGUARD_INSTANCE_DIR=str(instance_dir),
        VANGUARD_SECRET_KEY=BENCH_SECRET,
        VANGUARD_BENCH_FLOOR="1",
        PYTHONDONTWRITEBYTECODE="1",
    )
    env.update(extra)
    return env


def workflows_dir(target: Path, files: Sequence[str]) -> Path:
    """A copy of the named BPMN files of ``workflows/`` with every form and DMN file.

    The server deploys every file of its workflows folder at start and refuses
    to start if one is invalid; a copy of just the files a scenario needs keeps
    a benchmark run independent of diagrams being edited in the same tree.
    """
    source = ROOT / "workflows"
    if target.exists():
        shutil.rmtree(target)
    (target / "forms").mkdir(parents=True)
    for name in files:
        shutil.copy(source / name, target / name)
    for path in source.glob("*.dmn"):
        shutil.copy(path, target / path.name)
    for path in (source / "forms").glob("*.json"):
        shutil.copy(path, target / "forms" / path.name)
    return target


def upgrade(database_url: str, instance_dir: Path) -> None:
    """``python -m server upgrade``, as ``make migrate`` runs it."""
    subprocess.run(
        [PYTHON, "-m", "server", "upgrade"], cwd=ROOT, env=server_env(database_url, instance_dir),
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )


def _status_kb(pid: int, key: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return 0


def _pss_kb(pid: int) -> int:
    """Proportional set size: pages shared by forked workers are counted once in a sum over processes."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                stat = fh.read()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may hold spaces, so split after the last ')'.
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid:
            found.append(int(entry))
    return found


@dataclass
class MemorySampler:
    """Peak resident memory of a process tree, sampled; per phase and overall."""

    root_pid: int
    interval: float = 0.2
    phase: str = "start"
    peak_total_kb: int = 0
    peak_pss_kb: int = 0
    peaks_by_phase: dict[str, int] = field(default_factory=dict)
    hwm_kb: dict[int, int] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def pids(self) -> list[int]:
        return [self.root_pid, *_children(self.root_pid)]

    def sample(self) -> None:
        total = pss = 0
        for pid in self.pids():
            total += _status_kb(pid, "VmRSS")
            pss += _pss_kb(pid)
            hwm = _status_kb(pid, "VmHWM")
            if hwm:
                self.hwm_kb[pid] = max(self.hwm_kb.get(pid, 0), hwm)
        self.peak_total_kb = max(self.peak_total_kb, total)
        self.peak_pss_kb = max(self.peak_pss_kb, pss)
        self.peaks_by_phase[self.phase] = max(self.peaks_by_phase.get(self.phase, 0), total)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, daemon=True, name="rss-sampler")
        self._thread.start()

    def stop(self) -> None:
        self.sample()
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)

    def summary(self) -> dict[str, Any]:
        return {
            "peak_total_mb": round(self.peak_total_kb / 1024, 1),
            "peak_total_pss_mb": round(self.peak_pss_kb / 1024, 1),
            "peak_process_hwm_mb": round(max(self.hwm_kb.values(), default=0) / 1024, 1),
            "processes": len(self.hwm_kb),
            "peak_by_phase_mb": {k: round(v / 1024, 1) for k, v in self.peaks_by_phase.items()},
        }


class Server:
    """One server process tree on a free port; a context manager."""

    def __init__(self, database_url: str, workdir: Path, *, mode: str = "embedded", workers: int = 2,
                 name: str = "server", workflows: Sequence[str] = ("activity_report.bpmn",),
                 env: dict[str, str] | None = None):
        if mode not in ("embedded", "scale-out"):
            raise ValueError(f"unknown mode {mode}")
        self.database_url = database_url
        self.workdir = workdir
        self.mode = mode
        self.workers = workers
        self.name = name
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.memory: MemorySampler | None = None
        self.log_path = workdir / f"{name}.log"
        self.workflows = tuple(workflows)
        self.extra_env = dict(env or {})

    def command(self) -> list[str]:
        if self.mode == "embedded":
            return [PYTHON, "-m", "server", "serve"]
        gunicorn = str(Path(PYTHON).with_name("gunicorn"))
        return [gunicorn, "-w", str(self.workers), "-b", f"127.0.0.1:{self.port}", "server.wsgi:app"]

    def start(self, timeout: float = 90.0) -> Server:
        self.workdir.mkdir(parents=True, exist_ok=True)
        extra = {"PORT": str(self.port), "HOST": "127.0.0.1",
                 "VANGUARD_WORKFLOWS_DIR": str(workflows_dir(self.workdir / "workflows", self.workflows))}
        if self.mode == "scale-out":
            extra["VANGUARD_SCHEDULER"] = "off"
        extra.update(self.extra_env)
        env = server_env(self.database_url, self.workdir / "instance", **extra)
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(self.command(), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        probe = Client(self.base, timeout=5)
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                if probe.call("GET", "/api/openapi.json")[0] == 200 and self._workers_up():
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{self.name} did not answer within {timeout:.0f} s:\n{self.log_tail()}")
            time.sleep(0.1)
        probe.close()
        self.memory = MemorySampler(self.proc.pid)
        self.memory.start()
        return self

    def _workers_up(self) -> bool:
        assert self.proc is not None
        wanted = 1 if self.mode == "embedded" else self.workers
        return len(_children(self.proc.pid)) >= wanted

    def phase(self, name: str) -> None:
        if self.memory is not None:
            self.memory.sample()
            self.memory.phase = name

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> dict[str, Any]:
        summary: dict[str, Any] = {}
        if self.memory is not None:
            self.memory.stop()
            summary = self.memory.summary()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # gunicorn: graceful stop of its workers
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)  # the session we started for it
                self.proc.wait(timeout=5)
        return summary

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
