// One process instance: its stage among the stages, open tasks, incidents (its overseers),
// history and comments.
(function () {
  const { t, el, api, when } = window.VG;
  const { history } = window.VGForms;
  window.VG.add({ "open tasks": "待办任务", "no comments": "还没有评论", "started by": "发起人", running: "办理中",
    completed: "已办结", "stage of": "当前阶段", "write something": "请填写评论内容",
    incidents: "流程故障", "incident open": "未解决", "incident resolved": "已解决", retry: "重试",
    "at element": "环节", times: "次", "retry scheduled": "已重新安排，计时器稍后再次触发",
    "retry resolved": "已重新执行，故障已解决",
    "retry by completing": "该故障发生在办理任务时：任务已回到办理人的待办中，办理人修正后重新提交即重新执行。",
    "act incident.opened": "发生流程故障", "act incident.retried": "重试流程故障",
    "started here": "已发起。下一步由下列人员办理，您可在此查看进展。" },
  { "open tasks": "Open tasks", "no comments": "No comments yet", "started by": "Started by", running: "Running",
    completed: "Completed", "stage of": "Current stage", "write something": "Write something first",
    incidents: "Incidents", "incident open": "Open", "incident resolved": "Resolved", retry: "Retry",
    "at element": "Element", times: "×", "retry scheduled": "Scheduled: the timer fires again shortly",
    "retry resolved": "Run again: the incident is resolved",
    "retry by completing": "It failed on completing a task: the task is back in its holder's inbox; completing it again runs the step again.",
    "act incident.opened": "incident", "act incident.retried": "retried an incident",
    "started here": "Started. The next step is with the people below; follow its progress here." });
  const root = document.getElementById("instance");
  const id = root.dataset.instanceId;

  function stages(instance) {
    const list = instance.stages || [];
    if (!list.length) return null;
    const at = list.findIndex((s) => s.code === instance.stage);
    return el("ol", { class: "stages", "aria-label": t("stage of") }, list.map((s, i) => el("li", {
      class: i < at || instance.state === "completed" ? "done" : i === at ? "current" : "",
      "aria-current": i === at ? "step" : null }, (window.VG.locale === "en" && s.label_en) || s.label || s.code)));
  }
  // A step that failed in a script: where, what, how often; an overseer retries it after a fix.
  function incidents(list) {
    if (!list || !list.length) return [];
    const status = el("p", { class: "field-error", role: "alert", id: "incident-status" });
    return [el("h2", { id: "incidents-h" }, t("incidents")), el("ul", { class: "incident-list", "aria-labelledby": "incidents-h" },
      list.map((i) => el("li", { class: `incident ${i.state}` },
        el("span", { class: `badge ${i.state === "open" ? "late" : ""}` }, t(`incident ${i.state}`)), " ",
        el("strong", {}, i.error_class), " ",
        el("span", { class: "meta" }, `${t("at element")}${t("colon")}${i.element_id || "—"} · ${i.occurrences} ${t("times")} · ${when(i.last_occurred_at)}`),
        el("p", { class: "incident-message" }, i.localized || i.message),
        i.state === "open" ? el("button", { type: "button", class: "retry", onclick: async () => {
          status.textContent = "";
          try {
            const res = await api("POST", `/api/process-instances/${id}/incidents/${i.id}/retry`, {});
            await render();
            document.getElementById("incident-status")?.replaceChildren(t(`retry ${res.outcome}`));
          } catch (err) { status.textContent = err.status === 409 && i.cause === "task" ? t("retry by completing") : err.message; }
        } }, t("retry")) : null))), status];
  }
  async function render() {
    const inst = await api("GET", `/api/process-instances/${id}`);
    root.replaceChildren(...[
      new URLSearchParams(window.location.search).has("started")
        ? el("p", { class: "banner ok", role: "status" }, t("started here")) : null,
      el("h1", {}, window.VG.bilingual(inst.title) || inst.process_key),
      el("p", { class: "meta" }, [inst.org_unit.name, (window.VG.locale === "en" && inst.stage_label_en) || inst.stage_label, t(inst.state),
        `${t("started by")}${t("colon")}${inst.started_by_name || inst.started_by || "—"} ${when(inst.started_at)}`].filter(Boolean).join(" · ")),
      stages(inst),
      el("h2", {}, t("open tasks")),
      inst.open_tasks.length ? el("ul", { class: "task-list" }, inst.open_tasks.map((task) => el("li", { class: "task-row" + (task.overdue ? " overdue" : "") },
        el("a", { href: `/tasks/${task.id}`, class: "task-name" }, window.VG.en(task, "name")),
        el("span", { class: "meta" }, task.assignee_name || window.VG.roleName(task.role)),
        task.due_at ? el("span", { class: "due" }, window.VG.dueText(task)) : null)))
        : el("p", { class: "empty" }, "—"),
      ...incidents(inst.incidents),
      el("h2", {}, t("history")), history(inst.history),
    ].filter(Boolean));
  }
  async function comments() {
    const list = await api("GET", `/api/process-instances/${id}/comments`);
    const ol = document.getElementById("comment-list");
    ol.replaceChildren(...(list.items.length ? list.items.map((c) => el("li", { class: "comment" },
      el("p", { class: "meta" }, el("strong", {}, c.author_name), " ", el("time", { datetime: c.created_at }, when(c.created_at))),
      el("p", { class: "comment-body" }, c.body))) : [el("li", { class: "empty" }, t("no comments"))]));
  }
  document.getElementById("comment-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const box = document.getElementById("comment-body");
    const errBox = document.getElementById("comment-err");
    errBox.textContent = "";
    if (!box.value.trim()) { errBox.textContent = t("write something"); box.focus(); return; }
    try {
      await api("POST", `/api/process-instances/${id}/comments`, { body: box.value });
      box.value = "";
      await Promise.all([comments(), render()]);
    } catch (err) { errBox.textContent = `${t("error")}: ${err.message}`; }
  });
  render().catch((err) => { root.textContent = `${t("error")}: ${err.message}`; });
  comments().catch(() => {});
})();
