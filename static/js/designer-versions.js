// Versions of one process: who deployed what and when, running instances per version,
// downloads (BPMN from the server, SVG drawn here), and a visual diff of two versions.
(function () {
  const { t, el, api, when } = window.VG;
  const root = document.getElementById("versions");
  const key = root.dataset.key;
  const xmlCache = new Map();
  let versions = [];

  async function xmlOf(version) {
    if (!xmlCache.has(version)) {
      const res = await fetch(`/api/process-definitions/${encodeURIComponent(key)}/versions/${version}/bpmn`, { credentials: "same-origin" });
      if (!res.ok) throw new Error(`${res.status} ${res.statusText}`);
      xmlCache.set(version, await res.text());
    }
    return xmlCache.get(version);
  }

  function download(name, text, type) {
    const link = el("a", { href: URL.createObjectURL(new Blob([text], { type })), download: name });
    document.body.append(link);
    link.click();
    link.remove();
  }

  async function svgOf(version) {
    const box = el("div", { class: "offscreen" });
    document.body.append(box);
    const viewer = new window.BpmnJS({ container: box });
    try {
      await viewer.importXML(await xmlOf(version));
      const { svg } = await viewer.saveSVG();
      return svg;
    } finally {
      viewer.destroy();
      box.remove();
    }
  }

  function selected() {
    return [...document.querySelectorAll("input[name=compare]:checked")].map((x) => Number(x.value)).sort((a, b) => a - b);
  }

  async function load() {
    const definition = await api("GET", `/api/process-definitions/${encodeURIComponent(key)}`);
    document.getElementById("v-name").textContent = `${definition.name} (${key})`;
    versions = definition.versions;
    const last = versions.map((v) => v.version).slice(-2);
    const body = document.querySelector("#version-table tbody");
    body.replaceChildren(...[...versions].reverse().map((v) => el("tr", { "data-version": v.version },
      el("td", {}, el("input", { type: "checkbox", name: "compare", value: v.version, "aria-label": t("versions: compare", { v: v.version }),
        checked: last.includes(v.version) && versions.length > 1 })),
      el("td", {}, `v${v.version}`),
      el("td", { class: "who" }, v.deployed_by_name ? `${v.deployed_by_name} (${v.deployed_by})` : t("versions: system")),
      el("td", {}, when(v.deployed_at)),
      el("td", {}, `${v.instances ? v.instances.running : 0} / ${v.instances ? v.instances.total : 0}`),
      el("td", { class: "row-actions" },
        el("a", { class: "button secondary small", "data-download": "bpmn",
          href: `/api/process-definitions/${encodeURIComponent(key)}/versions/${v.version}/bpmn` }, "BPMN"),
        el("button", { type: "button", class: "secondary small", "data-download": "svg", onclick: async (e) => {
          e.target.disabled = true;
          try { download(`${key}-v${v.version}.svg`, await svgOf(v.version), "image/svg+xml"); }
          finally { e.target.disabled = false; }
        } }, "SVG")),
      el("td", {}, el("a", { href: `/designer/${encodeURIComponent(key)}?version=${v.version}` }, t("versions: open"))))));
    if (versions.length > 1) await compare();
  }

  function mark(viewer, ids, cls) {
    const registry = viewer.get("elementRegistry");
    const canvas = viewer.get("canvas");
    for (const id of ids) if (registry.get(id)) canvas.addMarker(id, cls);
  }

  async function show(boxId, xml) {
    const box = document.getElementById(boxId);
    box.replaceChildren();
    const viewer = new window.BpmnJS({ container: box });
    await viewer.importXML(xml);
    viewer.get("canvas").zoom("fit-viewport", "auto");
    return viewer;
  }

  function value(v) {
    if (v === null || v === undefined) return "—";
    return String(v).length > 160 ? String(v).slice(0, 160) + "…" : String(v);
  }

  async function compare() {
    const pair = selected();
    if (pair.length !== 2) { window.alert(t("versions: pick two")); return; }
    const [from, to] = pair;
    const diff = await api("GET", `/api/process-definitions/${encodeURIComponent(key)}/diff?from=${from}&to=${to}`);
    document.getElementById("v-diff").hidden = false;
    document.getElementById("v-old-title").textContent = `v${from}`;
    document.getElementById("v-new-title").textContent = `v${to}`;
    const [oldViewer, newViewer] = [await show("v-old", await xmlOf(from)), await show("v-new", await xmlOf(to))];
    const changed = diff.changed.map((c) => c.id);
    mark(oldViewer, diff.removed.map((r) => r.id), "vg-diff-removed");
    mark(newViewer, diff.added.map((a) => a.id), "vg-diff-added");
    mark(oldViewer, changed, "vg-diff-changed");
    mark(newViewer, changed, "vg-diff-changed");
    const movedOnly = diff.moved.filter((id) => !changed.includes(id));
    mark(oldViewer, movedOnly, "vg-diff-moved");
    mark(newViewer, movedOnly, "vg-diff-moved");
    const label = (x) => `${x.name || ""} ${x.name ? "(" + x.id + ")" : x.id}`.trim();
    const items = [
      ...diff.added.map((a) => el("li", { class: "added", "data-element": a.id }, el("b", {}, t("versions: added")), " ", label(a), el("small", {}, ` ${a.type}`))),
      ...diff.removed.map((r) => el("li", { class: "removed", "data-element": r.id }, el("b", {}, t("versions: removed")), " ", label(r), el("small", {}, ` ${r.type}`))),
      ...diff.changed.map((c) => el("li", { class: "changed", "data-element": c.id }, el("b", {}, t("versions: changed")), " ", label(c),
        el("ul", {}, c.changes.map((x) => el("li", {}, el("code", {}, x.field), ": ", el("del", {}, value(x.old)), " → ", el("ins", {}, value(x.new))))))),
      ...movedOnly.map((id) => el("li", { class: "moved", "data-element": id }, el("b", {}, t("versions: moved")), " ", id)),
    ];
    document.getElementById("v-changes").replaceChildren(
      el("h2", {}, t("versions: changes", { from, to })),
      items.length ? el("ul", { class: "changes" }, items) : el("p", { class: "empty" }, t("versions: identical")));
  }

  document.getElementById("v-compare").addEventListener("click", () => compare().catch((err) => window.alert(err.message)));
  load().catch((err) => { document.querySelector("#version-table tbody").replaceChildren(el("tr", {}, el("td", { colspan: 7 }, `${t("error")}: ${err.message}`))); });
})();
