// 谈心谈话: the talk work of the branches I look after — overview (superiors), ledger (台账),
// problem list, half-year coverage, June/December reports — or, for a member, my own talks.
(function () {
  const { t, el, api, when, term, personName } = window.VG;
  window.VG.add({
    overview: "概览", ledger: "台账", problems: "问题清单", coverage: "覆盖情况", reports: "半年报告",
    "my talks": "我的谈心谈话", "no talks": "还没有谈心谈话记录", "no problems": "没有问题清单", "no reports": "本半年还没有报告",
    "talk with": "{subject} · 谈话人 {talker}", "held on": "谈话日期", "not held": "尚未谈话", "problems open": "未销号 {open}/{total}",
    "export": "导出台账（Excel）", "covered": "已谈 {n} 人", "uncovered": "未谈 {n} 人", "coverage of": "已谈 {covered}/{members} 人（{percent}%）",
    "start talk": "发起谈心", "talks held": "谈话次数", "open problems": "未销号问题", "report": "半年报告", "members": "党员",
    "owner": "责任人", "measure": "整改措施", "deadline": "期限", "follow up": "跟进 / 销号", "overdue n": "逾期 {n}",
    "open report": "生成本半年报告", "report due": "报送期限 {date}", "none yet": "未生成", "last talk": "最近 {date}",
    "all states": "全部", "only open": "未销号", "show": "查看",
  }, {
    overview: "Overview", ledger: "Ledger", problems: "Problem list", coverage: "Coverage", reports: "Half-year reports",
    "my talks": "My talks", "no talks": "No talks yet", "no problems": "No problem items", "no reports": "No report for this half year yet",
    "talk with": "{subject} · talker {talker}", "held on": "Held on", "not held": "Not held yet", "problems open": "Open {open}/{total}",
    export: "Export the ledger (Excel)", covered: "Talked with {n}", uncovered: "Not yet talked with {n}",
    "coverage of": "{covered} of {members} members talked with ({percent}%)", "start talk": "Start a talk",
    "talks held": "Talks held", "open problems": "Open problems", report: "Report", members: "Members",
    owner: "Owner", measure: "Measure", deadline: "Deadline", "follow up": "Follow up / close out", "overdue n": "{n} overdue",
    "open report": "Open this half year's report", "report due": "Due {date}", "none yet": "Not opened", "last talk": "Last {date}",
    "all states": "All", "only open": "Open only", show: "Open", unit: "Unit",
  });
  const root = document.getElementById("talks");
  const body = document.getElementById("talk-body");
  const statusBox = document.getElementById("talk-status");
  const unitSel = document.getElementById("talk-unit");
  const periodSel = document.getElementById("talk-period");
  const tabs = document.getElementById("talk-tabs");
  let overview = null;
  let view = root.dataset.view;

  const pct = (r) => Math.round(r * 100);
  const card = (...children) => el("li", { class: "card talk-card" }, ...children);
  const empty = (key) => el("p", { class: "empty" }, t(key));

  function talkCard(x) {
    return card(el("a", { class: "task-name", href: `/talks/${x.id}` }, `${term("kind", x.kind)} · ${personName(x.subject)}`),
      el("span", { class: "meta" }, t("talk with", { subject: x.org_unit.name, talker: personName(x.talker) || "—" })),
      el("span", { class: "meta" }, x.held_on ? `${t("held on")} ${x.held_on}` : t("not held")),
      el("span", { class: "badge" }, term("state", x.state)),
      x.problems_total ? el("span", { class: x.problems_open ? "badge soon" : "badge" },
        t("problems open", { open: x.problems_open, total: x.problems_total })) : null);
  }
  async function ledger(unit) {
    const list = await api("GET", `/api/talks?org_unit=${encodeURIComponent(unit)}&limit=100`);
    const period = periodSel.value;
    return [el("p", {}, el("a", { class: "button-link", id: "ledger-export", download: true,
      href: `/api/talks/ledger.xlsx?org_unit=${encodeURIComponent(unit)}&period=${period}` }, t("export"))),
    list.items.length ? el("ul", { class: "task-list", id: "ledger" }, list.items.map(talkCard)) : empty("no talks")];
  }
  async function problems(unit) {
    const list = await api("GET", `/api/talks/problems?org_unit=${encodeURIComponent(unit)}`);
    const items = list.items.filter((p) => p.state !== "closed").concat(list.items.filter((p) => p.state === "closed"));
    return [items.length ? el("ul", { class: "task-list", id: "problem-list" }, items.map((p) => el("li", {
      class: `task-row${p.overdue ? " overdue" : ""}`, "data-problem": p.id },
    el("span", { class: "task-name" }, p.description),
    el("span", { class: "meta" }, `${t("owner")}${t("colon")}${personName(p.owner)}`),
    el("span", { class: "meta" }, `${t("measure")}${t("colon")}${p.measure}`),
    el("span", { class: p.overdue ? "due overdue" : "due" }, `${t("deadline")} ${p.deadline}${p.overdue ? ` · ${t("overdue")}` : ""}`),
    el("span", { class: "badge" }, p.state === "closed" ? term("state", "closed") : term("state", "open")),
    el("a", { class: "button-link", href: `/talks/${p.talk_id}#problem-${p.id}` }, t("follow up"))))) : empty("no problems")];
  }
  async function coverage(unit) {
    const c = await api("GET", `/api/talks/coverage?org_unit=${encodeURIComponent(unit)}&period=${periodSel.value}`);
    return [el("section", { class: "card", id: "coverage" },
      el("p", {}, t("coverage of", { covered: c.covered_count, members: c.members, percent: pct(c.ratio) })),
      el("progress", { max: c.members || 1, value: c.covered_count, "aria-label": t("coverage") }),
      el("h2", {}, t("uncovered", { n: c.uncovered_count })),
      el("ul", { class: "people", id: "uncovered" }, c.uncovered.map((p) => el("li", {}, personName(p)))),
      c.uncovered.length ? el("p", {}, el("a", { class: "button-link", href: "/start?process=talk" }, t("start talk"))) : null,
      el("h2", {}, t("covered", { n: c.covered_count })),
      el("ul", { class: "people", id: "covered" }, c.covered.map((p) => el("li", {}, personName(p), " ",
        el("span", { class: "meta" }, t("last talk", { date: p.last_held_on }))))))];
  }
  async function reports(unit) {
    const list = await api("GET", `/api/talks/reports?org_unit=${encodeURIComponent(unit)}&period=${periodSel.value}`);
    const out = [];
    if (list.items.length) {
      out.push(el("ul", { class: "task-list", id: "report-list" }, list.items.map((r) => card(
        el("a", { class: "task-name", href: `/talks/reports/${r.id}` }, `${r.org_unit.name} · ${r.period_label}`),
        el("span", { class: "badge" }, term("report", r.state)), el("span", { class: "meta" }, t("report due", { date: r.due_on }))))));
    } else {
      const button = el("button", { type: "button", class: "primary", id: "open-report", onclick: async () => {
        button.disabled = true;
        try {
          const r = await api("POST", "/api/talks/reports", { org_unit: unit, period: periodSel.value });
          window.location.href = `/talks/reports/${r.id}`;
        } catch (err) { button.disabled = false; statusBox.replaceChildren(el("p", { class: "banner error" }, `${t("error")}: ${err.message}`)); }
      } }, t("open report"));
      out.push(empty("no reports"), el("p", {}, button));
    }
    return out;
  }
  function overviewTable() {
    return [el("div", { class: "table-wrap" }, el("table", { class: "grid cards-on-phone", id: "talk-overview" },
      el("thead", {}, el("tr", {}, [t("unit"), t("coverage"), t("talks held"), t("open problems"), t("report")]
        .map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, overview.units.map((u) => el("tr", {},
        el("th", { scope: "row" }, el("a", { href: "#", onclick: (e) => { e.preventDefault(); unitSel.value = u.org_unit.code; show("ledger"); } }, u.org_unit.name)),
        el("td", { "data-label": t("coverage") }, `${u.covered}/${u.members}（${pct(u.ratio)}%）`),
        el("td", { "data-label": t("talks held") }, String(u.talks_held)),
        el("td", { "data-label": t("open problems"), class: u.problems_overdue ? "overdue" : "" },
          `${u.problems_open}${u.problems_overdue ? ` · ${t("overdue n", { n: u.problems_overdue })}` : ""}`),
        el("td", { "data-label": t("report") }, u.report ? el("a", { href: `/talks/reports/${u.report.id}` }, term("report", u.report.state)) : t("none yet")))))))];
  }
  const VIEWS = { overview: overviewTable, ledger, problems, coverage, reports };

  async function show(name) {
    view = name;
    tabs.querySelectorAll("a").forEach((a) => (a.dataset.view === view ? a.setAttribute("aria-current", "page") : a.removeAttribute("aria-current")));
    unitSel.closest("label").hidden = view === "overview";
    const u = new URL(window.location.href);
    u.searchParams.set("view", view); u.searchParams.set("period", periodSel.value);
    if (view !== "overview") u.searchParams.set("unit", unitSel.value);
    window.history.replaceState(null, "", u);
    statusBox.replaceChildren();
    try { body.replaceChildren(...await VIEWS[view](unitSel.value)); }
    catch (err) { body.replaceChildren(el("p", { class: "banner error", role: "alert" }, `${t("error")}: ${err.message}`)); }
  }
  function periods(code) {
    let [year, half] = [Number(code.slice(0, 4)), Number(code.slice(5))];
    const out = [];
    for (let i = 0; i < 4; i++) {
      out.push(el("option", { value: `${year}H${half}` }, window.VG.locale === "en" ? `${year} H${half}` : `${year}年${half === 1 ? "上" : "下"}半年`));
      [year, half] = half === 1 ? [year - 1, 2] : [year, 1];
    }
    return out;
  }
  async function mine() {
    root.querySelector("h1").textContent = t("my talks");
    const list = await api("GET", "/api/talks?limit=100");
    body.replaceChildren(list.items.length ? el("ul", { class: "task-list", id: "ledger" }, list.items.map(talkCard)) : empty("no talks"));
  }
  async function init() {
    overview = await api("GET", `/api/talks/overview${root.dataset.period ? `?period=${root.dataset.period}` : ""}`);
    if (!overview.units.length) return mine();
    document.getElementById("talk-pick").hidden = false;
    tabs.hidden = false;
    periodSel.replaceChildren(...periods(overview.period));
    periodSel.value = overview.period;
    unitSel.replaceChildren(...overview.units.map((u) => el("option", { value: u.org_unit.code }, u.org_unit.name)));
    if (root.dataset.unit) unitSel.value = root.dataset.unit;
    const names = (overview.units.length > 1 ? ["overview"] : []).concat(["ledger", "problems", "coverage", "reports"]);
    tabs.replaceChildren(...names.map((n) => el("a", { href: `?view=${n}`, "data-view": n, onclick: (e) => { e.preventDefault(); show(n); } }, t(n))));
    await show(names.includes(view) ? view : names[0]);
  }
  unitSel.addEventListener("change", () => show(view));
  periodSel.addEventListener("change", async () => {
    overview = await api("GET", `/api/talks/overview?period=${periodSel.value}`);
    await show(view);
  });
  init().catch((err) => { body.replaceChildren(el("p", { class: "banner error", role: "alert" }, `${t("error")}: ${err.message}`)); });
})();
