(function () {
  const { t, el, api, when } = window.VG;
  let scope = "mine";
  function status(text) {
    let box = document.getElementById("inbox-status");
    if (!box) {
      box = el("p", { id: "inbox-status", class: "banner error", role: "alert" });
      document.getElementById("task-list").before(box);
    }
    box.textContent = text;
    box.hidden = !text;
  }
  function load() {
    return fill().catch((err) => { if (err.status !== 401) status(`${t("error")}: ${err.message}`); });
  }
  async function fill() {
    const [list, counts] = await Promise.all([
      api("GET", `/api/tasks?scope=${scope}&sort=due&limit=100`), api("GET", "/api/tasks/counts"),
    ]);
    document.getElementById("count-mine").textContent = counts.mine;
    document.getElementById("count-claimable").textContent = counts.claimable;
    const ul = document.getElementById("task-list");
    ul.replaceChildren(...list.items.map(row));
    document.getElementById("empty").hidden = list.items.length > 0;
  }
  function row(task) {
    const actions = [];
    if (scope === "claimable") {
      actions.push(el("button", { class: "secondary", onclick: async (e) => {
        e.preventDefault();
        e.target.disabled = true;
        try { await api("POST", `/api/tasks/${task.id}/claim`, {}); }
        catch (err) { status(`${t("error")}: ${err.message}`); }  // e.g. someone else claimed it first
        load();
      } }, t("claim")));
    }
    return el("li", { class: "task-row" + (task.overdue ? " overdue" : ""), "data-task-id": task.id },
      el("a", { href: `/tasks/${task.id}`, class: "task-name" }, task.name),
      el("span", { class: "meta" }, [task.instance_title, task.org_unit.name, task.stage_label].filter(Boolean).join(" · ")),
      task.due_at ? el("span", { class: "due" }, `${task.overdue ? t("overdue") : t("due")} ${when(task.due_at)}`) : null,
      ...actions);
  }
  document.querySelectorAll("[data-scope]").forEach((tab) => tab.addEventListener("click", () => {
    scope = tab.dataset.scope;
    status("");
    document.querySelectorAll("[data-scope]").forEach((x) => x.setAttribute("aria-selected", String(x === tab)));
    load();
  }));
  load();
})();
