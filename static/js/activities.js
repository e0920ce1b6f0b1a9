// Recording an activity (what, when, where, for whom, how long, photos from the camera) and my records.
(function () {
  const { t, el, api } = window.VG;
  window.VG.add({
    "no programme": "其他活动（不计入任何项目）", uploading: "正在上传…", remove: "移除", "recorded": "已提交，等待支部确认",
    "state submitted": "待确认", "state confirmed": "已确认", "state returned": "已退回", "no records": "还没有活动记录",
    "returned because": "退回理由", hours: "小时", photo: "照片", "upload failed": "上传失败",
  }, {
    "no programme": "Other (counts toward no programme)", uploading: "Uploading…", remove: "Remove",
    recorded: "Submitted: waiting for the branch to confirm", "state submitted": "Waiting", "state confirmed": "Confirmed",
    "state returned": "Returned", "no records": "No activity recorded yet", "returned because": "Returned because",
    hours: "h", photo: "Photo", "upload failed": "Upload failed",
  });
  const form = document.getElementById("act-form");
  const unitField = document.getElementById("act-unit-field");
  const unitSel = document.getElementById("act-unit");
  const progSel = document.getElementById("act-programme");
  const thumbs = document.getElementById("act-thumbs");
  const banner = document.getElementById("act-banner");
  const list = document.getElementById("act-list");
  const attached = new Map();  // id -> attachment

  function say(text, kind) {
    banner.hidden = !text;
    banner.textContent = text || "";
    banner.className = `banner ${kind || ""}`;
  }

  async function programmes() {
    const res = await api("GET", `/api/activities/programmes?org_unit=${encodeURIComponent(unitSel.value)}`);
    const cadence = { month: "每月", quarter: "每季度", year: "每年" };
    progSel.replaceChildren(el("option", { value: "" }, t("no programme")),
      ...res.items.filter((p) => p.active).map((p) => el("option", { value: p.id },
        `${p.name}（${cadence[p.cadence] || p.cadence} ${p.quota}${p.season_months ? `，${p.season_months[0]}–${p.season_months[p.season_months.length - 1]}月` : ""}）`)));
  }

  function thumb(a) {
    const picture = a.has_thumbnail
      ? el("img", { src: `/api/attachments/${a.id}/thumbnail`, alt: `${t("photo")} ${a.name}`, width: 96, height: 96 })
      : el("span", { class: "doc" }, a.name);
    return el("li", { "data-attachment": a.id }, picture,
      el("button", { type: "button", class: "link", onclick: () => { attached.delete(a.id); render(); } }, t("remove")));
  }
  function render() { thumbs.replaceChildren(...[...attached.values()].map(thumb)); }

  async function upload(input) {
    for (const file of input.files) {
      const body = new FormData();
      body.append("file", file, file.name);
      say(t("uploading"));
      const res = await fetch("/api/attachments", { method: "POST", body, credentials: "same-origin",
        headers: { "X-CSRFToken": window.VG.csrf() } });
      const data = await res.json().catch(() => null);
      if (res.status !== 201) {
        document.getElementById("act-attachments-err").textContent =
          `${t("upload failed")}: ${file.name} — ${(data && data.message) || res.statusText}`;
        continue;
      }
      attached.set(data.id, data);
    }
    input.value = "";
    say("");
    render();
  }
  document.getElementById("act-photo").addEventListener("change", (e) => upload(e.target));
  document.getElementById("act-doc").addEventListener("change", (e) => upload(e.target));

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    form.querySelectorAll(".field-error").forEach((p) => { p.textContent = ""; });
    const value = (id) => document.getElementById(id).value.trim();
    const body = { org_unit: unitSel.value, activity: value("act-activity"), activity_date: value("act-date"),
      hours: Number(value("act-hours")), attachments: [...attached.keys()] };
    if (progSel.value) body.programme = Number(progSel.value);
    for (const [key, id] of [["place", "act-place"], ["beneficiary", "act-beneficiary"]]) if (value(id)) body[key] = value(id);
    const submit = document.getElementById("act-submit");
    submit.disabled = true;
    try {
      await api("POST", "/api/activities/records", body);
      form.reset();
      attached.clear();
      render();
      say(t("recorded"), "ok");
      await mine();
    } catch (err) {
      say(err.status === 422 ? t("fix the fields") : `${t("error")}: ${err.message}`, "error");
      for (const d of (err.body && err.body.details) || []) {
        const box = d.field && form.querySelector(`[data-field="${d.field.split(".")[0]}"] .field-error`);
        if (box) box.textContent = err.body.message || d.message;
      }
    }
    submit.disabled = false;
  });

  async function mine() {
    const res = await api("GET", "/api/activities/records?limit=50");
    if (!res.items.length) { list.replaceChildren(el("p", { class: "meta" }, t("no records"))); return; }
    list.replaceChildren(el("ul", { class: "records" }, res.items.map((r) => el("li", { class: `record ${r.state}` },
      el("p", {}, el("strong", {}, r.activity_date), " ", r.programme ? r.programme.name : t("no programme"),
        " ", el("span", { class: `pill ${r.state}` }, t(`state ${r.state}`))),
      el("p", {}, r.activity, r.place ? ` · ${r.place}` : "", r.beneficiary ? ` · ${r.beneficiary}` : "", ` · ${r.hours} ${t("hours")}`),
      r.review_note ? el("p", { class: "reason" }, `${t("returned because")}${t("colon")}${r.review_note}`) : null,
      r.attachments.length ? el("ul", { class: "thumbs" }, r.attachments.map((a) => el("li", {},
        a.has_thumbnail ? el("img", { src: a.thumbnail_url, alt: `${t("photo")} ${a.name}`, width: 64, height: 64 })
          : el("a", { href: a.url }, a.name)))) : null))));
  }

  async function start() {
    const me = await api("GET", "/api/me");
    const units = [...new Map(me.positions.filter((p) => p.role === "member").map((p) => [p.org_unit.id, p.org_unit])).values()];
    unitSel.replaceChildren(...units.map((u) => el("option", { value: u.code }, u.name)));
    unitField.hidden = units.length < 2;
    unitSel.addEventListener("change", programmes);
    document.getElementById("act-date").value = new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10);
    if (units.length) await programmes();
    await mine();
  }
  start().catch((err) => say(`${t("error")}: ${err.message}`, "error"));
})();
