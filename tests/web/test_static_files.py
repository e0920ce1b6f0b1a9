"""Static files: fingerprinted names, Brotli/gzip copies, a year of cache; the designer's
JavaScript only on the designer's pages (server/web/assets.py)."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import brotli
from flask import Flask, render_template_string

from server.web import assets

IMMUTABLE = "max-age=315360000, public, immutable"


def _tiny_app(source: Path, dist: Path) -> Flask:
    app = Flask(__name__, static_folder=str(source))
    assets.install(app, dist, source)

    @app.get("/")
    def page() -> str:
        return render_template_string("{{ url_for('static', filename='js/app.js') }}")

    return app


def test_fingerprinted_names_compressed_copies_and_a_year_of_cache(tmp_path):
    source, dist = tmp_path / "static", tmp_path / "dist"
    (source / "js").mkdir(parents=True)
    script = "// 先锋\n" + "window.VG = { answer: 42 };\n" * 400
    (source / "js" / "app.js").write_text(script, encoding="utf-8")
    client = _tiny_app(source, dist).test_client()

    url = client.get("/").get_data(as_text=True)
    assert re.fullmatch(r"/static/js/app\.[0-9a-f]{12}\.js", url), url

    res = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert res.status_code == 200
    assert res.headers["Content-Encoding"] == "br"
    assert res.headers["Cache-Control"] == IMMUTABLE
    assert "Accept-Encoding" in res.headers["Vary"]
    assert res.headers["Content-Type"].startswith("text/javascript")
    assert brotli.decompress(res.get_data()).decode() == script

    res = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert res.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(res.get_data()).decode() == script

    res = client.get(url)
    assert "Content-Encoding" not in res.headers and res.get_data(as_text=True) == script

    # A revalidation costs nothing; the original name stays served, briefly cached.
    etag = client.get(url).headers["ETag"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    original = client.get("/static/js/app.js")
    assert original.status_code == 200 and original.headers["Cache-Control"] == "max-age=60, public"


def test_a_changed_file_gets_a_new_name_and_the_old_one_is_not_rewritten(tmp_path):
    source, dist = tmp_path / "static", tmp_path / "dist"
    (source / "css").mkdir(parents=True)
    (source / "css" / "a.css").write_text("body { color: red; }\n" * 50)
    first = assets.build(dist, source)["css/a.css"]
    written = (dist / first).stat().st_mtime_ns
    assert assets.build(dist, source)["css/a.css"] == first
    assert (dist / first).stat().st_mtime_ns == written

    (source / "css" / "a.css").write_text("body { color: blue; }\n" * 50)
    second = assets.build(dist, source)["css/a.css"]
    assert second != first and (dist / second).exists() and (dist / f"{second}.br").exists()
    assert not list(dist.rglob(".build-*")), "no temporary file is left behind"


def test_the_app_serves_its_pages_scripts_fingerprinted_and_compressed(as_user):
    admin = as_user("admin")
    page = admin.get("/").get_data(as_text=True)
    scripts = re.findall(r'src="(/static/[^"]+)"', page) + re.findall(r'href="(/static/[^"]+\.css)"', page)
    assert scripts and all(assets.FINGERPRINT.search(url) for url in scripts), scripts
    res = admin.get(scripts[0], headers={"Accept-Encoding": "br"})
    assert res.headers["Content-Encoding"] == "br" and res.headers["Cache-Control"] == IMMUTABLE


def test_the_designers_javascript_is_loaded_on_the_designer_pages_only(as_user):
    heavy = ("bpmn-modeler", "bpmn-js-properties-panel", "bpmnlint", "echarts")
    designer = as_user("designer")
    assert all(name in designer.get("/designer/new").get_data(as_text=True) for name in heavy[:3])
    for path in ("/", "/start", "/board"):
        page = designer.get(path).get_data(as_text=True)
        assert not [name for name in heavy if name in page], path
