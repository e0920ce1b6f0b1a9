// The form editor of the designer: edits a JSON Schema (draft 2020-12) exactly as the
// engine validates it and the inbox renders it (static/js/task.js): a field list for the
// common cases, the raw JSON for everything else (if/then rules, patterns), and a preview.
(function () {
  const { t, el } = window.VG;
  const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
  const FORM_NAME = /^[A-Za-z0-9_-]+\.json$/;
  const KINDS = ["text", "textarea", "number", "integer", "date", "boolean", "choice"];

  function kindOf(prop) {
    if (prop.enum) return "choice";
    if (prop.type === "boolean") return "boolean";
    if (prop.type === "integer") return "integer";
    if (prop.type === "number") return "number";
    if (prop.format === "date") return "date";
    if (prop["x-widget"] === "textarea") return "textarea";
    return "text";
  }

  function applyKind(prop, kind) {
    if (kind === kindOf(prop)) return prop;
    for (const k of ["enum", "x-enum-labels", "x-enum-labels-en", "format", "x-widget", "minLength", "maxLength",
      "minimum", "maximum"]) delete prop[k];
    if (kind === "boolean") prop.type = "boolean";
    else if (kind === "number" || kind === "integer") prop.type = kind;
    else prop.type = "string";
    if (kind === "date") prop.format = "date";
    if (kind === "textarea") prop["x-widget"] = "textarea";
    if (kind === "choice") { prop.enum = ["yes", "no"]; prop["x-enum-labels"] = ["是", "否"]; }
    return prop;
  }

  function newSchema(title) {
    return {
      $schema: "https://json-schema.org/draft/2020-12/schema",
      title, type: "object", required: [], properties: {}, additionalProperties: false,
    };
  }

  // Rebuild `properties` in a new key order (JSON keeps insertion order).
  function reorder(schema, keys) {
    const props = {};
    for (const k of keys) props[k] = schema.properties[k];
    schema.properties = props;
  }

  function preview(schema) {
    const required = new Set(schema.required || []);
    const rows = Object.entries(schema.properties || {}).map(([name, prop]) => {
      const title = VG.label(prop, "title") || name;
      let input;
      const kind = kindOf(prop);
      if (kind === "choice") {
        const names = (VG.locale === "en" && prop["x-enum-labels-en"]) || prop["x-enum-labels"] || prop.enum;
        input = el("select", { disabled: true }, el("option", {}, "—"), prop.enum.map((v, i) => el("option", {}, names[i] ?? v)));
      } else if (kind === "boolean") input = el("input", { type: "checkbox", disabled: true });
      else if (kind === "textarea") input = el("textarea", { rows: 2, disabled: true });
      else input = el("input", { type: kind === "date" ? "date" : kind === "text" ? "text" : "number", disabled: true });
      return el("div", { class: "field" }, el("label", {}, title, required.has(name) ? el("span", { class: "req" }, " *") : null),
        input, prop.description ? el("p", { class: "meta" }, prop.description) : null);
    });
    return el("div", { class: "form-preview card" }, el("h4", {}, VG.label(schema, "title") || ""), rows);
  }

  function VGForms({ container, store, onChange }) {
    let current = null;

    function changed() {
      if (current) store.edited.add(current);
      onChange && onChange(current);
      render();
    }

    function fieldRow(schema, name, index, keys) {
      const prop = schema.properties[name];
      const kind = kindOf(prop);
      const required = (schema.required || []).includes(name);
      const set = (fn) => (e) => { fn(e.target); changed(); };
      const num = (v) => (v === "" ? undefined : Number(v));
      const limits = kind === "text" || kind === "textarea" ? ["minLength", "maxLength"]
        : kind === "number" || kind === "integer" ? ["minimum", "maximum"] : [];
      const options = kind === "choice"
        ? prop.enum.map((v, i) => `${v}=${(prop["x-enum-labels"] || [])[i] ?? v}`).join("\n") : "";
      return el("fieldset", { class: "ff", "data-key": name },
        el("legend", {}, `${index + 1}. ${VG.label(prop, "title") || name}`),
        el("div", { class: "ff-grid" },
          el("label", {}, t("form: key"), el("input", { name: "key", value: name, spellcheck: "false",
            onchange: set((x) => {
              const key = x.value.trim();
              if (!KEY.test(key) || (key !== name && key in schema.properties)) {
                window.alert(t("form: bad key", { key })); return;
              }
              schema.properties[key] = prop;
              reorder(schema, keys.map((k) => (k === name ? key : k)));
              schema.required = (schema.required || []).map((r) => (r === name ? key : r));
            }) })),
          el("label", {}, t("form: title"), el("input", { name: "title", value: prop.title || "",
            onchange: set((x) => { prop.title = x.value; }) })),
          el("label", {}, t("form: title en"), el("input", { name: "title_en", value: prop["x-title-en"] || "",
            onchange: set((x) => { if (x.value) prop["x-title-en"] = x.value; else delete prop["x-title-en"]; }) })),
          el("label", {}, t("form: kind"), el("select", { name: "kind", onchange: set((x) => applyKind(prop, x.value)) },
            KINDS.map((k) => el("option", { value: k, selected: k === kind }, t(`form kind: ${k}`))))),
          el("label", { class: "check" }, el("input", { type: "checkbox", name: "required", checked: required,
            onchange: set((x) => {
              const req = new Set(schema.required || []);
              if (x.checked) req.add(name); else req.delete(name);
              schema.required = keys.filter((k) => req.has(k)).concat([...req].filter((k) => !keys.includes(k)));
            }) }), " ", t("form: required")),
          ...limits.map((lim, i) => el("label", {}, t(i === 0 ? `form: min ${kind}` : `form: max ${kind}`),
            el("input", { name: i === 0 ? "min" : "max", type: "number", value: prop[lim] ?? "",
              onchange: set((x) => { const v = num(x.value); if (v === undefined) delete prop[lim]; else prop[lim] = v; }) }))),
          kind === "choice" ? el("label", { class: "wide" }, t("form: options"), el("textarea", { name: "options", rows: 3,
            onchange: set((x) => {
              const pairs = x.value.split("\n").map((l) => l.trim()).filter(Boolean).map((l) => {
                const at = l.indexOf("=");
                return at < 0 ? [l, l] : [l.slice(0, at).trim(), l.slice(at + 1).trim()];
              });
              if (!pairs.length) return;
              prop.enum = pairs.map((p) => p[0]);
              prop["x-enum-labels"] = pairs.map((p) => p[1]);
              delete prop["x-enum-labels-en"];
            }) }, options)) : null,
          el("label", { class: "wide" }, t("form: description"), el("input", { name: "description",
            value: prop.description || "", onchange: set((x) => {
              if (x.value) prop.description = x.value; else delete prop.description;
            }) }))),
        el("div", { class: "ff-actions" },
          el("button", { type: "button", class: "secondary small", disabled: index === 0, title: t("form: up"),
            onclick: () => { const k = [...keys]; [k[index - 1], k[index]] = [k[index], k[index - 1]]; reorder(schema, k); changed(); } }, "↑"),
          el("button", { type: "button", class: "secondary small", disabled: index === keys.length - 1, title: t("form: down"),
            onclick: () => { const k = [...keys]; [k[index + 1], k[index]] = [k[index], k[index + 1]]; reorder(schema, k); changed(); } }, "↓"),
          el("button", { type: "button", class: "secondary small", name: "remove",
            onclick: () => {
              delete schema.properties[name];
              schema.required = (schema.required || []).filter((r) => r !== name);
              changed();
            } }, t("form: remove"))));
    }

    function editor(name) {
      const schema = store.forms[name];
      const keys = Object.keys(schema.properties || {});
      schema.properties = schema.properties || {};
      const json = el("textarea", { class: "json", rows: 12, spellcheck: "false", id: "f-json" });
      json.value = JSON.stringify(schema, null, 2);
      const jsonError = el("p", { class: "field-error", role: "alert" });
      return el("div", { class: "form-editor", "data-form": name },
        el("div", { class: "ff-grid" },
          el("label", {}, t("form: form title"), el("input", { id: "f-title", value: schema.title || "",
            onchange: (e) => { schema.title = e.target.value; changed(); } })),
          el("label", {}, t("form: title en"), el("input", { id: "f-title-en", value: schema["x-title-en"] || "",
            onchange: (e) => { if (e.target.value) schema["x-title-en"] = e.target.value; else delete schema["x-title-en"]; changed(); } }))),
        keys.length ? null : el("p", { class: "empty" }, t("form: no fields")),
        keys.map((k, i) => fieldRow(schema, k, i, keys)),
        el("button", { type: "button", class: "secondary", id: "f-add", onclick: () => {
          let n = keys.length + 1;
          while (`field_${n}` in schema.properties) n += 1;
          schema.properties[`field_${n}`] = { type: "string", title: t("form: new field") };
          changed();
        } }, t("form: add field")),
        el("h3", {}, t("form: preview")), preview(schema),
        el("details", { class: "raw" }, el("summary", {}, t("form: json")), json, jsonError,
          el("button", { type: "button", class: "secondary", id: "f-json-apply", onclick: () => {
            try {
              const parsed = JSON.parse(json.value);
              if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error(t("form: not an object"));
              store.forms[name] = parsed;
              changed();
            } catch (err) { jsonError.textContent = err.message; }
          } }, t("form: apply json"))));
    }

    function render() {
      const names = Object.keys(store.forms).sort();
      const used = store.used ? store.used() : new Set();
      if (current && !(current in store.forms)) current = null;
      const picker = el("select", { id: "f-pick", onchange: (e) => { current = e.target.value || null; render(); } },
        el("option", { value: "" }, t("form: pick")),
        names.map((n) => el("option", { value: n, selected: n === current },
          `${n}${store.forms[n].title ? " · " + store.forms[n].title : ""}${used.has(n) ? " ✓" : ""}${store.edited.has(n) ? " *" : ""}`)));
      const newName = el("input", { id: "f-new-name", placeholder: "my_form.json", spellcheck: "false" });
      container.replaceChildren(
        el("p", { class: "meta" }, t("form: intro")),
        el("div", { class: "form-pick" }, picker),
        el("div", { class: "form-new" }, newName, el("button", { type: "button", class: "secondary", id: "f-new",
          onclick: () => {
            let n = newName.value.trim();
            if (n && !n.endsWith(".json")) n += ".json";
            if (!FORM_NAME.test(n)) { window.alert(t("form: bad name")); return; }
            if (!(n in store.forms)) {
              store.forms[n] = newSchema(n.replace(/\.json$/, ""));
              store.edited.add(n);
            }
            current = n;
            onChange && onChange(n);
            render();
          } }, t("form: create"))),
        current ? editor(current) : null);
    }

    return {
      render,
      open(name) { if (name in store.forms) { current = name; render(); } },
      get current() { return current; },
    };
  }

  window.VGForms = VGForms;
  window.VGForms.kindOf = kindOf;
})();
