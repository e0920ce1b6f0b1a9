// The open incidents in my scope (steps that failed in a script; docs/security.md), with a retry
// button: on the designer's process list and on the monitor, in their (hidden) section
// #incidents, shown when there is something to show.
(function () {
  const { t, el, api, when } = window.VG;
  window.VG.add({ "inc: title": "流程故障（未解决）", "inc: process": "流程", "inc: unit": "组织", "inc: element": "环节",
    "inc: error": "错误", "inc: times": "次数", "inc: last": "最近一次", "inc: retry": "重试",
    "inc: scheduled": "已重新安排，计时器稍后再次触发", "inc: resolved": "已重新执行，故障已解决",
    "inc: by completing": "该故障发生在办理任务时：任务已回到办理人的待办中，办理人重新提交即重新执行。" },
  { "inc: title": "Open incidents", "inc: process": "Process", "inc: unit": "Unit", "inc: element": "Element",
    "inc: error": "Error", "inc: times": "Times", "inc: last": "Last", "inc: retry": "Retry",
    "inc: scheduled": "Scheduled: the timer fires again shortly", "inc: resolved": "Run again: the incident is resolved",
    "inc: by completing": "It failed on completing a task: the task is back in its holder's inbox; completing it again runs the step again." });
  async function show(boxId, message) {
    const { items } = await api("GET", "/api/incidents");
    const box = document.getElementById(boxId);
    box.hidden = !items.length && !message;
    const status = el("p", { class: "field-error", role: "alert", id: "incident-status" }, message || "");
    box.replaceChildren(el("h2", { id: "incidents-h" }, t("inc: title")), el("table", { class: "grid", id: "incident-table" },
      el("thead", {}, el("tr", {}, ["inc: process", "inc: unit", "inc: element", "inc: error", "inc: times", "inc: last", ""]
        .map((k) => el("th", {}, k ? t(k) : "")))),
      el("tbody", {}, items.map((i) => el("tr", { "data-incident": String(i.id) },
        el("td", {}, i.title ? `${i.title} ` : "", el("code", {}, `${i.process_key} v${i.version}`)),
        el("td", {}, i.org_unit_name || "—"),
        el("td", {}, el("code", {}, i.element_id || "—")),
        el("td", {}, el("strong", {}, i.error_class), el("div", { class: "incident-message" }, i.localized || i.message)),
        el("td", {}, String(i.occurrences)),
        el("td", {}, when(i.last_occurred_at)),
        el("td", { class: "row-actions" }, el("button", { type: "button", class: "secondary small retry", onclick: async () => {
          let said;
          try {
            const res = await api("POST", `/api/incidents/${i.id}/retry`, {});
            said = t(`inc: ${res.outcome}`);
          } catch (err) { said = err.status === 409 && i.cause === "task" ? t("inc: by completing") : err.message; }
          await show(boxId, said);
        } }, t("inc: retry"))))))), status);
  }
  if (document.getElementById("incidents")) show("incidents").catch(() => {});
})();
