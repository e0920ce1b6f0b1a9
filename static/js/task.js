// The task page: instructions, context, and a form rendered from the task's JSON Schema.
(function () {
  const { t, el, api, when, label } = window.VG;
  const root = document.getElementById("task");
  const id = root.dataset.taskId;

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

  async function render() {
    const task = await api("GET", `/api/tasks/${id}`);
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
        onclick: async () => { await api("POST", `/api/tasks/${id}/claim`, {}); render(); } }, t("claim")) : null,
      task.actions.includes("unclaim") ? el("button", { type: "button", class: "secondary",
        onclick: async () => { await api("POST", `/api/tasks/${id}/unclaim`, {}); render(); } }, t("unclaim")) : null);
    form.append(buttons);
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      form.querySelectorAll(".field-error").forEach((p) => { p.textContent = ""; });
      form.querySelectorAll("[aria-invalid]").forEach((x) => x.removeAttribute("aria-invalid"));
      try {
        await api("POST", `/api/tasks/${id}/complete`, { data: collect(form) });
        banner.textContent = t("saved");
        window.location.href = "/";
      } catch (err) {
        banner.textContent = err.status === 422 ? t("fix the fields") : `${t("error")}: ${err.message}`;
        banner.className = "banner error";
        for (const d of (err.body && err.body.details) || []) {
          const box = d.field && form.querySelector(`[data-field="${d.field.split(".")[0]}"]`);
          if (box) {
            box.querySelector(".field-error").textContent = d.message === "required" ? t("required") : d.message;
            box.querySelector("[name]").setAttribute("aria-invalid", "true");
          }
        }
      }
    });
    root.replaceChildren(
      el("a", { href: "/", class: "back" }, "← " + t("back")),
      el("h1", {}, task.name),
      el("p", { class: "meta" }, [task.instance_title, task.org_unit.name, task.stage_label].filter(Boolean).join(" · ")),
      task.due_at ? el("p", { class: task.overdue ? "due overdue" : "due" },
        `${task.overdue ? t("overdue") : t("due")} ${when(task.due_at)} ${task.due_estimated ? t("estimated") : ""}`) : null,
      task.assignee_name ? el("p", { class: "meta" }, `${t("claimed by")}: ${task.assignee_name}`) : null,
      task.instructions ? el("section", { class: "instructions" }, el("h2", {}, t("instructions")), el("p", {}, task.instructions)) : null,
      banner, form);
  }
  render().catch((err) => { root.textContent = `${t("error")}: ${err.message}`; });
})();
