// The task page: instructions, context, and a form rendered from the task's JSON Schema.
(function () {
  const { t, el, api, when, label } = window.VG;
  window.VG.add({ "instance page": "查看流程实例与评论" }, { "instance page": "The process instance and its comments" });
  const root = document.getElementById("task");
  const id = root.dataset.taskId;
  // Variables every instance carries; not worth showing to the person doing the task.
  const SYSTEM_KEYS = new Set(["org_unit_id", "org_unit_name", "started_by"]);

  // A server-side JSON Schema error (rule + schema of the field) in the reader's language.
  // A limit set in a conditional part of the schema (if/then) is not on the property itself.
  const limit = (key, n) => (n === undefined ? t(key + " (no limit)") : t(key, { n }));

  function message(detail, prop) {
    const p = prop || {};
    switch (detail.rule) {
      case "required": return t("required");
      case "minLength": return limit("too short", p.minLength);
      case "maxLength": return limit("too long", p.maxLength);
      case "minimum": return limit("too small", p.minimum);
      case "maximum": return limit("too large", p.maximum);
      case "exclusiveMinimum": return limit("not above", p.exclusiveMinimum);
      case "exclusiveMaximum": return limit("not below", p.exclusiveMaximum);
      case "format": return p.format === "date" || p.format === "date-time" ? t("bad date") : t("bad format");
      case "pattern": return t("bad format");
      case "enum": case "const": return t("pick one");
      case "type": return t("bad type");
      case "additionalProperties": return t("not allowed");
      default: return detail.message === "required" ? t("required") : detail.message;
    }
  }

  // Titles and option labels of every form of the process, to show earlier answers readably.
  async function fieldLabels(processKey) {
    const labels = {};
    try {
      const definition = await api("GET", `/api/process-definitions/${encodeURIComponent(processKey)}`);
      for (const schema of Object.values(definition.forms || {})) {
        for (const [name, prop] of Object.entries((schema && schema.properties) || {})) {
          if (!labels[name]) labels[name] = prop;
        }
      }
    } catch (err) { /* labels are a nicety: fall back to variable names */ }
    return labels;
  }

  function show(value, prop) {
    if (value === true || value === false) return value ? t("yes") : t("no");
    if (prop && prop.enum) {
      const names = (window.VG.locale === "en" && prop["x-enum-labels-en"]) || prop["x-enum-labels"];
      const i = prop.enum.indexOf(value);
      if (names && i >= 0) return names[i];
    }
    return typeof value === "object" ? JSON.stringify(value) : String(value);
  }

  function context(task, formProps, labels) {
    const rows = Object.entries(task.data || {})
      .filter(([k, v]) => !SYSTEM_KEYS.has(k) && !(k in formProps) && v !== null && v !== "")
      .map(([k, v]) => [el("dt", {}, label(labels[k] || {}, "title") || k), el("dd", {}, show(v, labels[k]))]);
    if (!rows.length) return null;
    return el("section", { class: "context" }, el("h2", {}, t("submitted so far")), el("dl", {}, rows.flat()));
  }

  function field(name, prop, required, value) {
    const fid = `f-${name}`;
    const title = label(prop, "title") || name;
    const common = { id: fid, name, "aria-describedby": `${fid}-err`, required: required || null };
    let input;
    if (prop.enum) {
      const names = (window.VG.locale === "en" && prop["x-enum-labels-en"]) || prop["x-enum-labels"] || prop.enum;
      input = el("select", common, el("option", { value: "" }, "—"),
        prop.enum.map((v, i) => el("option", { value: v, selected: v === value || null }, names[i])));
    } else if (prop.type === "boolean") {
      input = el("input", { ...common, type: "checkbox", checked: value ? true : null });
    } else if (prop["x-widget"] === "textarea") {
      input = el("textarea", { ...common, rows: 4 }, value || "");
    } else {
      const type = prop.type === "number" || prop.type === "integer" ? "number"
        : prop.format === "date" ? "date" : "text";
      input = el("input", { ...common, type, value: value ?? "", step: prop.type === "number" ? "any" : null });
    }
    input.dataset.type = prop.type || "string";
    return el("div", { class: "field", "data-field": name },
      el("label", { for: fid }, title, required ? el("span", { class: "req", "aria-label": t("required") }, " *") : null),
      input, el("p", { class: "field-error", id: `${fid}-err`, role: "alert" }));
  }

  function collect(form) {
    const data = {};
    form.querySelectorAll("[name]").forEach((input) => {
      const type = input.dataset.type;
      if (type === "boolean") { data[input.name] = input.checked; return; }
      if (input.value === "") return;
      data[input.name] = type === "number" || type === "integer" ? Number(input.value) : input.value;
    });
    return data;
  }

  async function act(action) {
    try { await api("POST", `/api/tasks/${id}/${action}`, {}); }
    catch (err) { window.alert(`${t("error")}: ${err.message}`); }
    render();
  }

  async function render() {
    const task = await api("GET", `/api/tasks/${id}`);
    const labels = await fieldLabels(task.process_key);
    const schema = task.form_schema;
    const props = schema ? schema.properties || {} : {};
    const required = new Set(schema ? schema.required || [] : []);
    const banner = el("p", { class: "banner", role: "status" });
    const form = el("form", { class: "task-form", novalidate: true },
      Object.entries(props).map(([name, prop]) => field(name, prop, required.has(name), task.data[name])),
      schema ? null : el("p", {}, t("no form")));
    const canComplete = task.actions.includes("complete");
    const buttons = el("div", { class: "actions" },
      canComplete ? el("button", { type: "submit", class: "primary" }, t("complete")) : null,
      task.actions.includes("claim") ? el("button", { type: "button", class: "secondary",
        onclick: () => act("claim") }, t("claim")) : null,
      task.actions.includes("unclaim") ? el("button", { type: "button", class: "secondary",
        onclick: () => act("unclaim") }, t("unclaim")) : null);
    form.append(buttons);
    if (!canComplete) {
      // Not mine to submit (done, or held by someone else): show the answers, do not offer edits.
      form.querySelectorAll("input, select, textarea").forEach((x) => { x.disabled = true; });
    }
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      form.querySelectorAll(".field-error").forEach((p) => { p.textContent = ""; });
      form.querySelectorAll("[aria-invalid]").forEach((x) => x.removeAttribute("aria-invalid"));
      const submit = form.querySelector("button[type=submit]");
      if (submit) submit.disabled = true;  // no double submission while the request runs
      try {
        await api("POST", `/api/tasks/${id}/complete`, { data: collect(form) });
        banner.textContent = t("saved");
        banner.className = "banner ok";
        window.location.href = "/";
        return;
      } catch (err) {
        banner.textContent = err.status === 422 ? t("fix the fields") : `${t("error")}: ${err.message}`;
        banner.className = "banner error";
        let first = null;
        for (const d of (err.body && err.body.details) || []) {
          const name = d.field && d.field.split(".")[0];
          const box = name && form.querySelector(`[data-field="${name}"]`);
          if (box) {
            const errorBox = box.querySelector(".field-error");
            if (!errorBox.textContent) errorBox.textContent = message(d, props[name]);
            box.querySelector("[name]").setAttribute("aria-invalid", "true");
            first = first || box.querySelector("[name]");
          }
        }
        if (first) first.focus(); else banner.scrollIntoView({ block: "center" });
      }
      if (submit) submit.disabled = false;
    });
    // replaceChildren would print "null" for the parts a task does not have.
    root.replaceChildren(...[
      el("a", { href: "/", class: "back" }, "← " + t("back")),
      el("h1", {}, task.name),
      el("p", { class: "meta" }, [task.instance_title, task.org_unit.name, task.stage_label].filter(Boolean).join(" · ")),
      task.due_at ? el("p", { class: task.overdue ? "due overdue" : "due" },
        `${task.overdue ? t("overdue") : t("due")} ${when(task.due_at)} ${task.due_estimated ? t("estimated") : ""}`) : null,
      task.assignee_name ? el("p", { class: "meta" }, `${t("claimed by")}${t("colon")}${task.assignee_name}`) : null,
      task.state !== "open" ? el("p", { class: "banner" }, t("done already")) : null,
      task.instructions ? el("section", { class: "instructions" }, el("h2", {}, t("instructions")), el("p", {}, task.instructions)) : null,
      context(task, props, labels),
      banner, form,
      el("p", { class: "instance-link" }, el("a", { href: `/instances/${task.instance_id}` }, t("instance page"))),
      await historyOf(task)].filter(Boolean));
  }

  // The instance's history under the form; absent when the reader may not see the instance.
  async function historyOf(task) {
    if (!window.VGForms) return null;
    try {
      const instance = await api("GET", `/api/process-instances/${task.instance_id}`);
      return el("section", { class: "task-history" }, el("h2", {}, t("history")), window.VGForms.history(instance.history));
    } catch (err) { return null; }
  }
  render().catch((err) => { root.textContent = `${t("error")}: ${err.message}`; });
})();
