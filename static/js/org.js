// The organisation page (org_admin): the tree (create, rename, move, appoint a secretary), a
// person's positions (transfer, deactivate) and the roster import with its dry-run report.
(function () {
  const { t, el, api } = window.VG;
  window.VG.add({
    district: "区委", party_committee: "党委/党工委", general_branch: "党总支", branch: "党支部", party_group: "党小组",
    member: "党员", activist: "入党积极分子", development_candidate: "发展对象", secretary: "书记",
    deputy_secretary: "副书记", committee_member: "委员", group_leader: "党小组长", contact: "联络员",
    org_admin: "组织管理员", masses_rep: "群众代表", designer: "流程设计员",
    people: "{n} 人", rename: "改名", move: "移动", appoint: "任命书记", transfer: "转接组织关系", deactivate: "停用",
    "rename title": "修改 {name} 的名称", "move title": "把 {name} 移到其他上级组织下",
    "move what": "下级组织随之移动；进行中的任务按新的上级重新确定办理人。",
    "appoint title": "任命 {name} 的新书记", "appoint what": "现任书记的任职到前一天结束；提供给书记的任务立即转给新书记，原书记已认领的退回待认领。",
    "transfer title": "转接 {name} 的组织关系", "transfer what": "原支部中等他办理的事项（承诺、评议等）撤回并记录原因，流程不再等他；从下一轮起参加新支部的工作。",
    "deactivate title": "停用 {name}", "deactivate what": "结束其全部职务，撤回等他办理的事项，并且不能再登录。",
    "new name": "新名称", "new parent": "新的上级组织", "new secretary": "新书记（用户名）", "to unit": "转入组织",
    reason: "原因（记入审计记录）", "reason required": "请填写原因", done: "已完成", created: "已新建 {name}",
    role: "职务", unit: "组织", from: "开始", to: "结束", current: "现任", ended: "已结束", inactive: "已停用",
    "withdrawn": "已撤回 {n} 项进行中的事项", "reassigned": "{n} 项任务转给书记", "left open": "{n} 项任务无人接手，请督办人处理",
    checking: "正在检查…", importing: "正在导入…", "choose a file": "请选择花名册文件",
    "report": "共 {rows} 行：新建 {created}，更新 {updated}，不变 {unchanged}",
    "no errors": "检查通过，可以导入。", "has errors": "发现 {n} 处问题，未写入任何数据：", imported: "导入完成。",
    row: "行", column: "列", problem: "问题",
  }, {
    district: "District committee", party_committee: "Party committee", general_branch: "General branch",
    branch: "Branch", party_group: "Party group",
    member: "Member", activist: "Activist", development_candidate: "Development candidate", secretary: "Secretary",
    deputy_secretary: "Deputy secretary", committee_member: "Committee member", group_leader: "Group leader",
    contact: "Contact", org_admin: "Organisation admin", masses_rep: "Masses representative", designer: "Process designer",
    people: "{n} people", rename: "Rename", move: "Move", appoint: "Appoint secretary", transfer: "Transfer",
    deactivate: "Deactivate", "rename title": "Rename {name}", "move title": "Move {name} under another unit",
    "move what": "The units below move with it; open tasks get the people their roles now name.",
    "appoint title": "Appoint the new secretary of {name}",
    "appoint what": "The current secretary's appointment ends the day before; tasks offered to the secretary go to the new one at once, tasks the old one had claimed go back to the pool.",
    "transfer title": "Transfer {name} to another branch",
    "transfer what": "What the old branch waits for from him (pledge, appraisal...) is withdrawn with the reason and the processes stop waiting; he joins the new branch's work from its next round.",
    "deactivate title": "Deactivate {name}", "deactivate what": "Every position ends, what waits for him is withdrawn, and he can no longer log in.",
    "new name": "New name", "new parent": "New parent unit", "new secretary": "New secretary (username)",
    "to unit": "Join unit", reason: "Reason (recorded in the audit trail)", "reason required": "Please give a reason",
    done: "Done", created: "Created {name}", role: "Role", unit: "Unit", from: "From", to: "To", current: "current",
    ended: "ended", inactive: "inactive", withdrawn: "{n} running items withdrawn", reassigned: "{n} tasks handed to the secretary",
    "left open": "{n} tasks have nobody to take them: an overseer decides", checking: "Checking…", importing: "Importing…",
    "choose a file": "Choose a roster file", report: "{rows} rows: {created} new, {updated} updated, {unchanged} unchanged",
    "no errors": "No problems: you can import it.", "has errors": "{n} problems found; nothing was written:",
    imported: "Imported.", row: "Row", column: "Column", problem: "Problem",
  });
  const CHILDREN = { district: ["party_committee", "general_branch", "branch"], party_committee: ["party_committee", "general_branch", "branch"],
    general_branch: ["branch"], branch: ["party_group"], party_group: [] };
  const tree = document.getElementById("org-tree");
  const parentSelect = document.getElementById("new-parent");
  const typeSelect = document.getElementById("new-type");
  const dialog = document.getElementById("org-dialog");
  const fields = document.getElementById("org-dialog-fields");
  const dialogMsg = document.getElementById("org-dialog-msg");
  const confirm = document.getElementById("org-dialog-confirm");
  let units = [];
  let pending = null;

  function option(value, text, selected) { return el("option", { value, selected: selected || null }, text); }
  function fillTypes() {
    const parent = units.find((u) => String(u.id) === parentSelect.value);
    typeSelect.replaceChildren(...(parent ? CHILDREN[parent.type] : []).map((k) => option(k, t(k))));
  }
  function renderTree() {
    tree.replaceChildren(...units.map((u) => el("li", { "data-code": u.code, style: `--depth:${u.depth}` },
      el("span", { class: "unit-name" }, u.name), " ",
      el("span", { class: "meta" }, `${t(u.type)} · ${u.code} · ${t("people", { n: u.people })}`),
      el("span", { class: "actions" },
        el("button", { type: "button", class: "link", onclick: () => open("rename", u) }, t("rename")),
        u.depth > 0 ? el("button", { type: "button", class: "link", onclick: () => open("move", u) }, t("move")) : null,
        el("button", { type: "button", class: "link", onclick: () => open("appoint", u) }, t("appoint"))))));
    const keep = parentSelect.value;
    parentSelect.replaceChildren(...units.filter((u) => CHILDREN[u.type].length)
      .map((u) => option(u.id, `${"　".repeat(u.depth)}${u.name}`, String(u.id) === keep)));
    fillTypes();
  }
  async function loadTree() { units = (await api("GET", "/api/org-units")).items; renderTree(); }

  function input(id, label, attrs) { return el("label", { for: id }, label, el("input", { id, ...attrs })); }
  function reasonField() { return el("label", { for: "org-reason" }, t("reason"), el("textarea", { id: "org-reason", maxlength: "500" })); }
  function open(kind, subject) {
    pending = { kind, subject };
    const name = subject.name || subject.display_name;
    document.getElementById("org-dialog-title").textContent = t(`${kind} title`, { name });
    document.getElementById("org-dialog-what").textContent = t(`${kind} what`) === `${kind} what` ? "" : t(`${kind} what`);
    const parts = [];
    if (kind === "rename") parts.push(input("org-name", t("new name"), { value: subject.name, maxlength: "200" }));
    if (kind === "move" || kind === "transfer") {
      const allowed = kind === "move" ? units.filter((u) => CHILDREN[u.type].includes(subject.type) && !u.path.startsWith(subject.path))
        : units.filter((u) => u.type === "branch" || u.type === "party_group");
      const select = el("select", { id: "org-target" }, allowed.map((u) => option(u.code, `${"　".repeat(u.depth)}${u.name}`)));
      parts.push(el("label", { for: "org-target" }, t(kind === "move" ? "new parent" : "to unit"), select));
    }
    if (kind === "appoint") parts.push(input("org-person", t("new secretary"), { maxlength: "64", autocomplete: "off" }));
    if (kind !== "rename") parts.push(reasonField());
    fields.replaceChildren(...parts);
    dialogMsg.replaceChildren(); confirm.hidden = false;
    dialog.showModal();
  }
  const value = (id) => (document.getElementById(id) ? document.getElementById(id).value.trim() : "");
  document.getElementById("org-dialog-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!pending) return;
    const { kind, subject } = pending;
    const reason = value("org-reason");
    if (kind !== "rename" && kind !== "move" && !reason) { dialogMsg.textContent = t("reason required"); return; }
    try {
      let result = null;
      if (kind === "rename") result = await api("PATCH", `/api/org-units/${subject.id}`, { name: value("org-name") });
      if (kind === "move") result = await api("PATCH", `/api/org-units/${subject.id}`, { parent: value("org-target"), reason });
      if (kind === "appoint") result = await api("POST", `/api/org-units/${subject.id}/appointments`, { person: value("org-person"), reason });
      const who = encodeURIComponent(subject.username || "");
      if (kind === "transfer") result = await api("POST", `/api/people/${who}/transfer`, { to_unit: value("org-target"), reason });
      if (kind === "deactivate") result = await api("POST", `/api/people/${who}/deactivate`, { reason });
      confirm.hidden = true; pending = null;
      const lines = [t("done")];
      if (result && result.withdrawn) {
        lines.push(t("withdrawn", { n: result.withdrawn.length }));
        if (result.reassigned.length) lines.push(t("reassigned", { n: result.reassigned.length }));
        if (result.left_open.length) lines.push(t("left open", { n: result.left_open.length }));
      }
      dialogMsg.textContent = lines.join("；");
      await loadTree();
      if (subject.username) await showPerson(subject.username);
    } catch (err) { dialogMsg.textContent = err.message; }
  });
  document.getElementById("org-dialog-cancel").addEventListener("click", () => { pending = null; dialog.close(); });

  parentSelect.addEventListener("change", fillTypes);
  document.getElementById("org-new-unit").addEventListener("submit", async (event) => {
    event.preventDefault();
    const msg = document.getElementById("new-unit-msg");
    try {
      const unit = await api("POST", "/api/org-units", { parent: Number(parentSelect.value), type: typeSelect.value,
        code: value("new-code"), name: value("new-name") });
      msg.textContent = t("created", { name: unit.name });
      document.getElementById("new-code").value = ""; document.getElementById("new-name").value = "";
      await loadTree();
    } catch (err) { msg.textContent = err.message; }
  });

  const personView = document.getElementById("person-view");
  async function showPerson(username) {
    try {
      const p = await api("GET", `/api/people/${encodeURIComponent(username)}`);
      personView.replaceChildren(
        el("h3", {}, `${p.display_name}（${p.username}）`, p.active ? null : el("span", { class: "badge" }, t("inactive"))),
        el("div", { class: "table-wrap" }, el("table", { class: "grid", id: "person-positions" },
          el("thead", {}, el("tr", {}, ["role", "unit", "from", "to"].map((h) => el("th", { scope: "col" }, t(h))))),
          el("tbody", {}, p.positions.map((x) => el("tr", { class: x.active ? "" : "ended" },
            el("td", {}, t(x.role)), el("td", {}, x.org_unit.name), el("td", {}, x.start || ""),
            el("td", {}, x.end || (x.active ? t("current") : ""))))))),
        p.active ? el("div", { class: "actions" },
          el("button", { type: "button", class: "secondary", onclick: () => open("transfer", p) }, t("transfer")),
          el("button", { type: "button", class: "secondary danger", onclick: () => open("deactivate", p) }, t("deactivate"))) : null);
    } catch (err) { personView.textContent = err.message; }
  }
  document.getElementById("org-person-search").addEventListener("submit", (event) => {
    event.preventDefault(); showPerson(value("person-q"));
  });

  // -- the roster: upload with a progress bar, the dry run's report by row and column -------------
  const file = document.getElementById("roster-file");
  const progress = document.getElementById("roster-progress");
  const reportBox = document.getElementById("roster-report");
  const importButton = document.getElementById("roster-import");
  function upload(dryRun) {
    return new Promise((resolve, reject) => {
      const form = new FormData();
      form.append("file", file.files[0]);
      form.append("dry_run", dryRun ? "true" : "false");
      const xhr = new XMLHttpRequest();
      xhr.open("POST", "/api/people/import");
      xhr.setRequestHeader("X-CSRFToken", window.VG.csrf());
      progress.hidden = false; progress.removeAttribute("value");
      xhr.upload.onprogress = (e) => { if (e.lengthComputable) progress.value = Math.round((e.loaded / e.total) * 90); };
      xhr.onload = () => {
        progress.value = 100;
        let data = null;
        try { data = JSON.parse(xhr.responseText); } catch (e) { data = { message: xhr.statusText }; }
        if (xhr.status >= 200 && xhr.status < 300) resolve(data); else reject(new Error(data.message || xhr.statusText));
      };
      xhr.onerror = () => reject(new Error(xhr.statusText || "network error"));
      xhr.send(form);
    });
  }
  function renderReport(r) {
    const parts = [el("p", { id: "roster-counts" }, t("report", r))];
    if (r.errors_total) {
      parts.push(el("p", { class: "error" }, t("has errors", { n: r.errors_total })));
      parts.push(el("div", { class: "table-wrap" }, el("table", { class: "grid", id: "roster-errors" },
        el("thead", {}, el("tr", {}, ["row", "column", "problem"].map((h) => el("th", { scope: "col" }, t(h))))),
        el("tbody", {}, r.errors.map((e) => el("tr", {}, el("td", {}, String(e.row)), el("td", {}, e.column),
          el("td", {}, e.message)))))));
    } else {
      parts.push(el("p", { class: "ok", id: "roster-ok" }, r.imported ? t("imported") : t("no errors")));
    }
    reportBox.replaceChildren(...parts);
    importButton.disabled = Boolean(r.errors_total) || r.imported;
  }
  async function run(dryRun) {
    if (!file.files.length) { reportBox.textContent = t("choose a file"); return; }
    reportBox.textContent = t(dryRun ? "checking" : "importing");
    importButton.disabled = true;
    try { renderReport(await upload(dryRun)); if (!dryRun) await loadTree(); } catch (err) { reportBox.textContent = err.message; }
  }
  document.getElementById("roster-check").addEventListener("click", () => run(true));
  importButton.addEventListener("click", () => run(false));
  file.addEventListener("change", () => { importButton.disabled = true; reportBox.replaceChildren(); progress.hidden = true; });
  loadTree();
})();
