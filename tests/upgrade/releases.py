"""Earlier releases, each taken from its own commit, and databases made by their own code.

The commits are named here, not by tag: a CI clone may carry the history without the tags.
Each release's tree is extracted with ``git archive`` and run with this checkout's Python
(the pinned dependencies have not changed since 0.1.0).
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path

from server.config import ROOT

DRIVER = Path(__file__).resolve().parent / "old_release.py"
EVERYTHING = ("activity", "campaign", "pledges", "talk", "selection")


@dataclass(frozen=True)
class Release:
    version: str
    commit: str
    migrations: str
    """The migrations this release introduced."""
    work: tuple[str, ...]
    """What ``old_release.py`` leaves running in its database (what the release supports)."""

    def __str__(self) -> str:
        return f"{self.version}-{self.commit}"


RELEASES = (
    Release("0.1.0", "28133e9", "0001", ("activity",)),
    Release("0.1.1", "9b0758a", "0002-0005", EVERYTHING),
    Release("0.1.2", "599b7ef", "0006", (*EVERYTHING, "comment")),
    Release("0.1.3", "63ede00", "0007", (*EVERYTHING, "comment")),
)
BY_COMMIT = {r.commit: r for r in RELEASES}
ISSUE_21_WORK = ("campaign", "talk")
"""The issue's replay: a campaign launched, branch 1 mobilised, one pledge drafted, one talk requested."""


class MissingHistory(Exception):
    """The checkout has no git history with this commit (a tarball or a shallow clone)."""


def source_tree(commit: str, into: Path) -> Path:
    """The release's files, extracted once into ``into/<commit>``."""
    tree = into / commit
    if (tree / "server" / "__init__.py").exists():
        return tree
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", commit],
                             capture_output=True, timeout=120)
    if archive.returncode != 0:
        raise MissingHistory(f"git archive {commit}: {archive.stderr.decode(errors='replace').strip()}")
    partial = into / f"{commit}.partial"
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(partial, filter="data")
    partial.rename(tree)
    return tree


def build(tree: Path, url: str, instance: Path, work: tuple[str, ...]) -> None:
    """Run the release's own code on ``url``: its migrations, the demo, then ``work``."""
    env = {**os.environ, "PYTHONPATH": str(tree), "VANGUARD_DATABASE_URL": url,
           "VANGUARD_INSTANCE_DIR": str(instance), "VANGUARD_SECRET_KEY": "test-secret",
           "VANGUARD_SCHEDULER": "off"}
    env.pop("VANGUARD_WORKFLOWS_DIR", None)
    run = subprocess.run([sys.executable, str(DRIVER), *work], cwd=tree, env=env, capture_output=True,
                         text=True, timeout=600)
    if run.returncode != 0:
        raise AssertionError(f"release at {tree.name} failed to build its database:\n{run.stdout}\n{run.stderr}")


def old_upgrade(tree: Path, url: str, instance: Path) -> None:
    """``python -m server upgrade`` of the release at ``tree`` (its own migrations and env.py)."""
    env = {**os.environ, "PYTHONPATH": str(tree), "VANGUARD_DATABASE_URL": url,
           "VANGUARD_INSTANCE_DIR": str(instance), "VANGUARD_SECRET_KEY": "test-secret"}
    run = subprocess.run([sys.executable, "-m", "server", "upgrade"], cwd=tree, env=env, capture_output=True,
                         text=True, timeout=600)
    if run.returncode != 0:
        raise AssertionError(f"upgrade by {tree.name} failed:\n{run.stdout}\n{run.stderr}")
