// The working-day calendar (org_admin): a year's months with holidays, make-up workdays and
// overridden days; pick a day (mouse or keyboard) to set or remove an override.
(function () {
  const { t, el, api } = window.VG;
  window.VG.add({
    kind_workday: "工作日", kind_weekend: "周末", kind_holiday: "节假日", kind_makeup_workday: "调休上班",
    estimated: "（本年度为估算，尚无官方安排）", "special days": "{n} 个特殊日期", saved: "已保存", removed: "已撤销",
    overridden: "已调整", weekdays: "一,二,三,四,五,六,日", month: "{m}月", date: "日期", kind: "类型", name: "名称",
    "no override": "这一天没有调整",
  }, {
    kind_workday: "Working day", kind_weekend: "Weekend", kind_holiday: "Holiday", kind_makeup_workday: "Make-up workday",
    estimated: "(estimated: no official schedule for this year yet)", "special days": "{n} special days", saved: "Saved",
    removed: "Removed", overridden: "overridden", weekdays: "Mo,Tu,We,Th,Fr,Sa,Su", month: "Month {m}", date: "Date",
    kind: "Kind", name: "Name", "no override": "This day has no override",
  });
  const root = document.getElementById("calendar");
  const yearInput = document.getElementById("cal-year");
  const edit = document.getElementById("cal-edit");
  const msg = document.getElementById("cal-msg");
  let special = new Map();
  let selected = null;
  const iso = (y, m, d) => `${y}-${String(m).padStart(2, "0")}-${String(d).padStart(2, "0")}`;

  function info(day) {
    if (special.has(day)) return special.get(day);
    const dow = new Date(`${day}T00:00:00Z`).getUTCDay();
    return { date: day, working: dow !== 0 && dow !== 6, kind: dow === 0 || dow === 6 ? "weekend" : "workday", name: null, overridden: false };
  }
  function month(year, m) {
    const first = new Date(Date.UTC(year, m - 1, 1));
    const days = new Date(Date.UTC(year, m, 0)).getUTCDate();
    const lead = (first.getUTCDay() + 6) % 7;
    const cells = [];
    for (let i = 0; i < lead; i++) cells.push(el("span", { class: "day blank", "aria-hidden": "true" }));
    for (let d = 1; d <= days; d++) {
      const day = iso(year, m, d);
      const x = info(day);
      // The accessible name starts with the visible day number (WCAG 2.5.3, label in name).
      const label = `${d} (${day}) ${t("kind_" + x.kind)}${x.name ? " " + x.name : ""}${x.overridden ? " " + t("overridden") : ""}`;
      cells.push(el("button", { type: "button", class: `day ${x.kind}${x.overridden ? " overridden" : ""}${day === selected ? " selected" : ""}`,
        "data-day": day, title: label, "aria-label": label, "aria-pressed": String(day === selected),
        onclick: () => pick(day), onkeydown: (e) => move(e, day) }, String(d)));
    }
    return el("section", { class: "month" }, el("h3", {}, t("month", { m })),
      el("div", { class: "days" }, t("weekdays").split(",").map((w) => el("span", { class: "dow", "aria-hidden": "true" }, w)), cells));
  }
  function move(e, day) {
    const step = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -7, ArrowDown: 7 }[e.key];
    if (!step) return;
    e.preventDefault();
    const next = new Date(`${day}T00:00:00Z`);
    next.setUTCDate(next.getUTCDate() + step);
    const target = document.querySelector(`[data-day="${next.toISOString().slice(0, 10)}"]`);
    if (target) target.focus();
  }
  function pick(day) {
    selected = day;
    document.querySelectorAll(".day.selected").forEach((b) => { b.classList.remove("selected"); b.setAttribute("aria-pressed", "false"); });
    const button = document.querySelector(`[data-day="${day}"]`);
    if (button) { button.classList.add("selected"); button.setAttribute("aria-pressed", "true"); }
    const x = info(day);
    // The panel opens where the user clicked: under the day's month on a phone (one column),
    // beside the months and following the scroll on a wide screen (position: sticky).
    const layout = document.querySelector(".cal-layout");
    if (button && window.matchMedia("(max-width: 720px)").matches) button.closest(".month").after(edit);
    else if (edit.parentElement !== layout) layout.append(edit);
    edit.hidden = false;
    document.getElementById("cal-day").textContent = day;
    document.getElementById("cal-now").textContent = `${t("kind_" + x.kind)}${x.name ? " · " + x.name : ""}${x.overridden ? " · " + t("overridden") : ""}`;
    edit.elements.working.value = String(x.working);
    edit.elements.note.value = x.overridden ? (x.name || "") : "";
    document.getElementById("cal-remove").disabled = !x.overridden;
    msg.textContent = "";
  }
  async function load() {
    const year = Number(yearInput.value);
    const data = await api("GET", `/api/calendar?year=${year}`);
    special = new Map(data.days.map((d) => [d.date, d]));
    document.getElementById("cal-summary").textContent =
      `${t("special days", { n: data.days.length })} ${data.estimated ? t("estimated") : ""}`;
    document.getElementById("cal-months").replaceChildren(...Array.from({ length: 12 }, (_, i) => month(year, i + 1)));
    document.getElementById("cal-list").replaceChildren(
      el("thead", {}, el("tr", {}, el("th", { scope: "col" }, t("date")), el("th", { scope: "col" }, t("kind")), el("th", { scope: "col" }, t("name")))),
      el("tbody", {}, data.days.map((d) => el("tr", { class: d.overridden ? "overridden" : "" }, el("td", {}, d.date),
        el("td", {}, t("kind_" + d.kind) + (d.overridden ? ` (${t("overridden")})` : "")), el("td", {}, d.name || "")))));
    const u = new URL(window.location.href);
    u.searchParams.set("year", String(year));
    window.history.replaceState(null, "", u);
  }
  edit.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      await api("PUT", `/api/calendar/overrides/${selected}`, { working: edit.elements.working.value === "true",
        note: edit.elements.note.value, official: document.getElementById("cal-official").checked });
      await load(); pick(selected);
      msg.textContent = t("saved"); msg.className = "banner ok";
    } catch (err) { msg.textContent = `${t("error")}: ${err.message}`; msg.className = "banner error"; }
  });
  document.getElementById("cal-remove").addEventListener("click", async () => {
    try {
      await api("DELETE", `/api/calendar/overrides/${selected}`);
      await load(); pick(selected);
      msg.textContent = t("removed"); msg.className = "banner ok";
    } catch (err) { msg.textContent = err.status === 404 ? t("no override") : `${t("error")}: ${err.message}`; msg.className = "banner error"; }
  });
  document.getElementById("cal-pick").addEventListener("submit", (e) => { e.preventDefault(); load(); });
  yearInput.addEventListener("change", () => load());
  yearInput.value = root.dataset.year || String(new Date().getFullYear());
  load().catch((err) => { document.getElementById("cal-months").textContent = `${t("error")}: ${err.message}`; });
})();
