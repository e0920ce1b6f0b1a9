// The quota view of a branch or district: due, done, missing and overdue per unit (rolled up the tree, a
// chart like the campaign dashboard's) and per member; the xlsx ledger of what is shown.
(function () {
  const { t, el, api } = window.VG;
  window.VG.add({
    due: "应完成", done: "已完成", missing: "未完成", "overdue n": "逾期", members: "党员", rate: "完成率",
    member: "党员", "chart quota": "活动完成情况", "no access": "无权查看该组织的台账", head: "（书记）",
  }, {
    due: "Due", done: "Done", missing: "Missing", "overdue n": "Overdue", members: "Members", rate: "Rate",
    member: "Member", "chart quota": "Activities: due and done", "no access": "You may not see this unit's ledger",
    head: " (secretary)",
  });
  const root = document.getElementById("quota");
  const unitSel = document.getElementById("quota-unit");
  const periodIn = document.getElementById("quota-period");
  const statusBox = document.getElementById("quota-status");
  const exportLink = document.getElementById("quota-export");
  let chart = null;

  function thisQuarter() {
    const now = new Date(Date.now() + 8 * 3600e3);
    return `${now.getUTCFullYear()}-Q${Math.floor(now.getUTCMonth() / 3) + 1}`;
  }
  const pct = (r) => (r === null || r === undefined ? "—" : `${Math.round(r * 100)}%`);
  const numbers = (row) => ["due", "done", "missing", "overdue"].map((k) =>
    el("td", { "data-label": t(k === "overdue" ? "overdue n" : k), class: k === "missing" && row.missing ? "warn" : "" }, String(row[k])));

  // A unit with units below: one group of bars per unit below; a branch: one per programme.
  function groups(view) {
    const children = view.units.filter((u) => u.depth === 1);
    if (children.length) return children;
    return view.programmes.map((p) => {
      const sum = { name: p.name, due: 0, done: 0, missing: 0, overdue: 0 };
      for (const m of view.members) {
        const n = m.programmes.find((x) => x.id === p.id);
        if (n) for (const k of ["due", "done", "missing", "overdue"]) sum[k] += n[k];
      }
      return sum;
    }).filter((g) => g.due > 0);
  }
  function draw(view) {
    const shown = groups(view);
    if (!window.echarts) return;
    chart = chart || window.echarts.init(document.getElementById("chart-quota"), null, { renderer: "svg" });
    chart.setOption({
      animation: false,
      textStyle: { fontFamily: "Noto Sans CJK SC, WenQuanYi Zen Hei, sans-serif" },
      title: { text: `${t("chart quota")} ${view.period.code}`, left: 8, top: 4, textStyle: { fontSize: 15 } },
      tooltip: { trigger: "axis" }, legend: { top: 30 }, grid: { left: 10, right: 10, top: 64, bottom: 10, containLabel: true },
      xAxis: { type: "category", data: shown.map((u) => u.name), axisLabel: { interval: 0, width: 90, overflow: "break" } },
      yAxis: { type: "value", minInterval: 1 },
      series: ["due", "done", "missing", "overdue"].map((k) => ({ name: t(k === "overdue" ? "overdue n" : k), type: "bar",
        data: shown.map((u) => u[k]) })),
    }, true);
  }

  async function load() {
    const unit = unitSel.value;
    const period = periodIn.value.trim() || thisQuarter();
    periodIn.value = period;
    statusBox.textContent = "…";
    let view;
    try {
      view = await api("GET", `/api/activities/quota?org_unit=${encodeURIComponent(unit)}&period=${encodeURIComponent(period)}&limit=500`);
    } catch (err) {
      statusBox.textContent = err.status === 403 ? t("no access") : `${t("error")}: ${err.message}`;
      return;
    }
    statusBox.textContent = "";
    const u = new URL(window.location.href);
    u.searchParams.set("unit", unit);
    u.searchParams.set("period", period);
    window.history.replaceState(null, "", u);
    exportLink.hidden = false;
    exportLink.href = `/api/activities/ledger.xlsx?org_unit=${encodeURIComponent(unit)}&period=${encodeURIComponent(period)}`;
    const tot = view.totals;
    document.getElementById("quota-totals").textContent =
      `${view.org_unit.name} · ${view.period.code} · ${t("members")} ${tot.members} · ${t("due")} ${tot.due} · ${t("done")} ${tot.done} · ${t("missing")} ${tot.missing} · ${t("overdue n")} ${tot.overdue} · ${t("rate")} ${pct(tot.rate)}`;
    draw(view);
    document.getElementById("quota-units").replaceChildren(
      el("thead", {}, el("tr", {}, [t("unit"), t("members"), t("due"), t("done"), t("missing"), t("overdue n"), t("rate")]
        .map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, view.units.map((row) => el("tr", { "data-unit": row.code },
        el("th", { scope: "row", "data-label": t("unit") }, row.depth
          ? el("a", { href: "#", onclick: (e) => { e.preventDefault(); pick(row.code, row.name, view.org_unit); } },
            `${"　".repeat(row.depth - 1)}${row.name}`)
          : row.name),
        el("td", { "data-label": t("members") }, String(row.members)), ...numbers(row),
        el("td", { "data-label": t("rate") }, pct(row.rate))))));
    document.getElementById("quota-members").replaceChildren(
      el("thead", {}, el("tr", {}, [t("member"), t("unit"), t("due"), t("done"), t("missing"), t("overdue n")]
        .map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, view.members.map((m) => el("tr", { "data-member": m.person.username, class: m.missing ? "has-overdue" : "" },
        el("th", { scope: "row", "data-label": t("member") }, m.person.name + (m.is_head ? t("head") : "")),
        el("td", { "data-label": t("unit") }, m.org_unit.name), ...numbers(m)))));
  }

  // Drilling down keeps the way back (crumbs to the units one came from).
  const trail = [];
  function crumbs() {
    document.getElementById("quota-crumbs").replaceChildren(...trail.map((u, i) => el("a", { href: "#", onclick: (e) => {
      e.preventDefault(); trail.splice(i); pick(u.code, u.name); } }, `← ${u.name}`)));
  }
  function pick(code, name, from) {
    if (from) trail.push(from);
    crumbs();
    if (![...unitSel.options].some((o) => o.value === code)) unitSel.append(el("option", { value: code }, name || code));
    unitSel.value = code;
    return load();
  }

  async function start() {
    const me = await api("GET", "/api/me");
    const units = [...new Map(me.positions.map((p) => [p.org_unit.code, p.org_unit])).values()];
    unitSel.replaceChildren(...units.map((u) => el("option", { value: u.code }, u.name)));
    if (root.dataset.unit && !units.some((u) => u.code === root.dataset.unit)) {
      unitSel.append(el("option", { value: root.dataset.unit }, root.dataset.unit));
    }
    if (root.dataset.unit) unitSel.value = root.dataset.unit;
    periodIn.value = root.dataset.period || thisQuarter();
    document.getElementById("quota-pick").addEventListener("submit", (e) => { e.preventDefault(); load(); });
    unitSel.addEventListener("change", load);
    window.addEventListener("resize", () => chart && chart.resize());
    await load();
  }
  start().catch((err) => { statusBox.textContent = `${t("error")}: ${err.message}`; });
})();
