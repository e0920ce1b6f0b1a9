// The process designer page: bpmn-js modeler + Vanguard's side panel + form editor +
// problems (bpmnlint in the browser, the engine's parse on the server) + deploy.
// Tests drive it through the page and read window.vgDesigner.
(function () {
  const { t, el, api } = window.VG;
  const BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL";
  const SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core";
  const root = document.getElementById("designer");
  const vocabulary = JSON.parse(document.getElementById("d-vocabulary").textContent);
  const statusBox = document.getElementById("d-status");
  const canvasBox = document.getElementById("d-canvas");

  const store = { forms: {}, edited: new Set(), used: () => usedForms() };
  const problems = { import: [], lint: [], engine: [] };
  let modeler = null;
  let panel = null;
  let descriptor = null;
  let loadedKey = root.dataset.key || null;
  let loadedVersion = root.dataset.version ? Number(root.dataset.version) : null;
  let dirty = false;
  let engineChecked = false;
  let lintTimer = null;
  let markerIds = [];

  function status(text, kind) {
    statusBox.textContent = text || "";
    statusBox.className = `d-status ${kind || ""}`;
  }

  // -- tabs -------------------------------------------------------------------------------

  function showTab(id) {
    document.querySelectorAll(".d-side [data-tab]").forEach((b) => b.setAttribute("aria-selected", String(b.dataset.tab === id)));
    document.querySelectorAll(".d-side .d-tab").forEach((p) => { p.hidden = p.id !== id; });
  }
  document.querySelectorAll(".d-side [data-tab]").forEach((b) => b.addEventListener("click", () => showTab(b.dataset.tab)));

  // -- forms ------------------------------------------------------------------------------

  const forms = window.VGForms({
    container: document.getElementById("d-forms"),
    store,
    onChange: () => { dirty = true; engineChecked = false; if (panel) panel.render(); },
  });

  function allElements() {
    return modeler ? modeler.get("elementRegistry").getAll() : [];
  }

  function usedForms() {
    const names = new Set();
    for (const e of allElements()) {
      const form = window.VGPanel.properties(e.businessObject).form;
      if (form) names.add(form);
    }
    return names;
  }

  async function loadForms(key) {
    try {
      const disk = await api("GET", "/api/forms");
      for (const item of disk.items) if (!store.edited.has(item.name)) store.forms[item.name] = item.schema;
    } catch (err) { /* the form list is a convenience */ }
    if (key) {
      try {
        const definition = await api("GET", `/api/process-definitions/${encodeURIComponent(key)}`);
        for (const [name, schema] of Object.entries(definition.forms || {})) {
          if (!store.edited.has(name)) store.forms[name] = schema;
        }
        return definition;
      } catch (err) { if (err.status !== 404) throw err; }
    }
    return null;
  }

  // -- moddle extension -------------------------------------------------------------------

  // Our descriptor types what the panel edits; any other spiffworkflow:* element in the file
  // gets a generic type so that bpmn-js keeps it (an unknown type of a known namespace is dropped).
  function descriptorFor(xml) {
    const copy = JSON.parse(JSON.stringify(descriptor));
    const known = new Set(copy.types.map((x) => x.name));
    const prefixes = new Set(["spiffworkflow"]);
    for (const m of xml.matchAll(/xmlns:([A-Za-z_][\w.-]*)="http:\/\/spiffworkflow\.org\/bpmn\/schema\/1\.0\/core"/g)) prefixes.add(m[1]);
    for (const prefix of prefixes) {
      for (const m of xml.matchAll(new RegExp(`<${prefix}:([A-Za-z_][\\w.-]*)`, "g"))) {
        const name = m[1][0].toUpperCase() + m[1].slice(1);
        if (known.has(name)) continue;
        known.add(name);
        copy.types.push({
          name, superClass: ["Element"], meta: { allowedIn: ["*"] },
          properties: [{ name: "values", type: "Element", isMany: true }, { name: "body", type: "String", isBody: true }],
        });
      }
    }
    return copy;
  }

  // bpmn-js drops a loopDataInputRef/loopDataOutputRef that names nothing in the file; the
  // engine reads it as a variable name. Declare a bpmn:dataObject of that id so it survives.
  function declareLoopData(xml) {
    const notes = [];
    if (!/loopData(Input|Output)Ref/.test(xml)) return { xml, notes };
    const doc = new DOMParser().parseFromString(xml, "application/xml");
    if (doc.getElementsByTagName("parsererror").length) return { xml, notes };
    const ids = new Set([...doc.querySelectorAll("[id]")].map((n) => n.getAttribute("id")));
    const refs = [...doc.getElementsByTagNameNS(BPMN_NS, "loopDataInputRef"), ...doc.getElementsByTagNameNS(BPMN_NS, "loopDataOutputRef")];
    for (const ref of refs) {
      const name = (ref.textContent || "").trim();
      if (!name || ids.has(name) || !/^[A-Za-z_][\w.-]*$/.test(name)) continue;
      const activity = ref.parentNode && ref.parentNode.parentNode;
      const scope = activity && activity.parentNode;
      if (!scope || scope.namespaceURI !== BPMN_NS) continue;
      const object = doc.createElementNS(BPMN_NS, `${activity.prefix ? activity.prefix + ":" : ""}dataObject`);
      object.setAttribute("id", name);
      scope.insertBefore(object, activity);
      ids.add(name);
      notes.push({ id: activity.getAttribute("id"), message: t("import: declared data object", { name }),
        severity: "warning", source: "import" });
    }
    if (!notes.length) return { xml, notes };
    const text = new XMLSerializer().serializeToString(doc);
    return { xml: text.startsWith("<?xml") ? text : `<?xml version="1.0" encoding="UTF-8"?>\n${text}`, notes };
  }

  // -- opening ----------------------------------------------------------------------------

  async function open(xml, { source } = {}) {
    root.dataset.state = "loading";
    if (!descriptor) descriptor = await (await fetch("/static/moddle/spiffworkflow.json")).json();
    const { xml: prepared, notes } = declareLoopData(xml);
    if (modeler) modeler.destroy();
    document.getElementById("d-bpmn-panel").replaceChildren();
    canvasBox.replaceChildren();
    const PP = window.BpmnJSPropertiesPanel;
    modeler = new window.BpmnJS({
      container: canvasBox,
      moddleExtensions: { spiffworkflow: descriptorFor(prepared) },
      additionalModules: PP ? [PP.BpmnPropertiesPanelModule, PP.BpmnPropertiesProviderModule] : [],
      propertiesPanel: PP ? { parent: "#d-bpmn-panel" } : undefined,
    });
    problems.import = [];
    problems.lint = [];
    problems.engine = [];
    let warnings = [];
    try {
      ({ warnings } = await modeler.importXML(prepared));
    } catch (err) {
      problems.import = [{ id: null, message: t("import: failed", { error: err.message }), severity: "error", source: "import" }];
      showProblems();
      showTab("d-problems");
      status(t("import: failed", { error: err.message }), "error");
      root.dataset.state = "failed";
      return false;
    }
    problems.import = notes.concat(warnings
      // kept as they are (moddle stores unknown attributes aside and writes them back): not worth a warning
      .filter((w) => !/unknown attribute <spiffworkflow:/.test(w.message)
        && !(/unknown attribute/.test(w.message) && w.element && String(w.element.$type).startsWith("spiffworkflow:")))
      .map((w) => ({ id: w.element && w.element.id ? w.element.id : null, message: t("import: warning", { message: w.message.split("\n")[0] }),
        severity: "warning", source: "import" })));
    modeler.get("canvas").zoom("fit-viewport", "auto");
    panel = window.VGPanel({ modeler, container: document.getElementById("d-panel"), vocabulary, store,
      openForm: (name) => { showTab("d-forms"); if (name) forms.open(name); else document.getElementById("f-new-name").focus(); } });
    panel.render();
    forms.render();
    modeler.on("commandStack.changed", () => {
      dirty = true;
      engineChecked = false;
      problems.engine = [];
      window.clearTimeout(lintTimer);
      lintTimer = window.setTimeout(lint, 300);
      title();
    });
    dirty = false;
    engineChecked = false;
    await lint();
    title(source);
    root.dataset.state = "ready";
    return true;
  }

  function currentProcess() {
    if (!modeler) return null;
    const definitions = modeler.getDefinitions();
    const processes = (definitions.rootElements || []).filter((r) => r.$instanceOf("bpmn:Process"));
    return processes.find((p) => p.isExecutable) || processes[0] || null;
  }

  function currentKey() {
    const process = currentProcess();
    return process ? process.id : null;
  }

  function title(source) {
    const process = currentProcess();
    const name = process ? process.name || process.id : t("designer: untitled");
    const parts = [name];
    if (process) parts.push(process.id);
    if (loadedVersion && currentKey() === loadedKey) parts.push(t("designer: version", { v: loadedVersion }));
    document.getElementById("d-title").textContent = parts.join(" · ") + (dirty ? " *" : "");
    if (source) status(source);
    const versions = document.getElementById("d-versions");
    versions.hidden = !loadedKey || currentKey() !== loadedKey;
    if (loadedKey) versions.href = `/designer/${encodeURIComponent(loadedKey)}/versions`;
  }

  // -- problems ---------------------------------------------------------------------------

  async function lint() {
    if (!modeler) return [];
    try {
      problems.lint = await window.VGLint.run(modeler.getDefinitions(), vocabulary);
    } catch (err) {
      problems.lint = [{ id: null, message: t("lint: failed", { error: err.message }), severity: "warning", source: "lint" }];
    }
    showProblems();
    return problems.lint;
  }

  function allProblems() {
    return [...problems.import, ...problems.lint, ...problems.engine];
  }

  // A problem named by process id is drawn on the pool of that process.
  function shapeFor(id) {
    if (!id || !modeler) return null;
    const registry = modeler.get("elementRegistry");
    const direct = registry.get(id);
    if (direct) return direct;
    return registry.find((e) => e.businessObject && e.businessObject.processRef && e.businessObject.processRef.id === id) || null;
  }

  function showProblems() {
    const list = allProblems();
    const errors = list.filter((p) => p.severity === "error").length;
    const warnings = list.length - errors;
    const counter = document.getElementById("d-problem-count");
    counter.textContent = String(list.length);
    counter.className = `count ${errors ? "error" : warnings ? "warning" : "ok"}`;
    if (modeler) {
      const canvas = modeler.get("canvas");
      const overlays = modeler.get("overlays");
      for (const id of markerIds) {
        if (modeler.get("elementRegistry").get(id)) {
          canvas.removeMarker(id, "vg-error");
          canvas.removeMarker(id, "vg-warning");
        }
      }
      overlays.remove({ type: "vg-problem" });
      markerIds = [];
      const byShape = new Map();
      for (const p of list) {
        const shape = shapeFor(p.id);
        if (!shape) continue;
        const entry = byShape.get(shape.id) || { shape, errors: 0, warnings: 0, messages: [] };
        if (p.severity === "error") entry.errors += 1; else entry.warnings += 1;
        entry.messages.push(p.message);
        byShape.set(shape.id, entry);
      }
      for (const { shape, errors: e, warnings: w, messages } of byShape.values()) {
        const cls = e ? "vg-error" : "vg-warning";
        canvas.addMarker(shape.id, cls);
        markerIds.push(shape.id);
        if (shape.waypoints) continue;  // no badge on connections
        const badge = document.createElement("span");
        badge.className = `vg-badge ${e ? "error" : "warning"}`;
        badge.textContent = String(e + w);
        badge.title = messages.join("\n");
        badge.dataset.element = shape.id;
        overlays.add(shape.id, "vg-problem", { position: { top: -8, right: 8 }, html: badge });
      }
    }
    const box = document.getElementById("d-problems");
    if (!list.length) {
      box.replaceChildren(el("p", { class: "empty ok" }, engineChecked ? t("problems: none checked") : t("problems: none yet")));
      return;
    }
    const order = { error: 0, warning: 1 };
    box.replaceChildren(
      el("p", { class: "meta" }, t("problems: summary", { errors, warnings }),
        engineChecked ? "" : " " + t("problems: engine not run")),
      el("ul", { class: "problems" }, [...list].sort((a, b) => order[a.severity] - order[b.severity]).map((p) => {
        const shape = shapeFor(p.id);
        const name = shape && shape.businessObject && shape.businessObject.name;
        return el("li", { class: `problem ${p.severity}`, "data-element": p.id || "", "data-source": p.source },
          el("span", { class: "sev" }, p.severity === "error" ? t("problems: error") : t("problems: warning")),
          el("span", { class: "msg", title: p.detail || null }, p.message),
          p.id ? el("button", { type: "button", class: "link", onclick: () => reveal(p.id) },
            name ? `${name} (${p.id})` : p.id) : null,
          el("span", { class: "src" }, t(`problems: source ${p.source}`), p.rule ? ` · ${p.rule}` : ""));
      })));
  }

  function reveal(id) {
    const shape = shapeFor(id);
    if (!shape) return;
    const canvas = modeler.get("canvas");
    try { canvas.scrollToElement(shape); } catch (err) { /* another plane: selection is enough */ }
    modeler.get("selection").select(shape);
    showTab("d-panel");
  }

  // -- saving, validating, deploying -------------------------------------------------------

  async function saveXML() {
    const { xml } = await modeler.saveXML({ format: true });
    return xml;
  }

  function upload(xml) {
    const data = new FormData();
    const key = currentKey() || "process";
    data.append("file", new Blob([xml], { type: "application/xml" }), `${key}.bpmn`);
    for (const name of usedForms()) {
      if (store.forms[name]) {
        data.append("forms", new Blob([JSON.stringify(store.forms[name], null, 2)], { type: "application/json" }), name);
      }
    }
    return data;
  }

  async function post(url, xml) {
    const res = await fetch(url, { method: "POST", body: upload(xml), credentials: "same-origin",
      headers: { "X-CSRFToken": VG.csrf() } });
    const type = res.headers.get("Content-Type") || "";
    const body = type.includes("json") ? await res.json() : { message: `${res.status} ${res.statusText}` };
    return { status: res.status, body };
  }

  function engineProblems(body) {
    const details = (body && body.details) || [];
    if (!details.length) return [{ id: null, message: body.localized || body.message || t("error"), severity: "error", source: "engine" }];
    return details.map((d) => ({ id: d.element_id || null, message: d.localized || d.message, severity: d.severity === "warning" ? "warning" : "error",
      source: "engine" }));
  }

  async function validate() {
    status(t("designer: validating"));
    await lint();
    const xml = await saveXML();
    const { status: code, body } = await post("/api/process-definitions/validate", xml);
    problems.engine = code === 200 ? [] : engineProblems(body);
    engineChecked = true;
    showProblems();
    const errors = allProblems().filter((p) => p.severity === "error").length;
    const warnings = allProblems().length - errors;
    if (errors) { status(t("designer: has errors", { errors }), "error"); showTab("d-problems"); }
    else status(warnings ? t("designer: valid with warnings", { warnings }) : t("designer: valid"), "ok");
    return { errors, warnings };
  }

  async function deploy() {
    const { errors } = await validate();
    if (errors) {
      status(t("designer: deploy refused", { errors }), "error");
      return null;
    }
    status(t("designer: deploying"));
    const xml = await saveXML();
    const { status: code, body } = await post("/api/process-definitions", xml);
    if (code === 201) {
      loadedKey = body.key;
      loadedVersion = body.version;
      dirty = false;
      store.edited.clear();
      forms.render();
      history.replaceState(null, "", `/designer/${encodeURIComponent(body.key)}`);
      title();
      status(t("designer: deployed", { key: body.key, v: body.version }), "ok");
      return body;
    }
    if (code === 422) {
      problems.engine = engineProblems(body);
      showProblems();
      showTab("d-problems");
    }
    status(`${t("designer: deploy failed")}: ${body.localized || body.message || code}`, "error");
    return null;
  }

  // Files from other tools may declare another encoding (the MIWG models use ISO-8859-1):
  // decode as declared; the text handed to bpmn-js is then Unicode, declared as UTF-8.
  function decode(buffer) {
    const head = new TextDecoder("latin1").decode(buffer.slice(0, 200));
    const m = /^\s*<\?xml[^>]*encoding=["']([A-Za-z0-9._-]+)["']/.exec(head);
    let text;
    try { text = new TextDecoder(m ? m[1] : "utf-8").decode(buffer); } catch (err) { text = new TextDecoder("utf-8").decode(buffer); }
    return text.replace(/^(\s*<\?xml[^>]*encoding=["'])[A-Za-z0-9._-]+(["'])/, "$1UTF-8$2");
  }

  function download(name, text, type) {
    const link = el("a", { href: URL.createObjectURL(new Blob([text], { type })), download: name });
    document.body.append(link);
    link.click();
    link.remove();
  }

  document.getElementById("d-validate").addEventListener("click", () => validate().catch((e) => status(`${t("error")}: ${e.message}`, "error")));
  document.getElementById("d-deploy").addEventListener("click", () => deploy().catch((e) => status(`${t("error")}: ${e.message}`, "error")));
  document.getElementById("d-download-bpmn").addEventListener("click", async () => {
    download(`${currentKey() || "process"}.bpmn`, await saveXML(), "application/xml");
  });
  document.getElementById("d-download-svg").addEventListener("click", async () => {
    const { svg } = await modeler.saveSVG();
    download(`${currentKey() || "process"}.svg`, svg, "image/svg+xml");
  });
  document.getElementById("d-open").addEventListener("change", async (e) => {
    const file = e.target.files && e.target.files[0];
    if (!file) return;
    if (dirty && !window.confirm(t("designer: discard changes"))) { e.target.value = ""; return; }
    const xml = decode(await file.arrayBuffer());
    e.target.value = "";
    loadedVersion = null;
    const ok = await open(xml, { source: t("designer: opened file", { name: file.name }) });
    if (ok) {
      const definition = await loadForms(currentKey());
      loadedKey = definition ? definition.key : null;
      forms.render();
      panel.render();
      title(t("designer: opened file", { name: file.name }));
    }
  });
  window.addEventListener("beforeunload", (e) => { if (dirty) { e.preventDefault(); e.returnValue = ""; } });

  // -- start ------------------------------------------------------------------------------

  function newKey() {
    const d = new Date();
    const stamp = `${d.getFullYear()}${String(d.getMonth() + 1).padStart(2, "0")}${String(d.getDate()).padStart(2, "0")}`;
    return `process_${stamp}_${Math.random().toString(36).slice(2, 6)}`;
  }

  async function start() {
    if (loadedKey) {
      const definition = await loadForms(loadedKey);
      if (!definition) throw new Error(t("designer: no such process", { key: loadedKey }));
      const version = loadedVersion || definition.version;
      const res = await fetch(`/api/process-definitions/${encodeURIComponent(loadedKey)}/versions/${version}/bpmn`,
        { credentials: "same-origin" });
      if (!res.ok) throw new Error(`${res.status} ${res.statusText}`);
      loadedVersion = version;
      await open(await res.text(), { source: t("designer: opened version", { v: version }) });
    } else {
      await loadForms(null);
      await open(window.VGTemplate(newKey(), t("designer: new process name")), { source: t("designer: from template") });
    }
  }

  window.vgDesigner = {
    ready: start().catch((err) => { status(`${t("error")}: ${err.message}`, "error"); root.dataset.state = "failed"; }),
    open, saveXML, validate, deploy, lint, store,
    problems: () => allProblems(),
    selected: () => (modeler ? modeler.get("selection").get().map((e) => e.id) : []),
    element(id) {
      const shape = modeler && modeler.get("elementRegistry").get(id);
      if (!shape) return null;
      const b = shape.businessObject;
      return { id, type: b.$type, name: b.name || null, properties: window.VGPanel.properties(b) };
    },
    get modeler() { return modeler; },
    get key() { return currentKey(); },
  };
})();
