// One talk: who, when, where, the record (its confidential part only for those entitled), the
// problem list with look-backs (回头看), close-out of each item (销号, six criteria) and of the talk.
(function () {
  const { t, el, api, when, term, personName } = window.VG;
  window.VG.add({
    subject: "谈话对象", talker: "谈话人", unit: "组织", trigger: "触发情形", topic: "谈话主题", "scheduled at": "约定时间",
    place: "地点", way: "方式", "held on": "谈话日期", record: "谈话记录", "main content": "主要内容", measures: "整改措施",
    confidential: "保密内容", "problem list": "问题清单", owner: "责任人", measure: "整改措施", deadline: "期限",
    "follow-ups": "回头看", "add follow-up": "记录回头看", result: "结果", note: "情况说明", "close item": "销号",
    "close criteria": "销号标准（全部满足方可销号）", "close note": "销号说明", closed: "已销号", "closed by": "{name} 于 {at} 销号",
    "close talk": "谈话闭环", summary: "闭环小结", "close talk button": "确认闭环", "docx": "下载记录表（Word）",
    "answer due": "答复期限", "answered late": "答复超期", "no record": "尚未记录", "follow-up saved": "已记录回头看",
    "item closed": "已销号", "talk closed": "谈话已闭环", "open task": "待办：{name}", "need follow-up first": "须先回头看，才能销号", "close after items": "问题清单全部销号后，方可闭环",
  }, {
    subject: "Member", talker: "Talker", unit: "Unit", trigger: "Occasion", topic: "Topic", "scheduled at": "Scheduled at",
    place: "Place", way: "Way", "held on": "Held on", record: "Record", "main content": "Main content", measures: "Measures",
    confidential: "Confidential part", "problem list": "Problem list", owner: "Owner", measure: "Measure", deadline: "Deadline",
    "follow-ups": "Look-backs", "add follow-up": "Record a look-back", result: "Result", note: "What was found", "close item": "Close out",
    "close criteria": "Close-out criteria (all must hold)", "close note": "Close-out note", closed: "Closed out",
    "closed by": "Closed out by {name} on {at}", "close talk": "Close the loop", summary: "Summary",
    "close talk button": "Close the loop", docx: "Download the record (Word)", "answer due": "Answer due", "answered late": "Answered late",
    "no record": "Not recorded yet", "follow-up saved": "Look-back recorded", "item closed": "Item closed out",
    "talk closed": "The talk is closed", "open task": "To do: {name}", "need follow-up first": "Look back before closing out", "close after items": "The loop closes once every item is closed out",
  });
  const root = document.getElementById("talk");
  const body = document.getElementById("talk-body");
  const id = root.dataset.talkId;
  let seq = 0;

  function pairs(list) {
    return el("dl", { class: "facts" }, list.filter(([, v]) => v).flatMap(([k, v]) => [el("dt", {}, t(k)), el("dd", {}, v)]));
  }
  function errorsInto(form, err) {
    const banner = form.querySelector(".form-banner");
    banner.className = "form-banner banner error";
    banner.textContent = err.status === 422 ? t("fix the fields") : `${t("error")}: ${err.message}`;
    for (const d of (err.body && err.body.details) || []) {
      const box = d.field && form.querySelector(`[data-field="${d.field}"]`);
      if (box) {
        box.querySelector(".field-error").textContent = d.message || "";
        box.querySelector("input, select, textarea").setAttribute("aria-invalid", "true");
      }
    }
  }
  function field(name, label, control) {
    const fid = `f${++seq}`;
    control.id = fid; control.setAttribute("aria-describedby", `${fid}-err`);
    const wrap = control.type === "checkbox"
      ? el("div", { class: "field", "data-field": name }, el("label", { class: "check", for: fid }, control, " ", label))
      : el("div", { class: "field", "data-field": name }, el("label", { for: fid }, label), control);
    wrap.append(el("p", { class: "field-error", id: `${fid}-err` }));
    return wrap;
  }
  function form(cls, children, submitLabel, send) {
    const f = el("form", { class: `task-form ${cls}`, novalidate: true }, ...children,
      el("p", { class: "form-banner", role: "status" }), el("div", { class: "actions" }, el("button", { type: "submit", class: "primary" }, submitLabel)));
    f.addEventListener("submit", async (e) => {
      e.preventDefault();
      const button = f.querySelector("button[type=submit]");
      f.querySelectorAll(".field-error").forEach((x) => { x.textContent = ""; });
      f.querySelectorAll("[aria-invalid]").forEach((x) => x.removeAttribute("aria-invalid"));
      button.disabled = true;
      try { await send(f); await load(); } catch (err) { errorsInto(f, err); } finally { button.disabled = false; }
    });
    return f;
  }
  function followUpForm(p) {
    const result = el("select", { name: "result" }, window.VG.terms("result").map((r) => el("option", { value: r }, term("result", r))));
    const note = el("textarea", { name: "note", rows: 2, maxlength: 2000, required: true });
    return form("follow-up-form", [el("h4", {}, t("add follow-up")), field("result", t("result"), result), field("note", t("note"), note)],
      t("add follow-up"), (f) => api("POST", `/api/talks/problems/${p.id}/follow-ups`, { result: result.value, note: note.value }));
  }
  function closeForm(p) {
    const boxes = window.VG.terms("criterion").map((c) => field(`criteria.${c}`, term("criterion", c), el("input", { type: "checkbox", "data-criterion": c })));
    const note = el("textarea", { name: "note", rows: 2, maxlength: 2000 });
    return form("close-form", [el("fieldset", {}, el("legend", {}, t("close criteria")), ...boxes), field("note", t("close note"), note)],
      t("close item"), (f) => api("POST", `/api/talks/problems/${p.id}/close`, {
        note: note.value, criteria: Object.fromEntries([...f.querySelectorAll("[data-criterion]")].map((c) => [c.dataset.criterion, c.checked])) }));
  }
  function problem(p, talk) {
    const open = p.state !== "closed";
    return el("li", { class: `card problem${p.overdue ? " overdue" : ""}`, id: `problem-${p.id}` },
      el("h3", {}, `${p.seq}. ${p.description}`),
      pairs([["owner", personName(p.owner)], ["measure", p.measure], ["deadline", `${p.deadline}${p.overdue ? ` · ${t("overdue")}` : ""}`]]),
      p.follow_ups.length ? el("div", {}, el("h4", {}, t("follow-ups")), el("ol", { class: "history" }, p.follow_ups.map((f) =>
        el("li", {}, el("time", {}, when(f.at)), ` ${personName(f.by)} · ${term("result", f.result)}${t("colon")}${f.note}`)))) : null,
      open ? null : el("p", { class: "banner ok" }, t("closed by", { name: personName(p.closed_by), at: when(p.closed_at) }), p.close_note ? ` · ${p.close_note}` : ""),
      open && talk.actions.follow_up ? followUpForm(p) : null,
      open && talk.actions.close_problems ? (p.follow_ups.length ? closeForm(p) : el("p", { class: "meta" }, t("need follow-up first"))) : null);
  }
  function render(x) {
    const r = x.record;
    const summary = el("textarea", { name: "summary", rows: 2, maxlength: 2000 });
    body.replaceChildren(...[
      el("header", { class: "page-head" }, el("h1", {}, `${term("kind", x.kind)} · ${personName(x.subject)}`),
        el("span", { class: "badge", id: "talk-state" }, term("state", x.state))),
      el("section", { class: "card" }, pairs([
        ["subject", personName(x.subject)], ["talker", personName(x.talker)], ["unit", x.org_unit.name],
        ["trigger", x.trigger ? term("trigger", x.trigger) : ""], ["topic", x.topic], ["answer due", x.answer_due_at && when(x.answer_due_at)],
        ["answered late", x.answered_late ? t("yes") : ""], ["scheduled at", x.scheduled_at && when(x.scheduled_at)],
        ["place", x.place], ["way", x.way && term("way", x.way)], ["held on", x.held_on]]),
      x.open_tasks.map((task) => el("p", {}, el("a", { href: `/tasks/${task.id}` }, t("open task", { name: window.VG.en(task, "name") }))))),
      el("section", { class: "card" }, el("h2", {}, t("record")),
        r ? pairs([["main content", r.main_content], ["measures", r.measures]]) : el("p", { class: "empty" }, t("no record")),
        r && r.confidential_visible && r.confidential ? el("div", { class: "confidential" }, el("h3", {}, t("confidential")), el("p", {}, r.confidential)) : null,
        r ? el("p", {}, el("a", { href: `/api/talks/${x.id}/record.docx`, download: true }, t("docx"))) : null),
      x.problems.length ? el("section", {}, el("h2", {}, t("problem list")), el("ul", { class: "problems" }, x.problems.map((p) => problem(p, x)))) : null,
      x.actions.close_out ? el("section", { class: "card" }, el("h2", {}, t("close talk")),
        x.problems.some((p) => p.state !== "closed") ? el("p", { class: "meta", id: "close-wait" }, t("close after items")) :
        form("close-talk", [field("summary", t("summary"), summary)], t("close talk button"),
          () => api("POST", `/api/talks/${x.id}/close-out`, { summary: summary.value }))) : null].flat().filter(Boolean));
    if (window.location.hash) { const target = document.querySelector(window.location.hash); if (target) target.scrollIntoView(); }
  }
  async function load() { render(await api("GET", `/api/talks/${id}`)); }
  load().catch((err) => { body.replaceChildren(el("p", { class: "banner error", role: "alert" }, `${t("error")}: ${err.message}`)); });
})();
