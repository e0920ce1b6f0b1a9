// Wall screens of the board's unit (secretary, org_admin above): the links in use, a new link
// (shown once, with a copy button) and revoking one. The server refuses everyone else (403),
// and then this box stays hidden.
(function () {
  const { t, el, api, when } = window.VG;
  window.VG.add({
    "screen link": "大屏链接（只显示一次，请立即复制到大屏浏览器）", copy: "复制链接", copied: "已复制",
    revoke: "停用", "revoke?": "停用“{label}”的链接？大屏将不再显示公示栏。", revoked: "已停用",
    "last seen": "最近访问 {at}", "never seen": "尚未使用", "created by": "{name} 创建于 {at}", "name the screen": "请填写大屏所在位置",
  }, {
    "screen link": "Screen link (shown only once: open it on the screen now)", copy: "Copy link", copied: "Copied",
    revoke: "Revoke", "revoke?": "Revoke the link of “{label}”? The screen stops showing the board.", revoked: "Revoked",
    "last seen": "Last seen {at}", "never seen": "Not used yet", "created by": "Created by {name} on {at}", "name the screen": "Say where the screen is",
  });
  const box = document.getElementById("screens");
  const list = document.getElementById("screen-list");
  const form = document.getElementById("screen-form");
  const label = document.getElementById("screen-label");
  const fresh = document.getElementById("screen-new");
  let unit = null;

  function row(s) {
    const button = el("button", { type: "button", class: "secondary", onclick: async () => {
      if (!window.confirm(t("revoke?", { label: s.label }))) return;
      button.disabled = true;
      try { await api("DELETE", `/api/screens/${s.id}`); fresh.replaceChildren(el("p", { class: "banner ok" }, t("revoked"))); await show(); }
      catch (err) { button.disabled = false; fresh.replaceChildren(el("p", { class: "banner error" }, `${t("error")}: ${err.message}`)); }
    } }, t("revoke"));
    return el("li", { class: "task-row", "data-screen": s.id }, el("span", { class: "task-name" }, s.label),
      el("span", { class: "meta" }, t("created by", { name: s.created_by, at: when(s.created_at) })),
      el("span", { class: "meta" }, s.last_seen_at ? t("last seen", { at: when(s.last_seen_at) }) : t("never seen")), button);
  }
  async function show() {
    try {
      const res = await api("GET", `/api/org-units/${encodeURIComponent(unit)}/screens`);
      list.replaceChildren(...res.items.map(row));
      box.hidden = false;
    } catch (err) {
      box.hidden = true;
    }
  }
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const err = document.getElementById("screen-label-err");
    err.textContent = ""; label.removeAttribute("aria-invalid");
    if (!label.value.trim()) { err.textContent = t("name the screen"); label.setAttribute("aria-invalid", "true"); label.focus(); return; }
    const button = form.querySelector("button");
    button.disabled = true;
    try {
      const s = await api("POST", `/api/org-units/${encodeURIComponent(unit)}/screens`, { label: label.value.trim() });
      const url = new URL(s.path, window.location.origin).href;
      const out = el("input", { id: "screen-url", readonly: true, value: url, "aria-label": t("screen link") });
      fresh.replaceChildren(el("div", { class: "banner ok" }, el("p", {}, t("screen link")), out,
        el("button", { type: "button", class: "secondary", onclick: async (ev) => {
          out.select();
          try { await navigator.clipboard.writeText(url); } catch (_) { document.execCommand("copy"); }
          ev.target.textContent = t("copied");
        } }, t("copy"))));
      label.value = "";
      await show();
    } catch (ex) {
      err.textContent = ex.message; label.setAttribute("aria-invalid", "true");
    } finally { button.disabled = false; }
  });
  document.addEventListener("vg:board-unit", (e) => { unit = e.detail; fresh.replaceChildren(); show(); });
})();
