// The overseer's actions (docs/oversight.md): on an instance page suspend, resume, withdraw a
// person, close a stage early, cancel (with the cascade count); on a task page hand the task to
// another person. Every action asks for a reason, which the history shows. The panel appears only
// for those who may act (the API answers 403 to others, and the panel stays hidden).
(function () {
  const { t, el, api } = window.VG;
  window.VG.add({
    "overseer actions": "督办操作", suspend: "暂停流程", resume: "恢复流程", cancel: "取消流程",
    withdraw: "撤出人员", "close stage": "提前结束阶段", reassign: "转办", reason: "理由（将记入办理记录）",
    "reason needed": "请填写理由", confirm: "确认", "confirm cancel": "确认取消",
    "cascade": "将同时取消下级的 {n} 个流程实例（如各支部的活动），已办结的不受影响。",
    "no cascade": "此流程没有下级流程实例。", person: "人员", "to person": "转办给", "pick": "请选择",
    "stage": "阶段", suspended: "已暂停", cancelled: "已取消", done: "已完成", "nobody": "没有可撤出的人员",
    "act instance.withdrawn": "撤出", "act instance.cancelled": "取消流程", "act instance.suspended": "暂停流程",
    "act instance.resumed": "恢复流程", "act task.reassigned": "转办任务", "act instance.migrated": "迁移到新版本",
    "act campaign.appraisal_decided": "决定评议结果", "act campaign.appraisal_published": "公布评议结果",
    "act campaign.appraisal_short": "参评人数不足", "act timer.fired": "定时触发",
    "act campaign.launch_requested": "发起活动分发", "act campaign.launched": "活动已分发到各支部",
    "suspended note": "流程已暂停：任务暂不能办理，截止时间暂停计时。",
  }, {
    "overseer actions": "Overseer actions", suspend: "Suspend", resume: "Resume", cancel: "Cancel the process",
    withdraw: "Withdraw a person", "close stage": "Close a stage early", reassign: "Reassign",
    reason: "Reason (kept in the history)", "reason needed": "Give a reason", confirm: "Confirm",
    "confirm cancel": "Confirm cancellation",
    "cascade": "This also cancels {n} process instance(s) below it (e.g. the branches' runs); finished ones stay.",
    "no cascade": "No process instance runs below this one.", person: "Person", "to person": "Hand to",
    pick: "Choose", stage: "Stage", suspended: "Suspended", cancelled: "Cancelled", done: "Done",
    nobody: "Nobody to withdraw", "act instance.withdrawn": "withdrew", "act instance.cancelled": "cancelled the process",
    "act instance.suspended": "suspended the process", "act instance.resumed": "resumed the process",
    "act task.reassigned": "reassigned a task", "act instance.migrated": "moved to a new version",
    "act campaign.appraisal_decided": "decided on the appraisal", "act campaign.appraisal_published": "appraisal published",
    "act campaign.appraisal_short": "too few raters", "act timer.fired": "timer fired",
    "act campaign.launch_requested": "asked for the launch", "act campaign.launched": "launched to the branches",
    "suspended note": "The process is suspended: its tasks wait and its deadlines do not run.",
  });

  // One action: its fields, a reason box and a confirm button that is disabled while it runs.
  function form(title, fields, submit, confirmLabel) {
    const reason = el("textarea", { rows: 2, maxlength: 1000, required: true, "aria-label": t("reason") });
    const error = el("p", { class: "field-error", role: "alert" });
    const button = el("button", { type: "submit", class: "primary" }, confirmLabel || t("confirm"));
    const node = el("form", { class: "oversight-form", "data-action": title, novalidate: true },
      el("h3", {}, t(title)), ...fields, el("label", {}, t("reason"), reason), error, el("div", { class: "actions" }, button));
    node.addEventListener("submit", async (e) => {
      e.preventDefault();
      error.textContent = "";
      if (reason.value.trim().length < 2) { error.textContent = t("reason needed"); reason.focus(); return; }
      button.disabled = true;  // one click, one action
      try { await submit(reason.value.trim()); } catch (err) { error.textContent = `${t("error")}: ${err.message}`; }
      button.disabled = false;
    });
    return node;
  }

  function select(labelKey, options) {
    const box = el("select", { required: true }, el("option", { value: "" }, t("pick")),
      ...options.map(([value, text]) => el("option", { value }, text)));
    return [el("label", {}, t(labelKey), box), box];
  }

  function panel(...children) {
    return el("section", { class: "card oversight", id: "oversight", "aria-labelledby": "oversight-h" },
      el("h2", { id: "oversight-h" }, t("overseer actions")), ...children);
  }

  function toggle(forms) {
    const bar = el("div", { class: "actions oversight-buttons" });
    const holder = el("div");
    for (const [key, build] of forms) {
      bar.append(el("button", { type: "button", class: "secondary", "data-open": key, onclick: async () => {
        holder.replaceChildren(await build());
        const first = holder.querySelector("select, textarea");
        if (first) first.focus();
      } }, t(key)));
    }
    return [bar, holder];
  }

  async function instancePanel(anchor, id) {
    let participants;
    try { participants = (await api("GET", `/api/process-instances/${id}/participants`)).items; }
    catch (err) { return; }  // not an overseer of this instance
    const inst = await api("GET", `/api/process-instances/${id}`);
    const base = `/api/process-instances/${id}`;
    const done = () => window.location.reload();
    const post = (action, body) => api("POST", `${base}/${action}`, body).then(done);
    const forms = [];
    if (inst.state === "running") {
      forms.push(["suspend", () => form("suspend", [], (reason) => post("suspend", { reason }))]);
      if (participants.length) {
        forms.push(["withdraw", () => {
          const seen = new Map(participants.map((p) => [p.person, p.name || p.person]));
          const [field, box] = select("person", [...seen.entries()]);
          return form("withdraw", [field], (reason) => post("withdraw", { person: box.value, reason }));
        }]);
      }
      if (participants.length && (inst.stages || []).length) {
        forms.push(["close stage", () => {
          const [field, box] = select("stage", inst.stages.map((s) => [s.code, s.label || s.code]));
          return form("close stage", [field], (reason) => post("close-stage", { stage: box.value, reason }));
        }]);
      }
    }
    if (inst.state === "suspended") forms.push(["resume", () => form("resume", [], (reason) => post("resume", { reason }))]);
    if (inst.state === "running" || inst.state === "suspended") {
      forms.push(["cancel", async () => {
        const dry = await api("POST", `${base}/cancel`, { reason: "preview", dry_run: true });
        const note = el("p", { class: "banner warning", "data-cascade": dry.cascade },
          dry.cascade ? t("cascade", { n: dry.cascade }) : t("no cascade"));
        return form("cancel", [note], (reason) => post("cancel", { reason }), t("confirm cancel"));
      }]);
    }
    if (!forms.length) return;
    const note = inst.state === "suspended" ? el("p", { class: "banner", role: "status" }, t("suspended note")) : null;
    anchor.after(panel(note, ...toggle(forms)));
  }

  async function taskPanel(anchor, id) {
    const task = await api("GET", `/api/tasks/${id}`);
    if (!task.actions.includes("reassign")) return;
    const [bar, holder] = toggle([["reassign", async () => {
      const people = (await api("GET", `/api/tasks/${id}/eligible`)).items.filter((p) => !p.current);
      const [field, box] = select("to person", people.map((p) => [p.username, p.name]));
      return form("reassign", [field], async (reason) => {
        await api("POST", `/api/tasks/${id}/reassign`, { to: box.value, reason });
        window.location.reload();
      });
    }]]);
    anchor.after(panel(bar, holder));
  }

  const instance = document.getElementById("instance");
  const task = document.getElementById("task");
  if (instance) instancePanel(instance, instance.dataset.instanceId).catch(() => {});
  if (task) taskPanel(task, task.dataset.taskId).catch(() => {});
})();
