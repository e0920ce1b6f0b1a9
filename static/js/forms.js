// Shared pieces of the everyday pages: form fields from JSON Schema, server errors inline,
// an instance's history in words. Used by start.js, instance.js and task.js.
(function () {
  const { t, el, label, when } = window.VG;
  window.VG.add({
    "act instance.started": "发起流程", "act task.created": "生成任务", "act task.claimed": "认领任务",
    "act task.unclaimed": "退回认领", "act task.delegated": "转交任务", "act task.completed": "办结任务",
    "act task.cancelled": "任务取消", "act instance.completed": "流程结束", "act instance.comment": "发表评论",
    "act selection.objection": "提出异议", system: "系统",
    "act other": "办理", quoted: "「{name}」", "act task.reassigned": "改派任务", "act instance.cancelled": "终止流程",
    "act instance.suspended": "暂停流程", "act instance.resumed": "恢复流程", "act instance.withdrawn": "撤出人员",
    "act instance.migrated": "迁移到新版本", "act campaign.launched": "发起活动", "act campaign.appraisal_published": "公布评议结果",
    "act campaign.appraisal_short": "参评人数不足", "act talk.answer_overdue": "答复超时", "act talk.triggered": "触发必谈",
    "act talk.problem.closed": "问题销号", "act talk.problem.followed_up": "回头看", "act task.candidates_restored": "恢复候选人",
    "act task.reminded": "催办",
  }, {
    "act instance.started": "started the process", "act task.created": "task created",
    "act task.claimed": "claimed a task", "act task.unclaimed": "gave a task back",
    "act task.delegated": "delegated a task", "act task.completed": "completed a task",
    "act task.cancelled": "task cancelled", "act instance.completed": "process ended",
    "act instance.comment": "commented", "act selection.objection": "raised an objection", system: "system",
    "act other": "acted", quoted: "“{name}”", "act task.reassigned": "reassigned a task",
    "act instance.cancelled": "cancelled the process", "act instance.suspended": "suspended the process",
    "act instance.resumed": "resumed the process", "act instance.withdrawn": "withdrew a person",
    "act instance.migrated": "moved to a new version", "act campaign.launched": "launched the campaign",
    "act campaign.appraisal_published": "published the appraisal", "act campaign.appraisal_short": "too few appraisals",
    "act talk.answer_overdue": "answer overdue", "act talk.triggered": "must-talk triggered",
    "act talk.problem.closed": "closed out a problem", "act talk.problem.followed_up": "followed up a problem",
    "act task.candidates_restored": "restored the candidates", "act task.reminded": "sent a reminder",
  });
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
  function field(name, prop, required, value) {
    const fid = `f-${name}`;
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
    } else if (prop.type === "object" || prop.type === "array") {
      input = el("textarea", { ...common, rows: 3 }, value ? JSON.stringify(value) : "");
    } else {
      const type = prop.type === "number" || prop.type === "integer" ? "number" : prop.format === "date" ? "date" : "text";
      input = el("input", { ...common, type, value: value ?? "", step: prop.type === "number" ? "any" : null });
    }
    input.dataset.type = prop.type || "string";
    const help = label(prop, "description");
    if (help) input.setAttribute("aria-describedby", `${fid}-help ${fid}-err`);
    return el("div", { class: "field", "data-field": name },
      el("label", { for: fid }, label(prop, "title") || name, required ? el("span", { class: "req", "aria-label": t("required") }, " *") : null),
      help ? el("p", { class: "help", id: `${fid}-help` }, help) : null,
      input, el("p", { class: "field-error", id: `${fid}-err`, role: "alert" }));
  }
  function fields(schema, data) {
    const props = (schema && schema.properties) || {};
    const required = new Set((schema && schema.required) || []);
    return Object.entries(props).map(([name, prop]) => field(name, prop, required.has(name), (data || {})[name]));
  }
  function collect(form) {
    const data = {};
    form.querySelectorAll(".field [name]").forEach((input) => {
      const type = input.dataset.type;
      if (type === "boolean") { data[input.name] = input.checked; return; }
      if (input.value === "") return;
      if (type === "object" || type === "array") {
        try { data[input.name] = JSON.parse(input.value); } catch (e) { data[input.name] = input.value; }
        return;
      }
      data[input.name] = type === "number" || type === "integer" ? Number(input.value) : input.value;
    });
    return data;
  }
  function clearErrors(form) {
    form.querySelectorAll(".field-error").forEach((p) => { p.textContent = ""; });
    form.querySelectorAll("[aria-invalid]").forEach((x) => x.removeAttribute("aria-invalid"));
  }
  /** Put the server's 422 details next to their fields; returns the first invalid input (or null). */
  function showErrors(form, schema, err) {
    const props = (schema && schema.properties) || {};
    let first = null;
    for (const d of (err.body && err.body.details) || []) {
      const name = d.field && d.field.split(".")[0];
      const box = name && form.querySelector(`[data-field="${name}"]`);
      if (!box) continue;
      const errorBox = box.querySelector(".field-error");
      if (!errorBox.textContent) errorBox.textContent = message(d, props[name]);
      box.querySelector("[name]").setAttribute("aria-invalid", "true");
      first = first || box.querySelector("[name]");
    }
    if (first) first.focus();
    return first;
  }
  // The history in words: who did what to which task ("生成任务「审核党员承诺」 ×12 → 王伟").
  function history(items) {
    return el("ol", { class: "history" }, items.map((h) => {
      const d = h.details || {};
      const known = t("act " + h.action) !== "act " + h.action;
      return el("li", {},
        el("time", { datetime: h.at }, when(h.at)), " ",
        el("strong", {}, h.actor_name || t("system")), " ",
        known ? t("act " + h.action) : t("act other"),
        h.task_name ? ` ${t("quoted", { name: h.task_name })}` : null,
        h.count > 1 ? ` ×${h.count}` : null,
        d.person_name || d.to_name || d.assignee_name ? ` → ${d.person_name || d.to_name || d.assignee_name}` : null,
        d.reason ? el("q", { class: "reason" }, d.reason) : null);
    }));
  }
  window.VGForms = { message, field, fields, collect, clearErrors, showErrors, history };
})();
