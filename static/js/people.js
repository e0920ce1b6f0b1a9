// The people page (org_admin): accounts of the people in my units, and the actions on them:
// reset a password (the temporary one is shown once), lock / unlock, log out everywhere.
(function () {
  const { t, el, api } = window.VG;
  window.VG.add({
    name: "姓名", username: "用户名", positions: "职务", status: "状态", actions: "操作",
    locked: "已锁定", "must change": "待改密码", active: "正常", inactive: "已停用",
    reset: "重置密码", lock: "锁定", unlock: "解锁", logout: "退出所有设备",
    "reset title": "重置 {name} 的密码", "lock title": "锁定 {name} 的账号", "unlock title": "解锁 {name} 的账号",
    "logout title": "让 {name} 在所有设备上退出登录",
    "reset what": "将生成一个临时密码，仅显示这一次；对方登录后必须立即设置新密码。对方现有的登录全部失效。",
    "lock what": "锁定后对方无法登录，现有的登录全部失效。", "unlock what": "解锁后对方可以重新登录。",
    "logout what": "对方在手机、电脑等所有设备上的登录立即失效，需要重新登录。",
    "temporary": "临时密码（只显示这一次，请当面或电话告知 {name}）：", done: "已完成", count: "共 {n} 人",
    "not yours": "不在您的管理范围内", close: "关闭", "reason required": "请填写原因",
    member: "党员", activist: "入党积极分子", secretary: "书记", deputy_secretary: "副书记",
    committee_member: "委员", group_leader: "党小组长", contact: "联络员", org_admin: "组织管理员",
    masses_rep: "群众代表", designer: "流程设计员",
  }, {
    name: "Name", username: "Username", positions: "Positions", status: "Status", actions: "Actions",
    locked: "Locked", "must change": "Must change password", active: "Active", inactive: "Inactive",
    reset: "Reset password", lock: "Lock", unlock: "Unlock", logout: "Log out everywhere",
    "reset title": "Reset the password of {name}", "lock title": "Lock the account of {name}",
    "unlock title": "Unlock the account of {name}", "logout title": "Log {name} out on every device",
    "reset what": "A temporary password is made and shown once; the person must choose a new one at the next login. Every current login of the person ends.",
    "lock what": "The person cannot log in; every current login ends.", "unlock what": "The person can log in again.",
    "logout what": "Every login of the person, on phones and computers, ends now.",
    temporary: "Temporary password (shown only once; tell {name} in person or by phone):", done: "Done",
    count: "{n} people", "not yours": "not in your care", close: "Close", "reason required": "Please give a reason",
    member: "Member", activist: "Activist", secretary: "Secretary", deputy_secretary: "Deputy secretary",
    committee_member: "Committee member", group_leader: "Group leader", contact: "Contact",
    org_admin: "Organisation admin", masses_rep: "Masses representative", designer: "Process designer",
  });
  const table = document.getElementById("people-list");
  const q = document.getElementById("people-q");
  const count = document.getElementById("people-count");
  const dialog = document.getElementById("people-dialog");
  const form = document.getElementById("people-form");
  const reason = document.getElementById("people-reason");
  const reasonBox = document.getElementById("people-reason-box");
  const msg = document.getElementById("people-dialog-msg");
  const confirm = document.getElementById("people-confirm");
  let pending = null;

  function badges(p) {
    const out = [];
    if (!p.active) out.push(el("span", { class: "badge" }, t("inactive")));
    if (p.locked) out.push(el("span", { class: "badge locked" }, t("locked")));
    if (p.must_change_password) out.push(el("span", { class: "badge reset" }, t("must change")));
    if (!out.length) out.push(el("span", { class: "badge" }, t("active")));
    return out;
  }
  function actions(p) {
    if (!p.manageable) return el("span", { class: "meta" }, t("not yours"));
    const button = (kind) => el("button", { type: "button", class: "secondary", "data-action": kind,
      "data-user": p.username, onclick: () => open(kind, p) }, t(kind));
    return el("div", { class: "actions" }, button("reset"), button(p.locked ? "unlock" : "lock"), button("logout"));
  }
  function render(data) {
    count.textContent = t("count", { n: data.total });
    table.replaceChildren(
      el("thead", {}, el("tr", {}, ["name", "username", "positions", "status", "actions"].map((h) => el("th", { scope: "col" }, t(h))))),
      el("tbody", {}, data.items.map((p) => el("tr", { "data-user": p.username },
        el("td", { class: "who" }, p.display_name), el("td", { class: "login" }, p.username),
        el("td", { class: "where" }, p.positions.map((x) => `${x.org_unit} ${t(x.role)}`).join("，")),
        el("td", { class: "status" }, badges(p)), el("td", {}, actions(p))))));
  }
  async function load() {
    const params = new URLSearchParams({ q: q.value.trim(), limit: "200" });
    render(await api("GET", `/api/people?${params}`));
  }
  function open(kind, person) {
    pending = { kind, person };
    document.getElementById("people-dialog-title").textContent = t(`${kind} title`, { name: person.display_name });
    document.getElementById("people-dialog-what").textContent = t(`${kind} what`);
    reason.value = ""; reasonBox.hidden = false; msg.replaceChildren(); confirm.hidden = false;
    document.getElementById("people-cancel").textContent = t("close");
    dialog.showModal();
    reason.focus();
  }
  const PATHS = { reset: "password-reset", lock: "lock", unlock: "unlock", logout: "logout-everywhere" };
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!pending) return;
    if (!reason.value.trim()) { msg.textContent = t("reason required"); reason.focus(); return; }
    const { kind, person } = pending;
    try {
      const result = await api("POST", `/api/people/${encodeURIComponent(person.username)}/${PATHS[kind]}`,
        { reason: reason.value.trim() });
      reasonBox.hidden = true; confirm.hidden = true; pending = null;
      if (kind === "reset") {
        msg.replaceChildren(el("span", {}, t("temporary", { name: person.display_name })), el("br"),
          el("code", { class: "secret", id: "people-temporary" }, result.temporary_password));
      } else {
        msg.textContent = t("done");
      }
      await load();
    } catch (err) {
      msg.textContent = err.message;
    }
  });
  document.getElementById("people-cancel").addEventListener("click", () => { pending = null; dialog.close(); });
  document.getElementById("people-search").addEventListener("submit", (event) => { event.preventDefault(); load(); });
  load();
})();
