// Heat map: open tasks per element of one process version over an org subtree, mean
// durations, counts as overlays on the diagram (org_admin; data from /api/monitoring).
(function () {
  const { t, el, api } = window.VG;
  const params = new URLSearchParams(window.location.search);
  const processSelect = document.getElementById("m-process");
  const versionSelect = document.getElementById("m-version");
  const unitSelect = document.getElementById("m-unit");
  const canvasBox = document.getElementById("m-canvas");
  const xmlCache = new Map();
  let viewer = null;

  window.VGDuration = function (seconds) {
    if (seconds === null || seconds === undefined) return "—";
    if (seconds >= 86400) return t("duration: days", { n: (seconds / 86400).toFixed(1) });
    if (seconds >= 3600) return t("duration: hours", { n: (seconds / 3600).toFixed(1) });
    return t("duration: minutes", { n: Math.max(1, Math.round(seconds / 60)) });
  };
  const duration = window.VGDuration;

  async function xml(url) {
    if (!xmlCache.has(url)) {
      const res = await fetch(url, { credentials: "same-origin" });
      if (!res.ok) throw new Error(`${res.status} ${res.statusText}`);
      xmlCache.set(url, await res.text());
    }
    return xmlCache.get(url);
  }

  async function draw(url) {
    if (viewer && viewer.__url === url) return viewer;
    if (viewer) viewer.destroy();
    canvasBox.replaceChildren();
    viewer = new window.BpmnJS({ container: canvasBox });
    await viewer.importXML(await xml(url));
    viewer.get("canvas").zoom("fit-viewport", "auto");
    viewer.__url = url;
    return viewer;
  }

  let resizing = null;
  window.addEventListener("resize", () => {  // a turned phone, a resized window: fit again
    window.clearTimeout(resizing);
    resizing = window.setTimeout(() => {
      if (viewer) { viewer.get("canvas").resized(); viewer.get("canvas").zoom("fit-viewport", "auto"); }
    }, 150);
  });

  function level(open, max) {
    if (!open) return 0;
    return Math.max(1, Math.min(5, Math.ceil((open / Math.max(max, 1)) * 5)));
  }

  async function show() {
    const key = processSelect.value;
    if (!key) return;
    const query = new URLSearchParams({ org_unit: unitSelect.value });
    if (versionSelect.value) query.set("version", versionSelect.value);
    const data = await api("GET", `/api/monitoring/processes/${encodeURIComponent(key)}/heatmap?${query}`);
    history.replaceState(null, "", `/monitor?process=${encodeURIComponent(key)}&version=${data.version}&org_unit=${data.org_unit.id}`);
    versionSelect.replaceChildren(...[...data.versions].reverse().map((v) => el("option", { value: v, selected: v === data.version }, `v${v}`)));
    document.getElementById("m-summary").textContent = t("monitor: summary", {
      unit: data.org_unit.name, running: data.instances.running, completed: data.instances.completed });
    const v = await draw(data.bpmn_url);
    const canvas = v.get("canvas");
    const overlays = v.get("overlays");
    const registry = v.get("elementRegistry");
    overlays.remove({ type: "vg-heat" });
    for (const e of registry.getAll()) {
      for (let i = 1; i <= 5; i += 1) canvas.removeMarker(e.id, `vg-heat-${i}`);
      canvas.removeMarker(e.id, "vg-heat-overdue");
    }
    const rows = [];
    for (const [id, stats] of Object.entries(data.elements)) {
      const shape = registry.get(id);
      const heat = level(stats.open, data.max_open);
      if (shape) {
        if (heat) canvas.addMarker(id, `vg-heat-${heat}`);
        if (stats.overdue) canvas.addMarker(id, "vg-heat-overdue");
        const badge = el("div", { class: "vg-heat-badge", "data-element": id },
          el("b", { "data-count": "open" }, String(stats.open)), ` ${t("monitor: open")}`,
          stats.overdue ? el("span", { class: "late", "data-count": "overdue" }, ` · ${stats.overdue} ${t("monitor: overdue")}`) : null,
          el("br"), el("span", { "data-count": "completed" }, `${stats.completed} ${t("monitor: done")}`),
          stats.mean_seconds !== null ? ` · ⌀ ${duration(stats.mean_seconds)}` : null);
        overlays.add(id, "vg-heat", { position: { bottom: -6, left: 0 }, html: badge });
      }
      rows.push(el("tr", { "data-element": id },
        el("td", {}, stats.name || id), el("td", {}, String(stats.open)), el("td", { class: stats.overdue ? "overdue" : "" }, String(stats.overdue)),
        el("td", {}, String(stats.completed)), el("td", {}, duration(stats.mean_seconds)), el("td", {}, duration(stats.mean_open_seconds))));
    }
    document.querySelector("#m-elements tbody").replaceChildren(...(rows.length ? rows
      : [el("tr", {}, el("td", { colspan: 6, class: "empty" }, t("monitor: no tasks")))]));
    document.querySelector("#m-instances tbody").replaceChildren(...data.recent.map((i) => el("tr", {},
      el("td", {}, el("a", { href: `/monitor/instances/${i.id}` }, `#${i.id}`)), el("td", {}, i.title || ""),
      el("td", {}, i.org_unit.name), el("td", {}, i.stage_label || ""), el("td", {}, t(`state: ${i.state}`)))));
    document.getElementById("monitor").dataset.state = "ready";
  }

  async function start() {
    const [definitions, units] = await Promise.all([api("GET", "/api/process-definitions"), api("GET", "/api/monitoring/units")]);
    processSelect.replaceChildren(...definitions.items.map((d) => el("option", { value: d.key, selected: d.key === params.get("process") },
      `${window.VG.bilingual(d.name)} (${d.key})`)));
    unitSelect.replaceChildren(...units.items.map((u) => el("option", { value: u.id,
      selected: String(u.id) === params.get("org_unit") || u.code === params.get("org_unit") },
      `${"\u3000".repeat(u.depth - units.items[0].depth)}${u.name}`)));
    if (params.get("version")) versionSelect.replaceChildren(el("option", { value: params.get("version"), selected: true }, `v${params.get("version")}`));
    processSelect.addEventListener("change", () => { versionSelect.replaceChildren(); show().catch(fail); });
    versionSelect.addEventListener("change", () => show().catch(fail));
    unitSelect.addEventListener("change", () => show().catch(fail));
    if (!definitions.items.length) { document.getElementById("m-summary").textContent = t("monitor: nothing deployed"); return; }
    await show();
  }

  function fail(err) { document.getElementById("m-summary").textContent = `${t("error")}: ${err.message}`; }
  start().catch(fail);
})();
