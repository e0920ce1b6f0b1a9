"""The benchmark harness runs end to end with tiny sizes, so that it cannot rot.

No timing is asserted: only that every scenario ran against a real server and
wrote the JSON and markdown results with the figures the README describes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_bench_smoke_writes_results(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VANGUARD_")}
    run = subprocess.run(
        [sys.executable, "-m", "bench", "--smoke", "--no-postgres", "--out", str(tmp_path)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]

    doc = json.loads((tmp_path / "smoke.json").read_text(encoding="utf-8"))
    assert set(doc) >= {"meta", "results", "memory", "targets", "notes"}
    assert doc["meta"]["smoke"] is True
    results = doc["results"]
    assert "errors" not in results
    assert set(results) >= {"complete", "naive", "throughput", "launch", "inbox", "org"}

    sizes = results["complete"]["by_backend"]["sqlite"]
    assert sizes and all({"p50_ms", "p95_ms", "n", "members"} <= set(s) for s in sizes.values())
    assert all(s["n"] > 0 for s in sizes.values())

    naive = results["naive"]["sizes"]
    assert naive and all({"p50_ms", "p95_ms", "blob_mb", "naive_per_ours_p50"} <= set(s) for s in naive.values())

    mode = results["throughput"]["modes"]["embedded-sqlite"]
    assert mode["ours"]["ok"] > 0 and mode["floor"]["ok"] > 0
    assert mode["ours_per_floor"] is not None

    assert results["launch"]["tasks_created"] > 0

    inbox = results["inbox"]["backends"]["sqlite"]
    for key in ("secretary_claimable", "org_admin_subtree", "member_mine"):
        assert {"p50_ms", "p95_ms", "total"} <= set(inbox[key])
    assert inbox["task_rows"] > 0

    [imported] = results["org"]["imports"].values()
    assert imported["created"] == imported["rows"] > 0 and imported["reimport_unchanged"] == imported["rows"]
    change = results["org"]["secretary_change"]["sqlite"]
    assert change["n"] > 0 and all(n == change["open_tasks"] for n in change["returned_per_change"])

    quota_view = results["scale-quota"]["backends"]["sqlite"]
    assert quota_view["same_totals"] is True and quota_view["tally_rows"] > 0
    assert {"p50_ms", "p95_ms"} <= set(quota_view["district_year"])

    [rollup] = results["scale-rollup"]["sizes"].values()
    assert all({"p50_ms", "p95_ms", "rows", "branches"} <= set(rollup[k])
               for k in ("rollup_district", "rollup_committee", "rollup_branch"))
    assert rollup["rollup_district"]["branches"] == rollup["branches"] and rollup["xlsx_district"]["max_s"] > 0

    assert any(m["peak_total_mb"] > 0 for m in doc["memory"].values())
    assert {t["target"].split(" (")[0] for t in doc["targets"]} >= {
        "complete p95, every size", "throughput ours / floor", "server peak RSS"}

    markdown = (tmp_path / "smoke.md").read_text(encoding="utf-8")
    for heading in ("## Targets", "## complete", "## naive", "## throughput", "## launch", "## inbox", "## org",
                    "## memory"):
        assert heading in markdown
