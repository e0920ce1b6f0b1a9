// The stage dashboard: the org tree under a unit with each unit's stage and counts, charts
// (echarts), drill-down to a unit, a branch and a member, xlsx export of what is shown, and the
// launch of a campaign with a progress bar (org_admin).
(function () {
  const { t, el, api, when } = window.VG;
  window.VG.add({
    unit: "组织", branches: "支部数", members: "党员数", pledged: "已承诺", approved: "已通过", fulfilled: "已践诺",
    rated: "践诺已评", appraised: "已测评", overdue_pledges: "逾期未承诺", overdue_tasks: "逾期任务",
    "no campaign": "该组织尚无活动", "drill": "查看 {name}", "branch members": "党员情况",
    "pledge": "承诺", "no pledge": "尚未承诺", "pledge returned": "已退回修改", "return reason": "退回理由", "open tasks of": "待办", "member detail": "{name} 的情况",
    "launch": "部署", "launching": "已创建 {created} / {total} 个支部流程（{percent}%）", "launched": "部署完成",
    "launch failed": "部署失败", "instance": "流程实例", "close": "关闭", "timetable": "各阶段截止日期",
    "board pledges": "公示栏", "board appraisal": "测评结果", "chart counts": "各单位承诺与测评进度", "chart stages": "支部所处阶段",
    "confirm launch": "确认部署", "launch scope": "将在“{unit}”及其下属全部党支部部署“{title}”，每个支部各建一个流程。部署后不能撤回。",
    cancel: "取消", "task due": "{name}（{due}）", "task sep": "；",
  }, {
    unit: "Unit", branches: "Branches", members: "Members", pledged: "Pledged", approved: "Approved", fulfilled: "Fulfilled",
    rated: "Fulfilment rated", appraised: "Appraised", overdue_pledges: "Overdue pledges", overdue_tasks: "Overdue tasks",
    "no campaign": "No campaign reaches this unit yet", drill: "Open {name}", "branch members": "Members",
    pledge: "Pledge", "no pledge": "No pledge yet", "pledge returned": "Returned for revision",
    "return reason": "Reason", "open tasks of": "Open tasks", "member detail": "{name}",
    launch: "Launch", launching: "{created} of {total} branch runs created ({percent}%)", launched: "Launched",
    "launch failed": "Launch failed", instance: "Process instance", close: "Close", timetable: "Stage deadlines",
    "board pledges": "Public board", "board appraisal": "Appraisal", "chart counts": "Pledges and appraisal by unit",
    "chart stages": "Branches by stage", "confirm launch": "Launch now",
    "launch scope": "“{title}” will be launched in {unit} and every branch below it: one process per branch. This cannot be undone.",
    cancel: "Cancel", "task due": "{name} ({due})", "task sep": "; ",
  });
  const COLS = ["members", "pledged", "approved", "fulfilled", "appraised", "overdue_pledges", "overdue_tasks"];
  const root = document.getElementById("dashboard");
  const campaignSel = document.getElementById("dash-campaign");
  const statusBox = document.getElementById("dash-status");
  const branchBox = document.getElementById("dash-branch");
  const charts = {};
  let unitRef = root.dataset.unit;
  let progress = null;

  function chart(id) {
    if (!window.echarts) return null;
    if (!charts[id]) charts[id] = window.echarts.init(document.getElementById(id), null, { renderer: "svg" });
    return charts[id];
  }
  window.addEventListener("resize", () => Object.values(charts).forEach((c) => c.resize()));

  function stageText(row, labels) {
    if (row.run) return row.run.state === "completed" ? labels.completed : (labels[row.run.stage] || row.run.stage_label || row.run.stage || "");
    return Object.entries(row.stages).map(([code, n]) => `${labels[code] || code} ${n}`).join("，");
  }
  function draw() {
    const labels = Object.fromEntries(progress.stages.map((s) => [s.code, (window.VG.locale === "en" && s.label_en) || s.label]));
    const top = progress.units[0];
    const children = progress.units.filter((u) => u.depth === 1);
    const shown = children.length ? children : [top];
    const counts = chart("chart-counts");
    if (counts) {
      counts.setOption({
        textStyle: { fontFamily: "Noto Sans CJK SC, WenQuanYi Zen Hei, sans-serif" },
        title: { text: t("chart counts"), left: 8, top: 4, textStyle: { fontSize: 15 } },
        tooltip: { trigger: "axis" }, legend: { top: 30, type: "scroll" }, grid: { left: 10, right: 10, top: 64, bottom: 10, containLabel: true },
        xAxis: { type: "category", data: shown.map((u) => u.unit.name) }, yAxis: { type: "value", minInterval: 1 },
        series: ["members", "pledged", "approved", "fulfilled", "appraised"].map((k) => ({
          name: t(k), type: "bar", data: shown.map((u) => u[k]) })),
      }, true);
      if (!performance.getEntriesByName("vg:first-chart").length) performance.mark("vg:first-chart");
      counts.off("click");
      counts.on("click", (p) => { const u = shown[p.dataIndex]; if (u && u !== top) go(u.unit.code); });
    }
    const stages = chart("chart-stages");
    if (stages) {
      stages.setOption({
        textStyle: { fontFamily: "Noto Sans CJK SC, WenQuanYi Zen Hei, sans-serif" },
        title: { text: t("chart stages"), left: 8, top: 4, textStyle: { fontSize: 15 } },
        tooltip: { trigger: "item" }, legend: { bottom: 0, type: "scroll" },
        series: [{ type: "pie", radius: ["30%", "55%"], center: ["50%", "52%"], label: { formatter: "{b}\n{c}" },
          data: Object.entries(top.stages).map(([code, n]) => ({ name: labels[code] || code, value: n })) }],
      }, true);
    }
    const table = document.getElementById("dash-table");
    table.replaceChildren(
      el("caption", {}, `${progress.campaign.title || ""} · ${progress.unit.name}`),
      el("thead", {}, el("tr", {}, el("th", { scope: "col" }, t("unit")), el("th", { scope: "col" }, t("stage")),
        el("th", { scope: "col" }, t("branches")), ...COLS.map((k) => el("th", { scope: "col" }, t(k))))),
      el("tbody", {}, progress.units.map((u) => el("tr", { "data-unit": u.unit.code, class: u.overdue_tasks ? "has-overdue" : "" },
        el("th", { scope: "row", style: `padding-left:${0.5 + u.depth * 1.2}rem` },
          u.depth === 0 && !u.run ? u.unit.name
            : el("a", { href: `?unit=${encodeURIComponent(u.unit.code)}&campaign=${progress.campaign.id}`, "aria-label": t("drill", { name: u.unit.name }),
              onclick: (e) => { e.preventDefault(); go(u.unit.code); } }, u.unit.name)),
        el("td", { "data-label": t("stage") }, stageText(u, labels)), el("td", { "data-label": t("branches") }, String(u.branches)),
        ...COLS.map((k) => el("td", { "data-label": t(k), class: k.startsWith("overdue") && u[k] ? "overdue" : "" }, String(u[k])))))));
    document.getElementById("dash-export").href =
      `/api/org-units/${encodeURIComponent(progress.unit.code)}/campaign-progress.xlsx?campaign=${progress.campaign.id}`;
  }
  async function crumbs() {
    const nav = document.getElementById("dash-crumbs");
    const chain = [];
    const byId = new Map(progress.units.map((u) => [u.unit.id, u]));
    chain.push(progress.unit);
    nav.replaceChildren(...(root.dataset.home && root.dataset.home !== progress.unit.code
      ? [el("a", { href: "#", onclick: (e) => { e.preventDefault(); go(root.dataset.home); } }, "⌂ " + root.dataset.homeName), " › "] : []),
    el("span", { "aria-current": "page" }, chain.map((u) => u.name).join(" › ")));
    return byId;
  }
  async function branch(row) {
    if (!row || !row.run) { branchBox.hidden = true; return; }
    const [b, open] = await Promise.all([
      api("GET", `/api/org-units/${encodeURIComponent(row.unit.code)}/board?campaign=${progress.campaign.id}`),
      api("GET", `/api/tasks?scope=all&org_unit=${row.unit.id}&process=vanguard_campaign_branch&limit=500`),
    ]);
    const people = new Map();
    for (const p of b.pledges) people.set(p.member, { name: p.name, pledge: p, tasks: [] });
    for (const task of open.items) {
      if (!task.assignee) continue;
      if (!people.has(task.assignee)) people.set(task.assignee, { name: task.assignee_name, pledge: null, tasks: [] });
      people.get(task.assignee).tasks.push(task);
    }
    const appraisal = new Map(((b.appraisal && b.appraisal.results) || []).map((r) => [r.member, r]));
    const detail = el("div", { id: "member-detail", class: "member-detail", "aria-live": "polite" });
    const list = [...people.entries()].sort((a, c) => a[0].localeCompare(c[0], undefined, { numeric: true }));
    branchBox.hidden = false;
    branchBox.replaceChildren(
      el("h2", {}, `${row.unit.name} · ${t("branch members")}`),
      el("p", {}, el("a", { href: `/instances/${row.run.instance_id}` }, t("instance")), " · ",
        el("a", { href: `/board/${encodeURIComponent(row.unit.code)}` }, t("board pledges"))),
      el("ul", { class: "members" }, list.map(([username, p]) => el("li", { class: p.tasks.some((x) => x.overdue) ? "overdue" : "" },
        el("button", { type: "button", class: "link-button", "data-member": username, onclick: async () => {
          // A pledge returned for revision is said so, with the reason (the task's x-flag), not "no pledge".
          const details = await Promise.all(p.tasks.map((x) => api("GET", `/api/tasks/${x.id}`).catch(() => null)));
          const flags = details.filter(Boolean).map((x) => window.VGForms.flagOf(x)).filter(Boolean);
          detail.replaceChildren(...[el("h3", {}, t("member detail", { name: p.name })),
            el("p", {}, `${t("pledge")}${t("colon")}`, p.pledge ? p.pledge.content
              : flags.length ? el("strong", { class: "returned" }, t("pledge returned")) : t("no pledge")),
            ...flags.filter((f) => f.detail).map((f) => el("p", { class: "reason" }, `${t("return reason")}${t("colon")}${f.detail}`)),
            p.pledge && p.pledge.fulfilment && p.pledge.fulfilment.report ? el("p", {}, p.pledge.fulfilment.report) : null,
            appraisal.has(username) ? el("p", {}, `${t("board appraisal")}${t("colon")}${appraisal.get(username).overall_label}`) : null,
            p.tasks.length ? el("p", {}, `${t("open tasks of")}${t("colon")}`,
              p.tasks.map((x) => (x.due_at ? t("task due", { name: window.VG.en(x, "name"), due: window.VG.dueText(x) })
                : window.VG.en(x, "name"))).join(t("task sep"))) : null,
          ].filter(Boolean));
        } }, p.name), p.pledge ? " ✓" : "", p.tasks.some((x) => x.overdue) ? el("span", { class: "badge late" }, t("overdue")) : null))),
      detail);
  }
  async function load() {
    statusBox.replaceChildren();
    const q = campaignSel.value ? `?campaign=${campaignSel.value}` : "";
    try {
      progress = await api("GET", `/api/org-units/${encodeURIComponent(unitRef)}/campaign-progress${q}`);
    } catch (err) {
      progress = null;
      document.getElementById("dash-table").replaceChildren();
      Object.values(charts).forEach((c) => c.clear());
      branchBox.hidden = true;
      statusBox.replaceChildren(el("p", { class: err.status === 404 ? "empty" : "banner error" },
        err.status === 404 ? t("no campaign") : `${t("error")}: ${err.message}`));
      return;
    }
    if (!campaignSel.value || ![...campaignSel.options].some((o) => o.value === String(progress.campaign.id))) {
      if (![...campaignSel.options].some((o) => o.value === String(progress.campaign.id))) {
        campaignSel.append(el("option", { value: progress.campaign.id }, progress.campaign.title || `#${progress.campaign.id}`));
      }
      campaignSel.value = String(progress.campaign.id);
    }
    draw();
    await crumbs();
    await branch(progress.units[0]);
  }
  function go(code) {
    unitRef = code;
    const u = new URL(window.location.href);
    u.searchParams.set("unit", code);
    if (campaignSel.value) u.searchParams.set("campaign", campaignSel.value);
    window.history.pushState(null, "", u);
    return load();
  }
  window.addEventListener("popstate", () => { unitRef = new URL(window.location.href).searchParams.get("unit") || root.dataset.home; load(); });

  async function launchForm(meInfo) {
    const form = document.getElementById("launch-form");
    if (!form) return;
    const def = await api("GET", "/api/process-definitions/vanguard_campaign");
    const schema = (def.forms || {})[def.start_form || "campaign_plan.json"];
    if (!schema) return;
    const units = [...new Map(meInfo.positions.filter((p) => p.role === "org_admin").map((p) => [p.org_unit.id, p.org_unit])).values()];
    const unitId = "launch-unit";
    const timetable = schema.properties.timetable || { properties: {} };
    // The API sorts object keys; show the plan in its natural order.
    const order = (keys, first) => [...keys].sort((a, b) => ((first.indexOf(a) + 1 || 99) - (first.indexOf(b) + 1 || 99)));
    const simple = Object.fromEntries(order(Object.keys(schema.properties), ["title", "theme", "carrier"])
      .filter((k) => schema.properties[k].type === "string").map((k) => [k, schema.properties[k]]));
    const stageKeys = order(Object.keys(timetable.properties || {}),
      ["mobilise", "pledge", "fulfil", "review", "appraisal", "commendation"]);
    form.replaceChildren(
      el("div", { class: "field" }, el("label", { for: unitId }, t("unit")),
        el("select", { id: unitId }, units.map((u) => el("option", { value: u.code }, u.name)))),
      ...window.VGForms.fields({ properties: simple, required: schema.required }, {}),
      el("fieldset", { class: "timetable" }, el("legend", {}, window.VG.label(timetable, "title") || t("timetable")),
        stageKeys.map((stage) => {
          const prop = timetable.properties[stage];
          const fid = `f-timetable-${stage}`;
          return el("div", { class: "field", "data-field": `timetable.${stage}` },
            el("label", { for: fid }, window.VG.label(prop, "title") || stage),
            el("input", { id: fid, type: "date", "data-stage": stage, required: true, "aria-describedby": `${fid}-err` }),
            el("p", { class: "field-error", id: `${fid}-err`, role: "alert" }));
        })),
      el("p", { class: "banner", id: "launch-banner", role: "status", hidden: true }),
      el("div", { class: "actions" }, el("button", { type: "submit", class: "primary" }, t("launch"))));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      window.VGForms.clearErrors(form);
      const banner = document.getElementById("launch-banner");
      const data = window.VGForms.collect(form);
      data.timetable = {};
      form.querySelectorAll("[data-stage]").forEach((i) => { if (i.value) data.timetable[i.dataset.stage] = i.value; });
      const button = form.querySelector("button[type=submit]");
      const unitSel = document.getElementById(unitId);
      if (button.disabled || !(await confirmLaunch(unitSel.selectedOptions[0].textContent, data.title || data.theme || ""))) return;
      button.disabled = true;
      // One key per launch attempt: a double click, a retry after a lost answer, a second tab
      // sending the same form all name the same launch, and the server starts it once.
      // crypto.randomUUID exists in secure contexts only (not on http://<LAN address>): VG.newKey then.
      const key = form.dataset.idempotencyKey
        || (form.dataset.idempotencyKey = window.crypto.randomUUID ? window.crypto.randomUUID() : window.VG.newKey());
      try {
        const res = await api("POST", "/api/campaigns", { org_unit: unitSel.value, ...data }, { "Idempotency-Key": key });
        banner.hidden = true;
        await follow(res.launch.url, res.campaign.id);
        delete form.dataset.idempotencyKey;
      } catch (err) {
        button.disabled = false;
        if (err.status === 422) delete form.dataset.idempotencyKey;
        banner.hidden = false; banner.className = "banner error";
        banner.textContent = err.status === 422 ? t("fix the fields") : `${t("error")}: ${err.message}`;
        for (const d of (err.body && err.body.details) || []) {
          const box = d.field && (form.querySelector(`[data-field="${d.field}"]`) || form.querySelector(`[data-field="${d.field.split(".")[0]}"]`));
          if (box) {
            box.querySelector(".field-error").textContent = window.VGForms.message(d, {});
            box.querySelector("input, select, textarea").setAttribute("aria-invalid", "true");
          }
        }
      }
    });
  }
  function confirmLaunch(unit, title) {
    const dialog = document.getElementById("launch-confirm");
    dialog.querySelector("#launch-scope").textContent = t("launch scope", { unit, title });
    dialog.showModal();
    return new Promise((resolve) => dialog.addEventListener("close", () => resolve(dialog.returnValue === "launch"), { once: true }));
  }
  async function follow(url, campaignId) {
    const box = document.getElementById("launch-progress");
    const bar = document.getElementById("launch-bar");
    const text = document.getElementById("launch-text");
    box.hidden = false;
    for (;;) {
      const l = await api("GET", url);
      bar.value = l.percent;
      text.textContent = l.state === "failed" ? `${t("launch failed")}: ${l.error || ""}`
        : l.done ? `${t("launched")} · ${t("launching", l)}` : t("launching", l);
      if (l.state === "done" || l.state === "failed") break;
      await new Promise((r) => setTimeout(r, 400));
    }
    await campaigns();
    campaignSel.value = String(campaignId);
    await load();
  }

  async function campaigns() {
    const list = await api("GET", "/api/process-instances?process=vanguard_campaign&limit=50");
    const current = campaignSel.value;
    campaignSel.replaceChildren(...list.items.map((c) => el("option", { value: c.id }, c.title || `#${c.id}`)));
    if (current) campaignSel.value = current;
  }
  async function init() {
    const [meInfo] = await Promise.all([api("GET", "/api/me"), campaigns()]);
    const managed = meInfo.positions.filter((p) => ["org_admin", "secretary", "deputy_secretary"].includes(p.role));
    const home = managed.sort((a, b) => (a.org_unit.type === "branch") - (b.org_unit.type === "branch"))[0];
    root.dataset.home = home ? home.org_unit.code : "";
    root.dataset.homeName = home ? home.org_unit.name : "";
    unitRef = unitRef || root.dataset.home;
    if (root.dataset.campaign) campaignSel.value = root.dataset.campaign;
    await load();
    await launchForm(meInfo);
  }
  campaignSel.addEventListener("change", () => load());
  init().catch((err) => { statusBox.textContent = `${t("error")}: ${err.message}`; });
})();
