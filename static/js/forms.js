// Shared pieces of the everyday pages: form fields from JSON Schema, server errors inline,
// an instance's history in words. Used by start.js, instance.js and task.js.
(function () {
  const { t, el, label, when } = window.VG;
  window.VG.add({
    "act instance.started": "发起流程", "act task.created": "生成任务", "act task.claimed": "认领任务",
    "act task.unclaimed": "退回认领", "act task.delegated": "转交任务", "act task.completed": "办结任务",
    "act task.cancelled": "任务取消", "act instance.completed": "流程结束", "act instance.comment": "发表评论",
    "act selection.objection": "提出异议", system: "系统",
    "act other": "办理", quoted: "「{name}」", "not before today": "不能早于今天", "remove row": "删除此行",
    "add row": "添加一项：{what}", "act task.reassigned": "改派任务", "act instance.cancelled": "终止流程",
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
    "act other": "acted", quoted: "“{name}”", "not before today": "must not be before today",
    "remove row": "Remove this row", "add row": "Add: {what}", "act task.reassigned": "reassigned a task",
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
      case "x-min-date": return t("not before today");
      case "type": return t("bad type");
      case "additionalProperties": return t("not allowed");
      default: return detail.message === "required" ? t("required") : detail.localized || detail.message;
    }
  }
  const baseType = (prop) => (Array.isArray(prop.type) ? prop.type.find((x) => x !== "null") : prop.type) || "string";
  // Dates and times are Beijing time: a date-time picker shows and sends it as such.
  const BEIJING = "+08:00";
  function localDateTime(iso) {
    if (!iso) return "";
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return "";
    return d.toLocaleString("sv-SE", { timeZone: "Asia/Shanghai" }).replace(" ", "T").slice(0, 16);
  }
  function todayInBeijing() { return new Date().toLocaleDateString("sv-SE", { timeZone: "Asia/Shanghai" }); }

  // A person picker: the unit's people by name (GET /api/org-units/<unit>/people), restricted to
  // the roles the form names (x-people), sending the username.
  const peopleCache = new Map();
  async function fillPeople(select, unit, roles, value) {
    const key = `${unit}|${roles || ""}`;
    if (!peopleCache.has(key)) {
      const q = roles ? `?role=${encodeURIComponent(roles)}` : "";
      peopleCache.set(key, window.VG.api("GET", `/api/org-units/${encodeURIComponent(unit)}/people${q}`).then((r) => r.items));
    }
    let people = [];
    try { people = await peopleCache.get(key); } catch (err) { peopleCache.delete(key); }
    const seen = new Map();
    for (const p of people) seen.set(p.name, (seen.get(p.name) || 0) + 1);
    const options = people.map((p) => el("option", { value: p.username, selected: p.username === value || null },
      seen.get(p.name) > 1 ? `${p.name}（${p.username}）` : p.name));
    if (value && !people.some((p) => p.username === value)) options.unshift(el("option", { value, selected: true }, value));
    select.replaceChildren(el("option", { value: "" }, "—"), ...options);
  }

  function input(name, prop, required, value, ctx, fid) {
    const common = { id: fid, "aria-describedby": `${fid}-err`, required: required || null };
    const type = baseType(prop);
    let box;
    if (prop["x-widget"] === "person") {
      box = el("select", common, el("option", { value: "" }, "—"),
        value ? el("option", { value, selected: true }, (ctx.people || {})[value] || value) : null);
      if (ctx.unit) fillPeople(box, ctx.unit, prop["x-people"], value);
    } else if (prop.enum) {
      const names = (window.VG.locale === "en" && prop["x-enum-labels-en"]) || prop["x-enum-labels"] || prop.enum;
      box = el("select", common, el("option", { value: "" }, "—"),
        prop.enum.filter((v) => v !== null).map((v) => el("option", { value: v, selected: v === value || null },
          names[prop.enum.indexOf(v)])));
    } else if (type === "boolean") {
      box = el("input", { ...common, type: "checkbox", checked: value ? true : null });
    } else if (prop["x-widget"] === "textarea") {
      box = el("textarea", { ...common, rows: 4 }, value || "");
    } else if (type === "object" || type === "array") {
      box = el("textarea", { ...common, rows: 3 }, value ? JSON.stringify(value) : "");
    } else if (prop.format === "date-time") {
      box = el("input", { ...common, type: "datetime-local", value: localDateTime(value) });
      box.dataset.format = "date-time";
    } else {
      const kind = type === "number" || type === "integer" ? "number" : prop.format === "date" ? "date" : "text";
      box = el("input", { ...common, type: kind, value: value ?? "", step: type === "number" ? "any" : null,
        min: prop["x-min-date"] === "today" ? todayInBeijing() : null });
    }
    box.dataset.type = type;
    return box;
  }

  function labelOf(name, prop, required, fid) {
    return el("label", { for: fid }, label(prop, "title") || name,
      required ? el("span", { class: "req", "aria-label": t("required") }, " *") : null);
  }

  function field(name, prop, required, value, ctx) {
    const fid = `f-${name}`;
    const help = label(prop, "description");
    const items = prop.items || {};
    if (baseType(prop) === "array" && (items.properties || (items.type && items.type !== "array"))) {
      return arrayField(name, prop, required, value, ctx || {}, help);
    }
    const box = input(name, prop, required, value, ctx || {}, fid);
    box.name = name;
    if (help) box.setAttribute("aria-describedby", `${fid}-help ${fid}-err`);
    return el("div", { class: "field", "data-field": name }, labelOf(name, prop, required, fid),
      help ? el("p", { class: "help", id: `${fid}-help` }, help) : null,
      box, el("p", { class: "field-error", id: `${fid}-err`, role: "alert" }));
  }

  // A list as rows of fields (the talk record's problem list), each row with its own remove button.
  function arrayField(name, prop, required, value, ctx, help) {
    const items = prop.items;
    const columns = items.properties ? Object.entries(items.properties) : [[null, items]];
    const needed = new Set(items.required || []);
    const rows = el("ol", { class: "array-rows" });
    const itemTitle = label(prop, "title") || name;
    function renumber() {
      [...rows.children].forEach((row, i) => {
        row.querySelector("legend").textContent = `${itemTitle} ${i + 1}`;
        row.querySelectorAll("[data-sub]").forEach((sub) => {
          const key = sub.dataset.sub;
          const path = key ? `${name}.${i}.${key}` : `${name}.${i}`;
          sub.dataset.field = path;
          const control = sub.querySelector("[data-type]");
          const fid = `f-${path.replaceAll(".", "-")}`;
          control.id = fid; control.setAttribute("aria-describedby", `${fid}-err`);
          sub.querySelector("label").setAttribute("for", fid);
          sub.querySelector(".field-error").id = `${fid}-err`;
        });
      });
    }
    function addRow(rowValue) {
      const subs = columns.map(([key, sub]) => {
        const v = key ? (rowValue || {})[key] : rowValue;
        return el("div", { class: "field sub", "data-sub": key || "" },
          labelOf(key || name, sub, key ? needed.has(key) : false, ""),
          input(key || name, sub, key ? needed.has(key) : false, v, ctx, ""),
          el("p", { class: "field-error", role: "alert" }));
      });
      const row = el("li", { class: "array-row" }, el("fieldset", {}, el("legend", {}), ...subs,
        el("button", { type: "button", class: "secondary remove-row", onclick: () => { row.remove(); renumber(); } },
          t("remove row"))));
      rows.append(row);
      renumber();
      return row;
    }
    // x-rows-from: one row per person of a list in the task's data (the members to appraise),
    // the task's holder left out, the row's person field already chosen.
    const from = prop["x-rows-from"];
    const personKey = (columns.find(([, sub]) => sub["x-widget"] === "person") || [])[0];
    const initial = Array.isArray(value) ? value
      : from && personKey && Array.isArray((ctx.data || {})[from])
        ? ctx.data[from].filter((u) => u !== ctx.me).map((u) => ({ [personKey]: u })) : [];
    initial.forEach(addRow);
    const add = el("button", { type: "button", class: "secondary add-row", onclick: () => {
      const row = addRow(null);
      const first = row.querySelector("[data-type]");
      if (first) first.focus();
    } }, t("add row", { what: itemTitle }));
    const fid = `f-${name}`;
    return el("div", { class: "field array", "data-field": name, "data-array": name },
      el("p", { class: "label", id: `${fid}-label` }, itemTitle,
        required ? el("span", { class: "req", "aria-label": t("required") }, " *") : null),
      help ? el("p", { class: "help" }, help) : null,
      rows, add, el("p", { class: "field-error", id: `${fid}-err`, role: "alert" }));
  }

  function fields(schema, data, ctx) {
    const props = (schema && schema.properties) || {};
    const required = new Set((schema && schema.required) || []);
    const context = { ...(ctx || {}), data: data || {} };
    const boxes = Object.entries(props).map(([name, prop]) => field(name, prop, required.has(name), (data || {})[name], context));
    conditional(schema, boxes);
    return boxes;
  }
  // "if": {"properties": {"kind": {"const": "must"}}}, "then": {"required": ["trigger"]}: the
  // star appears beside "trigger" while "kind" is "must" (one level, as our forms use it).
  function conditional(schema, boxes) {
    const cond = schema && schema.if && schema.if.properties;
    const needed = schema && schema.then && schema.then.required;
    if (!cond || !needed) return;
    const byName = new Map(boxes.map((b) => [b.dataset.field, b]));
    const update = () => {
      const on = Object.entries(cond).every(([name, rule]) => {
        const control = byName.get(name) && byName.get(name).querySelector("[name]");
        const v = control ? control.value : "";
        return rule.const !== undefined ? v === rule.const : Array.isArray(rule.enum) ? rule.enum.includes(v) : false;
      });
      for (const name of needed) {
        const box = byName.get(name);
        if (!box || (schema.required || []).includes(name)) continue;
        const labelEl = box.querySelector("label");
        const star = labelEl.querySelector(".req");
        if (on && !star) labelEl.append(el("span", { class: "req", "aria-label": t("required") }, " *"));
        if (!on && star) star.remove();
        const control = box.querySelector("[name]");
        if (control) control.required = on;
      }
    };
    for (const name of Object.keys(cond)) {
      const control = byName.get(name) && byName.get(name).querySelector("[name]");
      if (control) control.addEventListener("change", update);
    }
    update();
  }
  function valueOf(control) {
    const type = control.dataset.type;
    if (type === "boolean") return control.checked;
    if (control.value === "") return undefined;
    if (control.dataset.format === "date-time") {
      return /^\d{4}-\d\d-\d\dT\d\d:\d\d$/.test(control.value) ? `${control.value}:00${BEIJING}` : control.value;
    }
    if (type === "object" || type === "array") {
      try { return JSON.parse(control.value); } catch (e) { return control.value; }
    }
    return type === "number" || type === "integer" ? Number(control.value) : control.value;
  }
  function collect(form) {
    const data = {};
    form.querySelectorAll(".field[data-field]:not(.sub)").forEach((box) => {
      if (box.dataset.array) {
        data[box.dataset.array] = [...box.querySelectorAll(".array-row")].map((row) => {
          const subs = [...row.querySelectorAll("[data-sub]")];
          if (subs.length === 1 && !subs[0].dataset.sub) return valueOf(subs[0].querySelector("[data-type]"));
          const item = {};
          for (const sub of subs) {
            const v = valueOf(sub.querySelector("[data-type]"));
            if (v !== undefined) item[sub.dataset.sub] = v;
          }
          return item;
        }).filter((item) => item !== undefined && !(typeof item === "object" && !Object.keys(item).length));
        return;
      }
      const control = box.querySelector("[name]");
      if (!control) return;
      const v = valueOf(control);
      if (v !== undefined) data[control.name] = v;
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
      // A row's own field ("problems.0.owner") when it is on the page, else the whole field.
      const exact = d.field && form.querySelector(`[data-field="${CSS.escape(d.field)}"]`);
      const box = exact || (name && form.querySelector(`[data-field="${CSS.escape(name)}"]`));
      if (!box) continue;
      const prop = exact && exact !== form.querySelector(`[data-field="${CSS.escape(name)}"]`)
        ? (((props[name] || {}).items || {}).properties || {})[d.field.split(".").pop()] || {} : props[name];
      const errorBox = box.querySelector(".field-error");
      if (!errorBox.textContent) errorBox.textContent = message(d, prop);
      const control = box.querySelector("[data-type]") || box.querySelector(".add-row");
      if (control) {
        if (control.dataset.type) control.setAttribute("aria-invalid", "true");
        first = first || control;
      }
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
        h.task_name ? ` ${t("quoted", { name: (window.VG.locale === "en" && h.task_name_en) || h.task_name })}` : null,
        h.count > 1 ? ` ×${h.count}` : null,
        d.person_name || d.to_name ? ` ${d.person_name || d.to_name}` : null,
        d.assignee_name ? ` → ${d.assignee_name}` : null,
        d.reason ? el("q", { class: "reason" }, d.reason) : null);
    }));
  }
  /** The flag the task's form declares (x-flag) when the task's data matches it: {title, detail} or null. */
  function flagOf(task) {
    const spec = (task.form_schema || {})["x-flag"];
    const data = task.data || {};
    if (!spec || task.state !== "open" || !Object.entries(spec.if || {}).every(([k, v]) => data[k] === v)) return null;
    return { title: label(spec, "title"), detail: spec.detail ? data[spec.detail] || "" : "" };
  }
  window.VGForms = { message, field, fields, collect, clearErrors, showErrors, history, localDateTime, flagOf };
})();
