// The inbox: my tasks and claimable tasks with counts, filters, claim / give back / delegate,
// overdue and due-soon marks, and bulk approve/return of review tasks (secretaries).
(function () {
  const { t, el, api, when } = window.VG;
  window.VG.add({
    "due soon": "即将到期", "bulk selected": "已选 {n} 项", "bulk done": "完成 {ok} 项，失败 {failed} 项",
    "own reason": "单独理由", "select task": "选择：{name}", "delegate go": "确定转交",
    "reason needed": "退回须填写理由（至少 2 个字）", "shown of": "显示 {n} / 共 {total} 项",
    "shown of more": "显示 {n} / 超过 {total} 项", delegated: "已转交给 {to}",
    remind: "催办", "delegate to": "转交给", reminded: "已催办：{who}", "submitted task": "已提交「{name}」", "completed at": "办结于",
    "confirm approve": "确定通过选中的 {n} 项审核？", "confirm return": "确定退回选中的 {n} 项？",
  }, {
    "due soon": "Due soon", "bulk selected": "{n} selected", "bulk done": "{ok} done, {failed} failed",
    "own reason": "Own reason", "select task": "Select: {name}", "delegate go": "Delegate",
    "reason needed": "A return needs a reason (at least 2 characters)", "shown of": "Showing {n} of {total}",
    "shown of more": "Showing {n} of more than {total}", delegated: "Delegated to {to}",
    remind: "Remind", "delegate to": "Delegate to", reminded: "Reminded: {who}", "submitted task": "Submitted “{name}”", "completed at": "Completed",
    "confirm approve": "Approve the {n} selected reviews?", "confirm return": "Return the {n} selected reviews?",
  });
  const DUE_SOON_MS = 2 * 24 * 3600 * 1000;
  const params = new URLSearchParams(window.location.search);
  const SCOPES = ["mine", "claimable", "done", "started", "cc"];
  let scope = SCOPES.includes(params.get("scope")) ? params.get("scope") : "mine";
  const form = document.getElementById("filters");
  const bulk = document.getElementById("bulk");
  // Review tasks whose form is {decision: approve|return, reason}: these may be done in bulk.
  const bulkable = (task) => /^Review/.test(task.element_id);

  function status(text, kind) {
    let box = document.getElementById("inbox-status");
    if (!box) {
      box = el("p", { id: "inbox-status", role: "alert" });
      document.getElementById("task-list").before(box);
    }
    box.className = `banner ${kind || "error"}`;
    box.textContent = text;
    box.hidden = !text;
  }
  function load() {
    return fill().catch((err) => { if (err.status !== 401) status(`${t("error")}: ${err.message}`); });
  }
  // The page size; ``?limit=`` in the address changes it (1–500).
  const PAGE = String(Math.min(500, Math.max(1, Number(params.get("limit")) || 100)));
  function query() {
    const q = new URLSearchParams({ scope, limit: PAGE });
    if (scope === "done") { q.set("state", "completed"); }
    for (const name of ["q", "process", "stage", "org_unit", "sort"]) {
      const value = form.elements[name].value.trim();
      if (value) q.set(name, value);
    }
    if (scope === "done" && q.get("sort") === "due") q.set("sort", "-created");
    if (form.elements.overdue.checked) q.set("overdue", "true");
    return q;
  }
  let loads = 0;
  // Keyset pages: the cursor of the page after the last one shown (null: nothing more), and how many are shown.
  let next = null;
  let shownCount = 0;
  const moreButton = document.getElementById("load-more");
  function summarise(list) {
    document.getElementById("empty").hidden = shownCount > 0;
    const more = document.getElementById("more");
    more.hidden = !next && list.total <= shownCount;
    // Counting stops at 1,000: beyond it the total is "more than", never a guess shown as a number.
    more.textContent = t(list.total_exact === false ? "shown of more" : "shown of", { n: shownCount, total: list.total });
    moreButton.hidden = !next;
    bulk.hidden = !["mine", "claimable"].includes(scope)
      || !Array.from(document.querySelectorAll("#task-list .pick")).length;
  }
  async function loadMore() {
    if (!next) return;
    const q = query();
    q.set("cursor", next);
    const mine = loads;
    moreButton.disabled = true;
    try {
      const list = await api("GET", `/api/tasks?${q}`);
      if (mine !== loads) return;  // the filter or tab changed meanwhile: its first page wins
      const rows = list.items.map(row);
      document.getElementById("task-list").append(...rows);
      shownCount += list.items.length;
      next = list.next_cursor;
      summarise(list);
      document.getElementById("bulk-all").checked = false;  // "all" meant the rows there were
      updateBulkCount();
      const link = rows.length ? rows[0].querySelector("a") : null;
      if (link) link.focus();  // keyboard users carry on where the new tasks start
    } catch (err) {
      if (err.status !== 401) status(`${t("error")}: ${err.message}`);
    } finally {
      moreButton.disabled = false;
    }
  }
  moreButton.addEventListener("click", loadMore);
  // Without a tab in the address, land where work waits: 可认领 when nothing is mine yet.
  let landing = !params.get("scope");
  async function fill() {
    if (landing) {
      landing = false;
      const counts = await api("GET", "/api/tasks/counts");
      if (counts.mine === 0 && counts.claimable > 0) selectTab("claimable");
    }
    const q = query();
    const mine = ++loads;
    const [list, counts] = await Promise.all([api("GET", `/api/tasks?${q}`), api("GET", "/api/tasks/counts")]);
    if (mine !== loads) return;  // a newer filter or tab was asked for while this one loaded: it wins
    document.getElementById("count-mine").textContent = counts.mine;
    document.getElementById("count-claimable").textContent = counts.claimable;
    const ul = document.getElementById("task-list");
    ul.replaceChildren(...list.items.map(row));
    shownCount = list.items.length;
    next = list.next_cursor;
    summarise(list);
    document.getElementById("bulk-all").checked = false;
    updateBulkCount();
    const u = new URL(window.location.href);
    u.search = q.toString();
    window.history.replaceState(null, "", u);
  }
  function act(button, url, body) {
    return async (e) => {
      e.preventDefault();
      button.disabled = true;
      try { await api("POST", url, body ? body() : {}); status(""); }
      catch (err) { status(`${t("error")}: ${err.message}`); }  // e.g. someone else claimed it first
      load();
    };
  }
  // 转交 to a person picked by name among those who hold the task's role in its unit.
  function delegateForm(task) {
    const id = `delegate-${task.id}`;
    const roles = (task.role || "").split("|").map((r) => r.trim());
    const sameUnit = roles.every((r) => r && !r.includes("@"));
    const input = el("select", { id, required: true }, el("option", { value: "" }, "—"));
    let filled = false;
    const box = el("form", { class: "delegate", hidden: true },
      el("label", { for: id }, t("delegate to")), input,
      el("button", { type: "submit", class: "secondary" }, t("delegate go")));
    box.fill = async () => {
      if (filled) return;
      filled = true;
      const q = sameUnit ? `?role=${encodeURIComponent(roles.join("|"))}` : "";
      try {
        const people = (await api("GET", `/api/org-units/${task.org_unit.id}/people${q}`)).items;
        input.append(...people.filter((p) => p.username !== window.VG.me)
          .map((p) => el("option", { value: p.username }, p.name)));
      } catch (err) { filled = false; }
    };
    box.addEventListener("submit", async (e) => {
      e.preventDefault();
      if (!input.value) { input.focus(); return; }
      const name = input.options[input.selectedIndex].textContent;
      try {
        await api("POST", `/api/tasks/${task.id}/delegate`, { to: input.value });
        status(t("delegated", { to: name }), "ok");
      } catch (err) { status(`${t("error")}: ${err.message}`); return; }
      load();
    });
    return box;
  }
  function row(task) {
    const actions = [];
    if (scope === "started" || scope === "cc") {
      const b = el("button", { class: "secondary", type: "button" }, t("remind"));
      b.addEventListener("click", async () => {
        b.disabled = true;
        try {
          const res = await api("POST", `/api/tasks/${task.id}/remind`, {});
          status(t("reminded", { who: res.reminded.join(t("list sep")) || "—" }), "ok");
        } catch (err) { status(`${t("error")}: ${err.message}`); b.disabled = false; }
      });
      actions.push(b);
    } else if (scope === "claimable") {
      const b = el("button", { class: "secondary", type: "button" }, t("claim"));
      b.addEventListener("click", act(b, `/api/tasks/${task.id}/claim`));
      actions.push(b);
    } else if (task.assignee && !task.bound) {
      const give = el("button", { class: "secondary", type: "button" }, t("unclaim"));
      give.addEventListener("click", act(give, `/api/tasks/${task.id}/unclaim`));
      actions.push(give);
    }
    let delegate = null;
    if (scope === "mine") {
      delegate = delegateForm(task);
      actions.push(el("button", { class: "secondary", type: "button", "aria-expanded": "false", onclick: (e) => {
        delegate.hidden = !delegate.hidden;
        e.target.setAttribute("aria-expanded", String(!delegate.hidden));
        if (!delegate.hidden) { delegate.fill(); delegate.querySelector("select").focus(); }
      } }, t("delegate")));
    }
    const dueMs = task.due_at ? new Date(task.due_at).getTime() - Date.now() : null;
    const soon = !task.overdue && dueMs !== null && dueMs < DUE_SOON_MS;
    let pick = null; let ownReason = null;
    if (bulkable(task) && (scope === "mine" || scope === "claimable")) {
      const rid = `reason-${task.id}`;
      ownReason = el("span", { class: "own-reason", hidden: true },
        el("label", { for: rid }, t("own reason")), el("input", { id: rid, type: "text", maxlength: 500, "data-reason-for": task.id }));
      pick = el("input", { type: "checkbox", class: "pick", "data-task-id": task.id,
        "aria-label": t("select task", { name: `${task.name} ${task.instance_title || ""}` }),
        onchange: (e) => { ownReason.hidden = !e.target.checked; updateBulkCount(); } });
    }
    return el("li", { class: "task-row" + (task.overdue ? " overdue" : "") + (soon ? " due-soon" : ""), "data-task-id": task.id },
      pick,
      // 我发起的: the step is someone else's; its instance shows where the request stands.
      el("a", { href: scope === "started" ? `/instances/${task.instance_id}` : `/tasks/${task.id}`, class: "task-name" }, window.VG.en(task, "name")),
      task.subject || task.excerpt ? el("p", { class: "card-ask" }, task.subject ? el("strong", {}, task.subject) : null,
        task.subject && task.excerpt ? t("colon") : null, task.excerpt || null) : null,
      el("span", { class: "meta" }, [window.VG.bilingual(task.instance_title), task.org_unit.name, window.VG.en(task, "stage_label"),
        scope !== "mine" && task.assignee_name ? `${t("claimed by")}${t("colon")}${task.assignee_name}` : null].filter(Boolean).join(" · ")),
      scope === "done" ? el("span", { class: "due" }, `${t("completed at")} ${when(task.completed_at)}`)
        : task.due_at ? el("span", { class: "due" }, window.VG.dueText(task)) : null,
      soon ? el("span", { class: "badge soon" }, t("due soon")) : null,
      task.overdue ? el("span", { class: "badge late" }, t("overdue")) : null,
      ...actions, ownReason, delegate);
  }
  function picked() { return [...document.querySelectorAll("#task-list .pick:checked")]; }
  function updateBulkCount() {
    document.getElementById("bulk-count").textContent = t("bulk selected", { n: picked().length });
  }
  async function bulkComplete(decision) {
    const shared = document.getElementById("bulk-reason").value.trim();
    const items = picked().map((box) => {
      const id = Number(box.dataset.taskId);
      const own = document.querySelector(`[data-reason-for="${id}"]`).value.trim();
      const reason = own || shared;
      return { task_id: id, data: reason ? { decision, reason } : { decision } };
    });
    if (!items.length) return;
    // A mass operation says what it will do and to how many before it does it.
    if (!window.confirm(t(decision === "approve" ? "confirm approve" : "confirm return", { n: items.length }))) return;
    if (decision === "return" && items.some((i) => !i.data.reason || i.data.reason.length < 2)) {
      status(t("reason needed"));
      document.getElementById("bulk-reason").focus();
      return;
    }
    const out = document.getElementById("bulk-result");
    document.querySelectorAll("#bulk button").forEach((b) => { b.disabled = true; });
    try {
      const res = await api("POST", "/api/tasks/bulk-complete", { items });
      const failures = res.results.filter((r) => !r.ok);
      out.replaceChildren(...[el("p", { class: failures.length ? "banner error" : "banner ok" },
        t("bulk done", { ok: res.succeeded, failed: res.failed })),
        failures.length ? el("ul", { class: "bulk-failures" }, failures.map((r) => el("li", {},
          `#${r.task_id}: ${r.message}${(r.details || []).map((d) => ` (${d.field || ""} ${d.message})`).join("")}`))) : null].filter(Boolean));
      status("");
    } catch (err) { status(`${t("error")}: ${err.message}`); }
    document.querySelectorAll("#bulk button").forEach((b) => { b.disabled = false; });
    await load();
  }
  async function options() {
    try {
      const [defs, meInfo] = await Promise.all([api("GET", "/api/process-definitions"), api("GET", "/api/me")]);
      const processSel = form.elements.process; const stageSel = form.elements.stage; const unitSel = form.elements.org_unit;
      const stages = new Map();
      for (const d of defs.items || defs) {
        processSel.append(el("option", { value: d.key }, window.VG.bilingual(d.name) || d.key));
        for (const s of d.stages || []) if (!stages.has(s.code)) stages.set(s.code, (window.VG.locale === "en" && s.label_en) || s.label || s.code);
      }
      for (const [code, labelText] of stages) stageSel.append(el("option", { value: code }, labelText));
      window.VG.me = meInfo.username;
      const units = new Map();
      for (const p of meInfo.positions) units.set(p.org_unit.id, p.org_unit.name);
      for (const [id, name] of units) unitSel.append(el("option", { value: id }, name));
      for (const name of ["q", "process", "stage", "org_unit", "sort"]) {
        if (params.get(name)) form.elements[name].value = params.get(name);
      }
      form.elements.overdue.checked = params.get("overdue") === "true";
    } catch (err) { /* filters are a convenience; the list still works */ }
  }
  form.addEventListener("submit", (e) => { e.preventDefault(); status(""); load(); });
  form.addEventListener("change", (e) => { if (e.target.tagName === "SELECT" || e.target.type === "checkbox") load(); });
  document.getElementById("bulk-all").addEventListener("change", (e) => {
    document.querySelectorAll("#task-list .pick").forEach((box) => {
      box.checked = e.target.checked;
      box.dispatchEvent(new Event("change"));
    });
  });
  document.getElementById("bulk-approve").addEventListener("click", () => bulkComplete("approve"));
  document.getElementById("bulk-return").addEventListener("click", () => bulkComplete("return"));
  function selectTab(name) {
    scope = name;
    document.querySelectorAll("[data-scope]").forEach((x) => x.setAttribute("aria-selected", String(x.dataset.scope === name)));
  }
  document.querySelectorAll("[data-scope]").forEach((tab) => {
    tab.setAttribute("aria-selected", String(tab.dataset.scope === scope));
    tab.addEventListener("click", () => {
      selectTab(tab.dataset.scope);
      status("");
      document.getElementById("bulk-result").replaceChildren();
      load();
    });
  });
  if (params.get("submitted")) {
    // The task page sends us back here after a submission: say what was submitted.
    status(t("submitted task", { name: params.get("submitted") }), "ok");
    params.delete("submitted");
  }
  options().then(load);
})();
