// A themed campaign's board: each unit below × each report it owes (plan, progress, final summary),
// its state, whether it came late and how many documents and photos it carries.
(function () {
  const { t, el, api } = window.VG;
  window.VG.add({
    "no campaigns": "该组织及其上级没有主题实践活动", unit: "组织", late: "（逾期）", files: "个附件",
    window: "活动时间", lines: "活动内容", "no access": "无权查看",
  }, {
    "no campaigns": "No themed campaign for this unit or the one above", unit: "Unit", late: " (late)",
    files: "attachments", window: "Window", lines: "Lines", "no access": "You may not see this",
  });
  const root = document.getElementById("themed");
  const unitSel = document.getElementById("themed-unit");
  const campSel = document.getElementById("themed-campaign");
  const statusBox = document.getElementById("themed-status");

  async function board() {
    if (!campSel.value) return;
    let b;
    try { b = await api("GET", `/api/activities/themed/${campSel.value}/board`); } catch (err) {
      statusBox.textContent = err.status === 403 ? t("no access") : `${t("error")}: ${err.message}`;
      document.getElementById("themed-board").replaceChildren();
      return;
    }
    statusBox.textContent = "";
    const c = b.campaign;
    document.getElementById("themed-meta").textContent =
      `${c.org_unit.name} · ${t("window")} ${c.starts_on} – ${c.ends_on} · ${t("lines")}${t("colon")}${c.lines.map((l) => l.name).join("、")}`;
    document.getElementById("themed-board").replaceChildren(
      el("thead", {}, el("tr", {}, el("th", { scope: "col" }, t("unit")),
        c.reporting.map((r) => el("th", { scope: "col" }, `${r.label} ${r.due_on}`)))),
      el("tbody", {}, b.units.map((row) => el("tr", { "data-unit": row.org_unit.code },
        el("th", { scope: "row", "data-label": t("unit") }, row.org_unit.name),
        row.reports.map((cell, i) => el("td", { "data-label": c.reporting[i].label, class: `state-${cell.state}` },
          el("span", { class: `pill ${cell.state}` }, cell.state_label), cell.late ? t("late") : "",
          cell.attachments ? ` · ${cell.attachments} ${t("files")}` : ""))))));
  }

  async function campaigns() {
    const res = await api("GET", `/api/activities/themed?org_unit=${encodeURIComponent(unitSel.value)}`);
    campSel.replaceChildren(...res.items.map((c) => el("option", { value: c.id }, `${c.name}（${c.org_unit.name}）`)));
    if (root.dataset.campaign && res.items.some((c) => String(c.id) === root.dataset.campaign)) campSel.value = root.dataset.campaign;
    if (!res.items.length) { statusBox.textContent = t("no campaigns"); document.getElementById("themed-board").replaceChildren(); return; }
    await board();
  }

  async function start() {
    const me = await api("GET", "/api/me");
    const units = [...new Map(me.positions.map((p) => [p.org_unit.code, p.org_unit])).values()];
    unitSel.replaceChildren(...units.map((u) => el("option", { value: u.code }, u.name)));
    if (root.dataset.unit && units.some((u) => u.code === root.dataset.unit)) unitSel.value = root.dataset.unit;
    unitSel.addEventListener("change", campaigns);
    campSel.addEventListener("change", board);
    await campaigns();
  }
  start().catch((err) => { statusBox.textContent = `${t("error")}: ${err.message}`; });
})();
