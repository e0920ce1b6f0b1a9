"""The activity ledgers' scenario (issue 18): the quota views of a branch and of the district with a
year of records, and the upload and thumbnail of a phone photo, all through HTTP.

The seed-000 programmes are given to the district through ``POST /api/activities/programmes`` (as its
org_admin); a year of confirmed records (two a month per member, spread over the programmes) is
written in bulk, like the inbox's rows. The views are read before and after the records are in, so
the table shows whether their cost grows with the records (it should not: they are counted in SQL,
grouped by member, programme and month).
"""

from __future__ import annotations

import json
import random
import time
import uuid
from datetime import UTC, date, datetime
from io import BytesIO
from typing import Any

from PIL import Image
from sqlalchemy.orm import Session

from bench import db as bdb
from bench.client import Client
from bench.harness import Bench, Env, timed_calls
from bench.stats import summary_ms
from server.activities import tally
from server.activities.catalogue import SEED_000

YEAR = 2026
RECORD_COLS = ["id", "programme_id", "org_unit_id", "member_id", "recorded_by_id", "what", "done_on", "place",
               "beneficiary", "hours", "state", "created_at", "updated_at"]


def _programmes(env: Env) -> list[dict[str, Any]]:
    admin = env.client(env.org.admin)
    made = []
    for entry in SEED_000:
        body = {k: v for k, v in entry.items() if k != "source"} | {"org_unit": "bench-district"}
        made.append(admin.ok("POST", "/api/activities/programmes", body))
    admin.close()
    return made


def _fill(env: Env, programmes: list[dict[str, Any]], per_month: int = 2) -> dict[str, Any]:
    """A year of records (to the start of December): ``per_month`` a member a month, 9 in 10 confirmed."""
    started = time.perf_counter()
    rng = random.Random(18)
    now = bdb.stamp(env.backend, datetime.now(UTC))
    rows: list[tuple[Any, ...]] = []
    for branch in env.org.branches:
        for username in branch.members:
            pid = env.org.person_ids[username]
            for month in range(1, 13):
                seasonal = [p for p in programmes if not p["season_months"] or month in p["season_months"]]
                for _ in range(per_month):
                    programme = rng.choice(seasonal)
                    day = rng.randint(1, 4 if month == 12 else 28)
                    rows.append((len(rows) + 1, programme["id"], branch.id, pid, pid, "为民办实事",
                                 date(YEAR, month, day).isoformat(), "社区", "居民", 2.0,
                                 "confirmed" if rng.random() < 0.9 else "submitted", now, now))
    bdb.bulk_insert(env.engine, "activity_record", RECORD_COLS, rows, trusted=True)
    bdb.reset_sequences(env.engine, ["activity_record"])
    with Session(env.engine) as s, s.begin():
        tally.rebuild(s)  # what migration 0020 does for records written before the counters
    bdb.analyze(env.engine)
    return {"records": len(rows), "fill_s": round(time.perf_counter() - started, 1)}


def _photo() -> bytes:
    """A 12-megapixel phone-sized JPEG (4000×3000, a gradient so that it is not trivially small)."""
    image = Image.linear_gradient("L").resize((4000, 3000)).convert("RGB")
    out = BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def _multipart(client: Client, path: str, name: str, content: bytes) -> tuple[float, int, Any]:
    """One multipart upload through the client's kept-alive connection (with the CSRF header)."""
    token = client.ok("GET", "/api/me")["csrf_token"]
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
            "Content-Type: image/jpeg\r\n\r\n").encode() + content + f"\r\n--{boundary}--\r\n".encode()
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}", "X-CSRFToken": token,
               "Cookie": "; ".join(f"{k}={v}" for k, v in client.cookies.items())}
    conn = client._connection()  # noqa: SLF001 - the benchmark's own client
    start = time.perf_counter()
    conn.request("POST", path, body=body, headers=headers)
    res = conn.getresponse()
    raw = res.read()
    elapsed = time.perf_counter() - start
    if res.will_close:
        client.close()
    return elapsed, res.status, json.loads(raw) if raw else None


def _views(bench: Bench, env: Env, label: str, out: dict[str, Any]) -> None:
    o = bench.options
    branch = env.org.branches[len(env.org.branches) // 2]
    queries = {
        "branch_year": (branch.secretary, f"/api/activities/quota?org_unit={branch.code}&period={YEAR}"),
        "branch_month": (branch.secretary, f"/api/activities/quota?org_unit={branch.code}&period={YEAR}-11"),
        "district_year": (env.org.admin, f"/api/activities/quota?org_unit=bench-district&period={YEAR}&limit=50"),
        "district_quarter": (env.org.admin,
                             f"/api/activities/quota?org_unit=bench-district&period={YEAR}-Q4&limit=50"),
    }
    for key, (who, path) in queries.items():
        client = env.client(who)
        samples = o.activity_samples if key.startswith("branch") else o.activity_district_samples
        stats, body = timed_calls(client, "GET", path, samples, min(o.warmup, 2))
        client.close()
        out.setdefault(key, {"path": path})[label] = {**stats, "members": body["totals"]["members"],
                                                       "done": body["totals"]["done"]}
        bench.log(f"    {key} {label}: p50 {stats['p50_ms']} ms, p95 {stats['p95_ms']} ms "
                  f"({body['totals']['members']} members)")


def activities(bench: Bench) -> None:
    """p95 of the branch and district quota views at N members, without and with a year of records;
    a photo's upload and its thumbnail."""
    o = bench.options
    out: dict[str, Any] = {"backends": {}}
    for backend in bench.backends(["sqlite", "postgresql"]):
        with bench.server(f"activities-{backend}", backend, o.activity_members) as env:
            env.server.phase("activities")
            programmes = _programmes(env)
            result: dict[str, Any] = {"members": env.org.member_count, "programmes": len(programmes)}
            _views(bench, env, "no_records", result)
            result.update(_fill(env, programmes))
            bench.log(f"    {backend}: {result['records']} records in {result['fill_s']} s")
            _views(bench, env, "year_of_records", result)
            member = env.org.branches[0].members[3]
            client = env.client(member)
            photo = _photo()
            uploads, thumbs = [], []
            for k in range(o.activity_uploads + 1):
                dt, status, body = _multipart(client, "/api/attachments", f"IMG_{k}.jpg", photo)
                if status != 201:
                    raise RuntimeError(f"upload -> {status}: {str(body)[:300]}")
                tdt, tstatus, _ = client.timed("GET", f"/api/attachments/{body['id']}/thumbnail")
                if tstatus != 200:
                    raise RuntimeError(f"thumbnail -> {tstatus}")
                if k:
                    uploads.append(dt)
                    thumbs.append(tdt)
            client.close()
            result["upload"] = {"photo_bytes": len(photo), "pixels": "4000x3000", **summary_ms(uploads)}
            result["thumbnail"] = summary_ms(thumbs)
            bench.log(f"    upload of a {len(photo) // 1024} KB photo: p50 {result['upload']['p50_ms']} ms; "
                      f"thumbnail p50 {result['thumbnail']['p50_ms']} ms")
            out["backends"][backend] = result
    bench.results["activities"] = out
