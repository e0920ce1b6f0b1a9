// The task page: instructions, context, and a form rendered from the task's JSON Schema.
(function () {
  const { t, el, api, when, label } = window.VG;
  const forms = window.VGForms;  // static/js/forms.js: fields, values and inline errors
  window.VG.add({ "instance page": "查看流程实例与评论", "list sep": "、" },
    { "instance page": "The process instance and its comments", "list sep": ", " });
  const root = document.getElementById("task");
  const id = root.dataset.taskId;
  // Variables every instance carries; not worth showing to the person doing the task.
  const SYSTEM_KEYS = new Set(["org_unit_id", "org_unit_name", "started_by"]);

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

  function show(value, prop, people) {
    if (value === true || value === false) return value ? t("yes") : t("no");
    if (prop && prop.format === "date-time" && typeof value === "string") return when(value);
    if (prop && prop["x-widget"] === "person") {
      const names = (Array.isArray(value) ? value : [value]).map((u) => people[u] || u);
      return names.join(t("list sep"));
    }
    if (prop && prop.enum) {
      const names = (window.VG.locale === "en" && prop["x-enum-labels-en"]) || prop["x-enum-labels"];
      const i = prop.enum.indexOf(value);
      if (names && i >= 0) return names[i];
    }
    if (Array.isArray(value) && value.every((v) => typeof v !== "object")) return value.join(t("list sep"));
    if (Array.isArray(value) && prop && prop.items && prop.items.properties) {
      const cols = Object.entries(prop.items.properties);
      return el("ul", { class: "summary-rows" }, value.map((row) => el("li", {},
        cols.filter(([k]) => row[k] !== null && row[k] !== undefined && row[k] !== "")
          .map(([k, p]) => `${label(p, "title") || k}${t("colon")}${show(row[k], p, people)}`).join("；"))));
    }
    if (value && typeof value === "object" && !Array.isArray(value) && prop && prop.properties) {
      return Object.entries(prop.properties).filter(([k]) => value[k] !== null && value[k] !== undefined)
        .map(([k, p]) => `${label(p, "title") || k}${t("colon")}${show(value[k], p, people)}`).join("；");
    }
    return typeof value === "object" ? JSON.stringify(value) : String(value);
  }

  // What the process author declared worth showing (x-summary in the task's form), with labels;
  // without a declaration, the answers to the process's other forms (never engine variables).
  function summaryEntries(task, formProps, labels) {
    const declared = (task.form_schema || {})["x-summary"];
    if (declared) {
      return declared.map((entry) => {
        const name = typeof entry === "string" ? entry : entry.field;
        return [name, { ...(labels[name] || {}), ...(typeof entry === "string" ? {} : entry) }];
      });
    }
    return Object.keys(task.data || {})
      .filter((k) => !SYSTEM_KEYS.has(k) && !(k in formProps) && k in labels).map((k) => [k, labels[k]]);
  }
  function context(task, formProps, labels) {
    const data = { ...(task.data || {}), started_by: task.started_by_name };
    const rows = summaryEntries(task, formProps, labels)
      .filter(([k]) => data[k] !== null && data[k] !== undefined && data[k] !== "" &&
        !(Array.isArray(data[k]) && !data[k].length))
      .map(([k, prop]) => [el("dt", {}, label(prop, "title") || k),
        el("dd", {}, k === "started_by" ? data[k] : show(data[k], prop, task.people || {}))]);
    if (!rows.length) return null;
    return el("section", { class: "context" }, el("h2", {}, t("submitted so far")), el("dl", {}, rows.flat()));
  }
  // A condition the author flags on top (x-flag: e.g. a pledge returned for revision, with the reason).
  function flag(task) {
    const found = forms.flagOf(task);
    if (!found) return null;
    return el("div", { class: "banner warning flag", role: "note" }, el("strong", {}, found.title),
      found.detail ? el("p", {}, found.detail) : null);
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
    const banner = el("p", { class: "banner", role: "status" });
    const form = el("form", { class: "task-form", novalidate: true },
      forms.fields(schema, task.data, { unit: task.org_unit.id, people: task.people, me: task.assignee }),
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
      forms.clearErrors(form);
      const submit = form.querySelector("button[type=submit]");
      if (submit) submit.disabled = true;  // no double submission while the request runs
      try {
        await api("POST", `/api/tasks/${id}/complete`, { data: forms.collect(form) });
        banner.textContent = t("saved");
        banner.className = "banner ok";
        window.location.href = `/?submitted=${encodeURIComponent(window.VG.en(task, "name"))}`;  // the inbox confirms it
        return;
      } catch (err) {
        banner.textContent = err.status === 422 ? t("fix the fields") : `${t("error")}: ${err.message}`;
        banner.className = "banner error";
        if (!forms.showErrors(form, schema, err)) banner.scrollIntoView({ block: "center" });
      }
      if (submit) submit.disabled = false;
    });
    // replaceChildren would print "null" for the parts a task does not have.
    root.replaceChildren(...[
      el("a", { href: "/", class: "back" }, "← " + t("back")),
      el("h1", {}, window.VG.en(task, "name")),
      el("p", { class: "meta" }, [window.VG.bilingual(task.instance_title), task.org_unit.name, window.VG.en(task, "stage_label")].filter(Boolean).join(" · ")),
      task.due_at ? el("p", { class: task.overdue ? "due overdue" : "due" },
        `${window.VG.dueText(task)} ${task.due_estimated ? t("estimated") : ""}`) : null,
      task.assignee_name ? el("p", { class: "meta" }, `${t("claimed by")}${t("colon")}${task.assignee_name}`) : null,
      task.state !== "open" ? el("p", { class: "banner" }, t("done already")) : null,
      flag(task),
      task.instructions ? el("section", { class: "instructions" }, el("h2", {}, t("instructions")),
        el("p", {}, window.VG.en(task, "instructions"))) : null,
      context(task, props, labels),
      window.VGMemberYears ? await window.VGMemberYears.panel(task) : null,
      banner, form,
      el("p", { class: "instance-link" }, el("a", { href: `/instances/${task.instance_id}` }, t("instance page"))),
      await historyOf(task)].filter(Boolean));
  }

  // The instance's history under the form; absent when the reader may not see the instance.
  async function historyOf(task) {
    try {
      const instance = await api("GET", `/api/process-instances/${task.instance_id}`);
      return el("section", { class: "task-history" }, el("h2", {}, t("history")), forms.history(instance.history));
    } catch (err) { return null; }
  }
  render().catch((err) => { root.textContent = `${t("error")}: ${err.message}`; });
})();
