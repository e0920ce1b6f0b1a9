// The designer's side panel: everything Vanguard's engine reads from a BPMN element,
// edited through the modeler's command stack (so undo/redo work) and written where the
// engine looks (docs/bpmn-authoring.md):
//   lane name "label [role expression]"; spiffworkflow:properties stage, stage_label, form,
//   assignee, due, priority, role on tasks; starter and form on start events; documentation;
//   multi-instance (collection declared as a bpmn:dataObject so it survives saving);
//   timers (Python expressions: ISO values are written quoted); conditions and default flows;
//   scripts. The bpmn-js properties panel (tab "BPMN") covers the rest of BPMN.
(function () {
  const { t, el } = window.VG;
  const LANE = /^(.*?)\s*\[([^\]]+)\]\s*$/;
  const TERM = /^([a-z_]+)(?:@([a-z_.]+))?$/;
  const ID = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
  const VARIABLE = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;
  const RESERVED = new Set(["Start", "End"]);

  const is = (b, type) => !!b && typeof b.$instanceOf === "function" && b.$instanceOf(type);

  function properties(b) {
    const out = {};
    const values = (b && b.extensionElements && b.extensionElements.values) || [];
    for (const v of values) {
      if (v.$type === "spiffworkflow:Properties") for (const p of v.properties || []) out[p.name] = p.value;
    }
    return out;
  }

  // "支部书记 [secretary@parent]" -> {label: "支部书记", expr: "secretary@parent"}
  function splitLane(name) {
    const text = (name || "").trim();
    const m = LANE.exec(text);
    if (m) return { label: m[1].trim(), expr: m[2].trim() };
    if (text && text.split("|").every((x) => TERM.test(x.trim()))) return { label: "", expr: text };
    return { label: text, expr: "" };
  }
  const joinLane = (label, expr) => (expr ? (label ? `${label} [${expr}]` : expr) : label);

  function unquote(body) {
    const m = /^\s*(["'])(.*)\1\s*$/s.exec(body || "");
    return m ? { quoted: true, text: m[2] } : { quoted: false, text: (body || "").trim() };
  }

  // due property or timer text -> {mode, value}
  function splitWhen(text, forTimer) {
    const v = (text || "").trim();
    let m;
    if (!v) return { mode: "none", value: "" };
    if (!forTimer && v.startsWith("=")) return { mode: "expression", value: v.slice(1) };
    if ((m = /^(\d+)\s*(working days?|个工作日)$/.exec(v))) return { mode: "workdays", value: m[1] };
    if (/^R\d*\//i.test(v)) return { mode: "cycle", value: v };
    if (/^P[0-9WYMDTHS.]+$/i.test(v)) return { mode: "duration", value: v };
    if (/^\d{4}-\d{2}-\d{2}/.test(v)) return { mode: "date", value: v };
    return { mode: forTimer ? "expression" : "text", value: v };  // shown and kept as written
  }

  function VGPanel({ modeler, container, vocabulary, store, openForm }) {
    const modeling = modeler.get("modeling");
    const moddle = modeler.get("moddle");
    const eventBus = modeler.get("eventBus");
    const canvas = modeler.get("canvas");
    const elementRegistry = modeler.get("elementRegistry");
    let current = null;
    let pending = null;

    // -- writing ------------------------------------------------------------------------

    function setProperty(element, target, name, value) {
      let ext = target.extensionElements;
      if (!ext) {
        ext = moddle.create("bpmn:ExtensionElements", { values: [] });
        ext.$parent = target;
        modeling.updateModdleProperties(element, target, { extensionElements: ext });
      }
      let container = (ext.values || []).find((v) => v.$type === "spiffworkflow:Properties");
      if (!container) {
        if (value === "" || value === null || value === undefined) return;
        container = moddle.create("spiffworkflow:Properties", { properties: [] });
        container.$parent = ext;
        modeling.updateModdleProperties(element, ext, { values: [...(ext.values || []), container] });
      }
      const list = container.properties || [];
      const existing = list.find((p) => p.name === name);
      if (value === "" || value === null || value === undefined) {
        if (existing) modeling.updateModdleProperties(element, container, { properties: list.filter((p) => p !== existing) });
      } else if (existing) {
        if (existing.value !== value) modeling.updateModdleProperties(element, existing, { value });
      } else {
        const prop = moddle.create("spiffworkflow:Property", { name, value });
        prop.$parent = container;
        modeling.updateModdleProperties(element, container, { properties: [...list, prop] });
      }
    }

    function expression(body) {
      return body ? moddle.create("bpmn:FormalExpression", { body }) : undefined;
    }

    function setDocumentation(element, target, text) {
      const docs = text ? [moddle.create("bpmn:Documentation", { text })] : [];
      modeling.updateModdleProperties(element, target, { documentation: docs });
    }

    function setName(element, target, value) {
      if (target === element.businessObject && element.type !== "bpmn:Process" && !is(target, "bpmn:Collaboration")) {
        modeling.updateLabel(element, value);
      } else {
        modeling.updateModdleProperties(element, target, { name: value || undefined });
      }
    }

    function idProblem(id, own) {
      if (!ID.test(id)) return t("panel: bad id");
      if (RESERVED.has(id)) return t("panel: reserved id", { id });
      if (id !== own && moddle.ids.assigned(id)) return t("panel: id taken", { id });
      return null;
    }

    function setId(element, target, id) {
      const problem = idProblem(id, target.id);
      if (problem) { window.alert(problem); render(); return; }
      if (id === target.id) return;
      if (target === element.businessObject) modeling.updateProperties(element, { id });
      else {
        moddle.ids.unclaim(target.id);
        modeling.updateModdleProperties(element, target, { id });
        moddle.ids.claim(id, target);
      }
    }

    // A data object named like the collection, so that loopDataInputRef resolves (and survives saving).
    function dataObject(element, name) {
      const scope = element.businessObject.$parent;
      const found = (scope.flowElements || []).find((f) => f.id === name);
      if (found) {
        if (is(found, "bpmn:DataObject")) return found;
        window.alert(t("panel: id taken", { id: name }));
        return null;
      }
      if (moddle.ids.assigned(name)) { window.alert(t("panel: id taken", { id: name })); return null; }
      const object = moddle.create("bpmn:DataObject", { id: name });
      object.$parent = scope;
      moddle.ids.claim(name, object);
      modeling.updateModdleProperties(element, scope, { flowElements: [...(scope.flowElements || []), object] });
      return object;
    }

    // -- reading ------------------------------------------------------------------------

    function processOf(element) {
      const b = element.businessObject;
      if (is(b, "bpmn:Process")) return b;
      if (is(b, "bpmn:Participant")) return b.processRef;
      if (is(b, "bpmn:Collaboration")) {
        const participants = b.participants || [];
        const withProcess = participants.find((p) => p.processRef && (p.processRef.flowElements || []).length)
          || participants.find((p) => p.processRef);
        return withProcess ? withProcess.processRef : null;
      }
      return null;
    }

    // -- widgets ------------------------------------------------------------------------

    function text(label, key, value, onCommit, extra) {
      const opts = extra || {};
      const input = el(opts.multiline ? "textarea" : "input", {
        "data-field": key, id: `p-${key}`, name: key, spellcheck: "false", rows: opts.multiline ? opts.rows || 3 : null,
        placeholder: opts.placeholder || null, list: opts.list || null, type: opts.type || null,
        readonly: opts.readonly || null,
        onchange: (e) => onCommit(e.target.value.trim ? e.target.value.trim() : e.target.value),
      });
      input.value = value ?? "";
      return el("label", { class: "p-row" }, el("span", {}, label), input,
        opts.hint ? el("small", { class: "hint" }, opts.hint) : null);
    }

    function select(label, key, value, options, onCommit) {
      return el("label", { class: "p-row" }, el("span", {}, label),
        el("select", { "data-field": key, id: `p-${key}`, name: key, onchange: (e) => onCommit(e.target.value) },
          options.map(([v, l]) => el("option", { value: v, selected: v === value }, l))));
    }

    function check(label, key, value, onCommit) {
      return el("label", { class: "p-row check" }, el("input", { type: "checkbox", "data-field": key, id: `p-${key}`,
        checked: value, onchange: (e) => onCommit(e.target.checked) }), " ", label);
    }

    function section(title, ...children) {
      return el("section", { class: "p-section" }, el("h3", {}, title), ...children);
    }

    // role expression: rows of role @ scope, joined by "|"
    function roleEditor(key, expr, onCommit) {
      const terms = (expr || "").split("|").map((x) => x.trim()).filter(Boolean).map((x) => {
        const m = TERM.exec(x);
        return m ? { role: m[1], scope: m[2] || "unit" } : { role: x, scope: "unit" };
      });
      const commit = () => onCommit(terms.filter((x) => x.role)
        .map((x) => (x.scope && x.scope !== "unit" ? `${x.role}@${x.scope}` : x.role)).join("|"));
      const roles = vocabulary.roles.map((r) => [r.code, `${r.label} · ${r.code}`]);
      const scopes = vocabulary.scopes.map((s) => [s.code, `${s.label} · ${s.code}`]);
      const rows = terms.map((term, i) => el("div", { class: "role-term", "data-term": i },
        el("select", { name: `${key}-role-${i}`, "aria-label": t("panel: role"),
          onchange: (e) => { term.role = e.target.value; commit(); } },
          (roles.some((r) => r[0] === term.role) ? roles : [[term.role, `? ${term.role}`], ...roles])
            .map(([v, l]) => el("option", { value: v, selected: v === term.role }, l))),
        el("span", { class: "at" }, "@"),
        el("select", { name: `${key}-scope-${i}`, "aria-label": t("panel: scope"),
          onchange: (e) => { term.scope = e.target.value; commit(); } },
          (scopes.some((s) => s[0] === term.scope) ? scopes : [[term.scope, `? ${term.scope}`], ...scopes])
            .map(([v, l]) => el("option", { value: v, selected: v === term.scope }, l))),
        el("button", { type: "button", class: "secondary small", title: t("panel: remove role"),
          onclick: () => { terms.splice(i, 1); commit(); } }, "×")));
      return el("div", { class: "role-editor", "data-role-editor": key },
        rows.length ? rows : el("p", { class: "empty" }, t("panel: no role")),
        el("button", { type: "button", class: "secondary small", "data-add-role": key,
          onclick: () => { terms.push({ role: terms.length ? "deputy_secretary" : "secretary", scope: "unit" }); commit(); } },
        terms.length ? t("panel: or role") : t("panel: add role")),
        el("p", { class: "hint" }, t("panel: expression"), " ", el("code", { "data-expr": key }, expr || "—")));
    }

    function whenEditor(key, text_, forTimer, onCommit) {
      const { mode, value } = splitWhen(text_, forTimer);
      const modes = forTimer
        ? [["duration", t("when: duration")], ["workdays", t("when: workdays")], ["date", t("when: date")],
          ["cycle", t("when: cycle")], ["expression", t("when: expression")]]
        : [["none", t("when: none")], ["workdays", t("when: workdays")], ["duration", t("when: duration")],
          ["date", t("when: date")], ["expression", t("when: expression")], ["text", t("when: text")]];
      const compose = (m, v) => {
        v = (v || "").trim();
        if (m === "none" || !v) return "";
        if (m === "workdays") return `${v} working days`;
        if (m === "expression") return forTimer ? v : `=${v}`;
        return v;
      };
      let currentMode = mode;
      const input = el("input", { name: `${key}-value`, "data-field": `${key}-value`, id: `p-${key}-value`,
        spellcheck: "false", placeholder: t(`when placeholder: ${currentMode}`),
        onchange: (e) => onCommit(compose(currentMode, e.target.value)) });
      input.value = value;
      return el("div", { class: "p-row when" },
        el("select", { name: `${key}-mode`, "data-field": `${key}-mode`, id: `p-${key}-mode`, onchange: (e) => {
          // a value typed for another mode rarely means the same here: start empty
          currentMode = e.target.value;
          input.placeholder = t(`when placeholder: ${currentMode}`);
          input.value = "";
          if (currentMode === "none") onCommit("");
          else input.focus();
        } }, modes.map(([v, l]) => el("option", { value: v, selected: v === mode }, l))),
        input);
    }

    // -- sections -----------------------------------------------------------------------

    function processSection(element) {
      const process = processOf(element);
      if (!process) return null;
      return section(t("panel: process"),
        text(t("panel: key"), "process-key", process.id, (v) => setId(element, process, v),
          { hint: t("panel: key hint") }),
        text(t("panel: process name"), "process-name", process.name, (v) => {
          const old = process.name || "";
          modeling.updateModdleProperties(element, process, { name: v || undefined });
          // the pool usually shows the process name: keep it in step unless it says something else
          const pool = elementRegistry.find((e) => e.businessObject && e.businessObject.processRef === process
            && e.type === "bpmn:Participant");
          if (pool && v && (!pool.businessObject.name || pool.businessObject.name === old)) modeling.updateLabel(pool, v);
        }),
        check(t("panel: executable"), "process-executable", !!process.isExecutable,
          (v) => modeling.updateModdleProperties(element, process, { isExecutable: v })));
    }

    function laneSection(element) {
      const b = element.businessObject;
      const { label, expr } = splitLane(b.name);
      return section(t("panel: lane"),
        el("p", { class: "hint" }, t("panel: lane hint")),
        text(t("panel: lane label"), "lane-label", label, (v) => setName(element, b, joinLane(v, expr))),
        roleEditor("lane", expr, (newExpr) => {
          const fallback = !label && newExpr ? (vocabulary.roles.find((r) => r.code === newExpr.split(/[|@]/)[0]) || {}).label : "";
          setName(element, b, joinLane(label || fallback || "", newExpr));
        }));
    }

    function formPicker(element, b, props) {
      const names = Object.keys(store.forms).sort();
      const value = props.form || "";
      const options = [["", t("panel: no form")], ...names.map((n) => [n, `${n}${store.forms[n].title ? " · " + store.forms[n].title : ""}`])];
      if (value && !names.includes(value)) options.push([value, `${value} ?`]);
      return el("div", { class: "p-row form-row" },
        select(t("panel: form"), "form", value, options, (v) => setProperty(element, b, "form", v)),
        el("div", { class: "row-actions" },
          value ? el("button", { type: "button", class: "secondary small", id: "p-form-edit",
            onclick: () => openForm(value) }, t("panel: edit form")) : null,
          el("button", { type: "button", class: "secondary small", id: "p-form-new",
            onclick: () => openForm(null) }, t("panel: new form"))));
    }

    function userTaskSection(element) {
      const b = element.businessObject;
      const props = properties(b);
      const set = (name) => (v) => setProperty(element, b, name, v);
      const taskLane = laneOf(element);
      return section(t("panel: user task"),
        formPicker(element, b, props),
        text(t("panel: assignee"), "assignee", props.assignee, (v) => {
          if (v && !VARIABLE.test(v)) { window.alert(t("panel: bad variable", { v })); render(); return; }
          set("assignee")(v);
        }, { list: "p-variables", hint: t("panel: assignee hint") }),
        el("div", { class: "p-row" }, el("span", {}, t("panel: role override")),
          roleEditor("task-role", props.role || "", set("role")),
          el("small", { class: "hint" }, taskLane ? t("panel: lane gives", { lane: taskLane }) : t("panel: no lane"))),
        el("div", { class: "p-row" }, el("span", {}, t("panel: due")), whenEditor("due", props.due, false, set("due"))),
        text(t("panel: priority"), "priority", props.priority, (v) => {
          if (v && !/^-?\d+$/.test(v)) { window.alert(t("panel: bad priority")); render(); return; }
          set("priority")(v);
        }, { type: "number" }));
    }

    function stageRows(element, b, props) {
      return [
        text(t("panel: stage"), "stage", props.stage, (v) => setProperty(element, b, "stage", v),
          { hint: t("panel: stage hint"), list: "p-stages" }),
        text(t("panel: stage label"), "stage_label", props.stage_label, (v) => setProperty(element, b, "stage_label", v)),
      ];
    }

    function startSection(element) {
      const b = element.businessObject;
      const props = properties(b);
      return section(t("panel: start"),
        el("div", { class: "p-row" }, el("span", {}, t("panel: starter")),
          roleEditor("starter", props.starter || "", (v) => setProperty(element, b, "starter", v)),
          el("small", { class: "hint" }, t("panel: starter hint"))),
        formPicker(element, b, props));
    }

    function timerSection(element, definition) {
      const kind = definition.timeDate ? "timeDate" : definition.timeCycle ? "timeCycle" : "timeDuration";
      const body = definition[kind] ? definition[kind].body : "";
      const { quoted, text: inner } = unquote(body);
      const shown = quoted || !body ? inner : body;
      const write = (k, v) => modeling.updateModdleProperties(element, definition, {
        timeDuration: undefined, timeDate: undefined, timeCycle: undefined, [k]: expression(v),
      });
      const fromWhen = (v) => {
        const w = splitWhen(v, true);
        if (!v) return "";
        return w.mode === "expression" ? v : JSON.stringify(v);   // literal values are Python strings
      };
      return section(t("panel: timer"),
        select(t("panel: timer kind"), "timer-kind", kind, [["timeDuration", t("timer: duration")],
          ["timeDate", t("timer: date")], ["timeCycle", t("timer: cycle")]], (k) => write(k, body)),
        whenEditor("timer", shown, true, (v) => write(kind, fromWhen(v))),
        el("p", { class: "hint" }, t("panel: timer hint")));
    }

    function loopSection(element) {
      const b = element.businessObject;
      const lc = b.loopCharacteristics;
      const multi = is(lc, "bpmn:MultiInstanceLoopCharacteristics");
      const kind = multi ? (lc.isSequential ? "sequential" : "parallel") : lc ? "loop" : "none";
      const rows = [select(t("panel: multi"), "multi", kind, [["none", t("multi: none")],
        ["parallel", t("multi: parallel")], ["sequential", t("multi: sequential")],
        ...(kind === "loop" ? [["loop", t("multi: loop")]] : [])], (v) => {
        if (v === "none") modeling.updateProperties(element, { loopCharacteristics: undefined });
        else if (multi) modeling.updateModdleProperties(element, lc, { isSequential: v === "sequential" });
        else modeling.updateProperties(element, {
          loopCharacteristics: moddle.create("bpmn:MultiInstanceLoopCharacteristics", { isSequential: v === "sequential" }),
        });
      })];
      if (multi) {
        const update = (values) => modeling.updateModdleProperties(element, lc, values);
        const item = (type, name) => {
          if (!name) return undefined;
          const data = moddle.create(type, { id: name, name });
          data.$parent = lc;
          return data;
        };
        const checkVar = (v) => {
          if (v && !VARIABLE.test(v)) { window.alert(t("panel: bad variable", { v })); render(); return false; }
          return true;
        };
        rows.push(
          text(t("panel: collection"), "collection", lc.loopDataInputRef ? lc.loopDataInputRef.id : "", (v) => {
            if (!checkVar(v)) return;
            if (!v) { update({ loopDataInputRef: undefined }); return; }
            const object = dataObject(element, v);
            if (object) update({ loopDataInputRef: object, loopCardinality: undefined });
          }, { hint: t("panel: collection hint"), list: "p-variables" }),
          text(t("panel: element variable"), "element-variable",
            lc.inputDataItem ? lc.inputDataItem.name || lc.inputDataItem.id : "", (v) => {
              if (!checkVar(v)) return;
              if (v && moddle.ids.assigned(v) && !(lc.inputDataItem && lc.inputDataItem.id === v)) {
                window.alert(t("panel: id taken", { id: v })); render(); return;
              }
              update({ inputDataItem: item("bpmn:DataInput", v) });
            }, { hint: t("panel: element variable hint") }),
          text(t("panel: cardinality"), "cardinality", lc.loopCardinality ? lc.loopCardinality.body : "", (v) => {
            update(v ? { loopCardinality: expression(v), loopDataInputRef: undefined } : { loopCardinality: undefined });
          }, { hint: t("panel: cardinality hint") }),
          text(t("panel: output collection"), "output-collection", lc.loopDataOutputRef ? lc.loopDataOutputRef.id : "", (v) => {
            if (!checkVar(v)) return;
            if (!v) { update({ loopDataOutputRef: undefined }); return; }
            const object = dataObject(element, v);
            if (object) update({ loopDataOutputRef: object });
          }),
          text(t("panel: output item"), "output-item", lc.outputDataItem ? lc.outputDataItem.name || lc.outputDataItem.id : "", (v) => {
            if (!checkVar(v)) return;
            if (v && moddle.ids.assigned(v) && !(lc.outputDataItem && lc.outputDataItem.id === v)) {
              window.alert(t("panel: id taken", { id: v })); render(); return;
            }
            update({ outputDataItem: item("bpmn:DataOutput", v) });
          }),
          text(t("panel: completion"), "completion", lc.completionCondition ? lc.completionCondition.body : "",
            (v) => update({ completionCondition: expression(v) }), { hint: t("panel: python") }));
      }
      return section(t("panel: loop"), ...rows);
    }

    function flowSection(element) {
      const b = element.businessObject;
      const source = element.source;
      const isGatewaySource = source && is(source.businessObject, "bpmn:Gateway");
      const isDefault = isGatewaySource && source.businessObject.default === b;
      return section(t("panel: flow"),
        text(t("panel: condition"), "condition", b.conditionExpression ? b.conditionExpression.body : "",
          (v) => modeling.updateProperties(element, { conditionExpression: expression(v) }),
          { multiline: true, rows: 2, hint: t("panel: condition hint") }),
        isGatewaySource ? check(t("panel: default flow"), "default-flow", isDefault, (v) =>
          modeling.updateProperties(source, { default: v ? b : undefined })) : null);
    }

    function gatewaySection(element) {
      const b = element.businessObject;
      const outgoing = element.outgoing || [];
      if (outgoing.length < 2 || is(b, "bpmn:ParallelGateway") || is(b, "bpmn:EventBasedGateway")) return null;
      return section(t("panel: gateway"),
        select(t("panel: default flow"), "gateway-default", b.default ? b.default.id : "",
          [["", "—"], ...outgoing.map((f) => [f.id, `${f.businessObject.name || f.id} → ${f.target.businessObject.name || f.target.id}`])],
          (v) => modeling.updateProperties(element, { default: v ? elementRegistry.get(v).businessObject : undefined })),
        el("p", { class: "hint" }, t("panel: gateway hint")));
    }

    function scriptSection(element) {
      const b = element.businessObject;
      return section(t("panel: script"),
        text(t("panel: script body"), "script", b.script || "", (v) =>
          modeling.updateProperties(element, { scriptFormat: "python", script: v || undefined }),
        { multiline: true, rows: 6, hint: t("panel: python") }));
    }

    function laneOf(element) {
      let lane = null;
      for (const shape of elementRegistry.filter((e) => e.type === "bpmn:Lane")) {
        if ((shape.businessObject.flowNodeRef || []).includes(element.businessObject)) lane = shape.businessObject.name;
      }
      return lane;
    }

    function general(element, b) {
      const typeName = (b.$type || "").replace(/^bpmn:/, "");
      const rows = [
        el("p", { class: "p-type" }, t(`type: ${typeName}`) === `type: ${typeName}` ? typeName : t(`type: ${typeName}`),
          el("code", {}, " " + b.id)),
        text("ID", "id", b.id, (v) => setId(element, b, v)),
      ];
      if (!is(b, "bpmn:Lane")) rows.push(text(t("panel: name"), "name", b.name, (v) => setName(element, b, v)));
      if (is(b, "bpmn:FlowNode") || is(b, "bpmn:Participant")) {
        const doc = (b.documentation || [])[0];
        rows.push(text(is(b, "bpmn:UserTask") || is(b, "bpmn:ManualTask") ? t("panel: instructions") : t("panel: documentation"),
          "documentation", doc ? doc.text : "", (v) => setDocumentation(element, b, v), { multiline: true }));
      }
      return section(t("panel: general"), ...rows);
    }

    function datalists() {
      const vars = new Set(["started_by", "org_unit_id", "org_unit_name"]);
      const stages = new Set();
      for (const e of elementRegistry.getAll()) {
        const b = e.businessObject;
        const props = properties(b);
        if (props.assignee) vars.add(props.assignee);
        if (props.stage) stages.add(props.stage);
        const lc = b.loopCharacteristics;
        if (lc && lc.inputDataItem) vars.add(lc.inputDataItem.name || lc.inputDataItem.id);
        if (lc && lc.loopDataInputRef) vars.add(lc.loopDataInputRef.id);
      }
      for (const schema of Object.values(store.forms)) for (const k of Object.keys(schema.properties || {})) vars.add(k);
      return [
        el("datalist", { id: "p-variables" }, [...vars].sort().map((v) => el("option", { value: v }))),
        el("datalist", { id: "p-stages" }, [...stages].sort().map((v) => el("option", { value: v }))),
      ];
    }

    function render() {
      const focused = document.activeElement && container.contains(document.activeElement)
        ? document.activeElement.getAttribute("data-field") : null;
      const element = current && elementRegistry.get(current.id) ? current : canvas.getRootElement();
      if (!element || !element.businessObject) { container.replaceChildren(); return; }
      const b = element.businessObject;
      const parts = [];
      const isRoot = element === canvas.getRootElement();
      if (isRoot || is(b, "bpmn:Participant")) {
        parts.push(processSection(element));
        if (is(b, "bpmn:Participant")) parts.push(general(element, b));
        if (isRoot) parts.push(el("p", { class: "hint" }, t("panel: select hint")));
      } else {
        parts.push(general(element, b));
        if (is(b, "bpmn:Lane")) parts.push(laneSection(element));
        if (is(b, "bpmn:UserTask") || is(b, "bpmn:ManualTask")) parts.push(userTaskSection(element));
        if (is(b, "bpmn:StartEvent") && !is(b.$parent, "bpmn:SubProcess")) parts.push(startSection(element));
        if (is(b, "bpmn:Activity") || is(b, "bpmn:Event")) parts.push(section(t("panel: stage section"), ...stageRows(element, b, properties(b))));
        const timer = (b.eventDefinitions || []).find((d) => is(d, "bpmn:TimerEventDefinition"));
        if (timer) parts.push(timerSection(element, timer));
        if (is(b, "bpmn:Activity")) parts.push(loopSection(element));
        if (is(b, "bpmn:ScriptTask")) parts.push(scriptSection(element));
        if (is(b, "bpmn:SequenceFlow")) parts.push(flowSection(element));
        if (is(b, "bpmn:Gateway")) parts.push(gatewaySection(element));
      }
      container.replaceChildren(...parts.filter(Boolean), ...datalists());
      container.dataset.element = b.id;
      if (focused) {
        const again = container.querySelector(`[data-field="${focused}"]`);
        if (again) again.focus();
      }
    }

    function later() {
      if (pending) return;
      pending = window.setTimeout(() => { pending = null; render(); }, 0);
    }

    eventBus.on("selection.changed", (e) => { current = e.newSelection.length === 1 ? e.newSelection[0] : null; render(); });
    eventBus.on("commandStack.changed", later);
    eventBus.on("import.done", () => { current = null; later(); });

    return { render, select(id) { current = elementRegistry.get(id) || null; render(); }, properties, splitLane };
  }

  VGPanel.properties = properties;
  VGPanel.splitLane = splitLane;
  VGPanel.splitWhen = splitWhen;
  window.VGPanel = VGPanel;
})();
