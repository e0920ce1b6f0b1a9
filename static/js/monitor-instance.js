// One instance on its diagram: completed / active / overdue elements, its tasks, its history.
(function () {
  const { t, el, api, when } = window.VG;
  const root = document.getElementById("monitor-instance");
  const id = root.dataset.instanceId;

  async function start() {
    const data = await api("GET", `/api/monitoring/instances/${id}`);
    const i = data.instance;
    document.getElementById("mi-title").textContent = `#${i.id} ${i.title || ""}`;
    document.getElementById("mi-meta").textContent = [
      `${data.process_key} v${data.version}`, i.org_unit.name, t(`state: ${i.state}`),
      i.stage_label ? `${t("stage")}: ${i.stage_label}` : null,
      `${t("monitor: started")} ${when(i.started_at)}${i.started_by ? " · " + i.started_by : ""}`,
    ].filter(Boolean).join(" · ");
    const res = await fetch(data.bpmn_url, { credentials: "same-origin" });
    const viewer = new window.BpmnJS({ container: document.getElementById("mi-canvas") });
    await viewer.importXML(await res.text());
    const canvas = viewer.get("canvas");
    canvas.zoom("fit-viewport", "auto");
    let resizing = null;
    window.addEventListener("resize", () => {  // a turned phone, a resized window: fit again
      window.clearTimeout(resizing);
      resizing = window.setTimeout(() => { canvas.resized(); canvas.zoom("fit-viewport", "auto"); }, 150);
    });
    const registry = viewer.get("elementRegistry");
    const overlays = viewer.get("overlays");
    const rows = [];
    for (const [elementId, info] of Object.entries(data.elements)) {
      if (registry.get(elementId)) {
        canvas.addMarker(elementId, `vg-${info.state}`);
        const open = info.tasks.filter((x) => x.state === "open");
        if (open.length) {
          const due = open.map((x) => x.due_at).filter(Boolean).sort()[0];
          overlays.add(elementId, "vg-state", { position: { bottom: -6, left: 0 }, html: el("div",
            { class: `vg-state-badge ${info.state}`, "data-element": elementId },
            t(`monitor state: ${info.state}`), open[0].assignee ? ` · ${open[0].assignee}` : "",
            due ? el("br") : null, due ? `${t("due")} ${when(due)}` : null) });
        }
      }
      for (const task of info.tasks) {
        rows.push(el("tr", { class: task.overdue ? "overdue" : "", "data-element": elementId },
          el("td", {}, task.name), el("td", {}, task.overdue ? t("overdue") : t(`task state: ${task.state}`)),
          el("td", {}, task.assignee || window.VG.roleName(task.role)), el("td", {}, when(task.created_at)),
          el("td", {}, when(task.due_at)), el("td", {}, when(task.completed_at))));
      }
    }
    document.querySelector("#mi-tasks tbody").replaceChildren(...rows);
    document.getElementById("mi-history").replaceChildren(...data.history.map((h) => el("li", {},
      el("time", {}, when(h.at)), " ", t(`audit: ${h.action}`), h.actor_name ? ` · ${h.actor_name}` : "",
      h.details && h.details.element_id ? ` · ${h.details.element_id}` : "")));
    root.dataset.state = "ready";
  }

  start().catch((err) => { document.getElementById("mi-meta").textContent = `${t("error")}: ${err.message}`; root.dataset.state = "failed"; });
})();
