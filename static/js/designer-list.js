// The designer's start page: every deployed process, with links to edit it and to its versions,
// and the open incidents of every process (steps that failed in a script; docs/security.md).
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
  async function incidents(message) {
    const { items } = await api("GET", "/api/incidents");
    const box = document.getElementById("incidents");
    box.hidden = !items.length && !message;
    const status = el("p", { class: "field-error", role: "alert", id: "incident-status" }, message || "");
    box.replaceChildren(el("h2", { id: "incidents-h" }, t("inc: title")), el("table", { class: "grid", id: "incident-table" },
      el("thead", {}, el("tr", {}, ["inc: process", "inc: unit", "inc: element", "inc: error", "inc: times", "inc: last", ""]
        .map((k) => el("th", {}, k ? t(k) : "")))),
      el("tbody", {}, items.map((i) => el("tr", { "data-incident": String(i.id) },
        el("td", {}, i.title ? `${i.title} ` : "", el("code", {}, `${i.process_key} v${i.version}`)),
        el("td", {}, i.org_unit_name || "—"),
        el("td", {}, el("code", {}, i.element_id || "—")),
        el("td", {}, el("strong", {}, i.error_class), el("div", { class: "incident-message" }, i.message)),
        el("td", {}, String(i.occurrences)),
        el("td", {}, when(i.last_occurred_at)),
        el("td", { class: "row-actions" }, el("button", { type: "button", class: "secondary small retry", onclick: async () => {
          let said;
          try {
            const res = await api("POST", `/api/process-instances/${i.instance_id}/incidents/${i.id}/retry`, {});
            said = t(`inc: ${res.outcome}`);
          } catch (err) { said = err.status === 409 && i.cause === "task" ? t("inc: by completing") : err.message; }
          await incidents(said);
        } }, t("inc: retry"))))))), status);
  }
  async function load() {
    const { items } = await api("GET", "/api/process-definitions");
    const body = document.querySelector("#process-table tbody");
    body.replaceChildren(...items.map((d) => el("tr", { "data-key": d.key },
      el("td", {}, d.name),
      el("td", {}, el("code", {}, d.key)),
      el("td", {}, String(d.version)),
      el("td", {}, `${when(d.deployed_at)}${d.deployed_by ? " · " + d.deployed_by : ""}`),
      el("td", { class: "row-actions" },
        el("a", { href: `/designer/${encodeURIComponent(d.key)}`, class: "button secondary small" }, t("list: edit")),
        el("a", { href: `/designer/${encodeURIComponent(d.key)}/versions`, class: "button secondary small" }, t("list: versions"))))));
    document.getElementById("no-processes").hidden = items.length > 0;
  }
  incidents().catch(() => {});
  load().catch((err) => { document.querySelector("#process-table tbody").replaceChildren(el("tr", {}, el("td", { colspan: 5 }, `${t("error")}: ${err.message}`))); });
})();
