// Start a process: the processes I may start (their ``starter`` roles), the unit, the start form.
(function () {
  const { t, el, api } = window.VG;
  const F = window.VGForms;
  window.VG.add({ "nothing to start": "您暂无可发起的流程", "started": "已发起" },
    { "nothing to start": "There is no process you may start", "started": "Started" });
  const root = document.getElementById("start");
  const form = document.getElementById("start-form");
  const processSel = document.getElementById("start-process");
  const unitSel = document.getElementById("start-unit");
  const box = document.getElementById("start-fields");
  const banner = document.getElementById("start-banner");
  let defs = []; let positions = []; let schema = null; let myName = null;
  // Processes that only the system or a parent process starts.
  const INTERNAL = new Set(["vanguard_campaign_branch"]);

  const rolesOf = (d) => (d.starter ? d.starter.split("|").map((r) => r.trim().split("@")[0]) : null);
  function units(def) {
    const roles = rolesOf(def);
    const seen = new Map();
    for (const p of positions) if (!roles || roles.includes(p.role)) seen.set(p.org_unit.id, p.org_unit);
    return [...seen.values()];
  }
  async function pick() {
    const def = defs.find((d) => d.key === processSel.value);
    unitSel.replaceChildren(...(def ? units(def) : []).map((u) => el("option", { value: u.id }, u.name)));
    schema = null;
    box.replaceChildren();
    if (def && def.start_form) {
      const full = await api("GET", `/api/process-definitions/${encodeURIComponent(def.key)}`);
      schema = (full.forms || {})[def.start_form] || null;
      box.replaceChildren(...F.fields(schema, {}, { unit: unitSel.value }));
    }
  }
  async function init() {
    const [list, meInfo] = await Promise.all([api("GET", "/api/process-definitions"), api("GET", "/api/me")]);
    positions = meInfo.positions; myName = meInfo.username;
    defs = list.items.filter((d) => !INTERNAL.has(d.key) && units(d).length > 0);
    if (!defs.length) { root.replaceChildren(el("h1", {}, t("nothing to start"))); return; }
    processSel.replaceChildren(...defs.map((d) => el("option", { value: d.key }, window.VG.bilingual(d.name) || d.key)));
    if (defs.some((d) => d.key === root.dataset.process)) processSel.value = root.dataset.process;
    await pick();
  }
  async function firstStepOfMine(tasks) {
    const own = tasks.find((task) => task.assignee === myName);
    if (own) return own;
    for (const task of tasks.filter((x) => !x.assignee)) {
      try {
        const detail = await api("GET", `/api/tasks/${task.id}`);
        if (detail.actions.includes("claim") || detail.actions.includes("complete")) return task;
      } catch (err) { /* not mine to see */ }
    }
    return null;
  }
  processSel.addEventListener("change", () => pick());
  // Person pickers list the people of the unit chosen: another unit, other people.
  unitSel.addEventListener("change", () => {
    if (schema) box.replaceChildren(...F.fields(schema, F.collect(box), { unit: unitSel.value }));
  });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    F.clearErrors(form);
    const button = document.getElementById("start-submit");
    button.disabled = true;
    try {
      const inst = await api("POST", "/api/process-instances", {
        process_key: processSel.value, org_unit: Number(unitSel.value), data: F.collect(box) });
      banner.hidden = false; banner.className = "banner ok"; banner.textContent = t("started");
      // A first step I may do (mine, or offered to a role I hold) opens at once; a step waiting
      // for someone else: the instance, where it shows.
      const mine = await firstStepOfMine(inst.open_tasks || []);
      window.location.href = mine ? `/tasks/${mine.id}?started=1` : `/instances/${inst.id}?started=1`;
      return;
    } catch (err) {
      banner.hidden = false; banner.className = "banner error";
      banner.textContent = err.status === 422 ? t("fix the fields") : `${t("error")}: ${err.message}`;
      if (!F.showErrors(form, schema, err)) {
        // Nothing to mark beside a field: say what the server said.
        if (err.status === 422) banner.textContent = `${t("fix the fields")}: ${err.message}`;
        banner.scrollIntoView({ block: "center" });
      }
    }
    button.disabled = false;
  });
  init().catch((err) => { root.textContent = `${t("error")}: ${err.message}`; });
})();
