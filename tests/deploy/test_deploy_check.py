"""``scripts/deploy-check.sh`` follows docs/deploy.md in a clean folder (issue 22.6).

It boots gunicorn twice (about two minutes on a busy two-core machine), so it runs only when asked:
``VANGUARD_DEPLOY_CHECK=1`` (or ``make deploy-check``, which runs the script itself).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from server.config import ROOT

pytestmark = pytest.mark.slow


@pytest.mark.skipif(os.environ.get("VANGUARD_DEPLOY_CHECK") != "1",
                    reason="about two minutes: set VANGUARD_DEPLOY_CHECK=1 or run `make deploy-check`")
def test_docs_deploy_is_followed_step_by_step_in_a_clean_folder():
    env = {**os.environ, "DEPLOY_CHECK_VENV": str(Path(sys.executable).parent.parent)}
    done = subprocess.run(["bash", str(ROOT / "scripts" / "deploy-check.sh")], env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    steps = [line for line in done.stdout.splitlines() if line.startswith("== ")]
    assert [s.split(".")[0] for s in steps] == ["== 2", "== 3", "== 4", "== 5", "== 7", "== 7", "== 8"]
    assert done.stdout.rstrip().endswith("deploy-check: OK (docs/deploy.md steps 2-8)")
