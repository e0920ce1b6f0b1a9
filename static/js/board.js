// A unit's public board: approved pledges, leader review, appraisal results, commendations and
// candidates under notice (with a way to object). Readable on a phone; ?wall=1 for a wall screen
// (large type, refreshed every minute).
(function () {
  const { t, el, api, when } = window.VG;
  window.VG.add({
    "board pledges": "党员承诺（已审核）", "board review": "领导点评", "board appraisal": "群众测评结果",
    "board commendations": "表彰", "board notice": "公示", "board none": "暂无公示内容", "pledge deadline": "承诺期限",
    "notice until": "公示截止", "object": "提出异议", "objection reason": "异议理由", "send objection": "提交异议",
    "objection sent": "异议已提交，组织将核实处理", "excellent members": "优秀党员", "raters": "参评人数",
    "member": "党员", "overall": "综合等次", "achievements": "成绩", "problems": "问题", "direction": "努力方向",
    "candidates": "候选人", theme: "主题", carrier: "载体", quarter: "季度",
    "screen revoked": "此大屏链接已停用，请联系支部书记重新生成",
    "branch pledge": "支部公开承诺", "late fulfilment": "逾期践诺", "collective reviews": "上级党组织集中点评",
    "organisation appraisal": "对本支部的评议", "repeatedly excellent": "多次评为优秀党员", "times": "次",
    "circular": "年终检查通报", "inspection": "集中检查", "grade excellent": "优秀", "grade qualified": "合格",
    "grade basically_qualified": "基本合格", "grade unqualified": "不合格",
    "basis": "重要依据（评议、评优参考）", "basis excellent": "评为优秀", "basis pledges": "承诺：践诺/逾期",
    "basis talks": "谈话整改：已销号/未销号（逾期）", assessment: "考核等次", commended: "评为先进",
  }, {
    "board pledges": "Pledges (approved)", "board review": "Leader review", "board appraisal": "Appraisal results",
    "board commendations": "Commendations", "board notice": "Public notice", "board none": "Nothing on the board yet",
    "pledge deadline": "Deadline", "notice until": "Notice until", "object": "Object", "objection reason": "Reason for the objection",
    "send objection": "Send objection", "objection sent": "Objection sent; the organisation will look into it",
    "excellent members": "Excellent members", raters: "Raters", member: "Member", overall: "Overall",
    achievements: "Achievements", problems: "Problems", direction: "Direction", candidates: "Candidates",
    theme: "Theme", carrier: "Carrier", quarter: "Quarter",
    "screen revoked": "This wall screen link was revoked; ask the branch secretary for a new one",
    "branch pledge": "The branch's own pledge", "late fulfilment": "Fulfilled late",
    "collective reviews": "Collective reviews by the organisation above", "organisation appraisal": "The branch appraised",
    "repeatedly excellent": "Selected excellent several times", times: "times", circular: "Year-end circular",
    inspection: "Inspection", "grade excellent": "Excellent", "grade qualified": "Qualified",
    "grade basically_qualified": "Basically qualified", "grade unqualified": "Unqualified",
    basis: "Basis for appraisal and commendation", "basis excellent": "Selected excellent",
    "basis pledges": "Pledges: fulfilled/late", "basis talks": "Talk problems: closed/open (overdue)",
    assessment: "Assessment", commended: "Commended as advanced",
  });
  const root = document.getElementById("board");
  const body = document.getElementById("board-body");
  const unitSel = document.getElementById("board-unit");
  const wall = root.dataset.wall === "1";
  const token = root.dataset.token;
  const section = (title, ...children) => el("section", { class: "card board-part" }, el("h2", {}, title), ...children);

  function objectionForm(sel, candidate) {
    const id = `obj-${sel.instance_id}-${candidate.member}`;
    const input = el("textarea", { id, rows: 2, maxlength: 500, required: true });
    const out = el("p", { role: "status" });
    const form = el("form", { class: "objection", hidden: true }, el("label", { for: id }, t("objection reason")), input,
      el("button", { type: "submit", class: "secondary" }, t("send objection")), out);
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      out.className = "";
      try {
        await api("POST", sel.objections_url, { candidate: candidate.member, reason: input.value.trim() });
        out.textContent = t("objection sent"); out.className = "banner ok"; input.value = "";
      } catch (err) { out.textContent = `${t("error")}: ${err.message}`; out.className = "banner error"; }
    });
    return form;
  }
  function notices(list) {
    return list.map((sel) => {
      if (sel.status === "notice") {
        return section(`${t("board notice")} · ${sel.quarter}`,
          el("p", { class: "meta" }, `${t("notice until")} ${when(sel.notice_until)}`),
          el("ul", { class: "candidates" }, sel.candidates.map((c) => {
            const form = wall ? null : objectionForm(sel, c);
            return el("li", {}, el("strong", {}, c.name), c.reason ? el("span", { class: "meta" }, ` ${c.reason}`) : null,
              form ? el("button", { type: "button", class: "link-button", "aria-expanded": "false", onclick: (e) => {
                form.hidden = !form.hidden; e.target.setAttribute("aria-expanded", String(!form.hidden));
                if (!form.hidden) form.querySelector("textarea").focus();
              } }, t("object")) : null, form);
          })));
      }
      return section(`${t("excellent members")} · ${sel.quarter}`,
        el("ul", { class: "candidates" }, (sel.excellent_members || []).map((c) => el("li", {}, el("strong", {}, c.name)))));
    });
  }
  function render(b) {
    const parts = [];
    if (b.campaign) {
      parts.push(el("header", { class: "board-head" }, el("h1", {}, `${b.org_unit.name} · ${b.campaign.title || ""}`),
        el("p", {}, `${t("theme")}${t("colon")}${(b.branch && b.branch.theme) || b.campaign.theme}　${t("carrier")}${t("colon")}${(b.branch && b.branch.carrier) || b.campaign.carrier}`),
        b.branch ? el("p", { class: "meta" }, `${t("stage")}${t("colon")}${b.branch.stage_label || b.branch.stage || ""}`) : null));
    } else parts.push(el("h1", {}, b.org_unit.name));
    if (b.circular) {
      parts.push(section(t("circular"), el("p", {}, b.circular.circular),
        el("p", { class: "meta" }, `${t("inspection")}${t("colon")}${b.circular.inspection}`)));
    }
    if (b.branch_pledge) {
      parts.push(section(t("branch pledge"), el("p", {}, b.branch_pledge.content),
        el("p", { class: "meta" }, `${t("pledge deadline")} ${b.branch_pledge.deadline}`)));
    }
    if (b.pledges.length) {
      parts.push(section(t("board pledges"), el("ul", { class: "pledges" }, b.pledges.map((p) => el("li", {},
        el("strong", {}, p.name), el("span", {}, p.content),
        el("span", { class: "meta" }, `${t("pledge deadline")} ${p.deadline}`),
        p.fulfilment && p.fulfilment.rating_label ? el("span", { class: "badge" }, p.fulfilment.rating_label) : null,
        p.fulfilment && p.fulfilment.late ? el("span", { class: "badge" }, t("late fulfilment")) : null)))));
    }
    if (b.leader_review) {
      const r = b.leader_review;
      parts.push(section(t("board review"), el("dl", { class: "review" },
        el("dt", {}, t("achievements")), el("dd", {}, r.achievements || ""), el("dt", {}, t("problems")), el("dd", {}, r.problems || ""),
        el("dt", {}, t("direction")), el("dd", {}, r.direction || "")), r.reviewer ? el("p", { class: "meta" }, `— ${r.reviewer}`) : null));
    }
    if ((b.leader_reviews || []).length) {
      parts.push(section(t("collective reviews"), ...b.leader_reviews.map((r) => el("div", {},
        el("h3", {}, `${r.period} · ${r.reviewer.name}`), el("dl", { class: "review" },
          el("dt", {}, t("achievements")), el("dd", {}, r.achievements), el("dt", {}, t("problems")), el("dd", {}, r.problems),
          el("dt", {}, t("direction")), el("dd", {}, r.direction),
          r.grade_label ? el("dt", {}, t("assessment")) : null, r.grade_label ? el("dd", {}, r.grade_label) : null),
        r.commended ? el("p", {}, el("span", { class: "badge" }, t("commended")), ` ${r.citation || ""}`) : null))));
    }
    if (b.appraisal && b.appraisal.organisation && b.appraisal.organisation.overall) {
      const o = b.appraisal.organisation;
      parts.push(section(t("organisation appraisal"), el("p", {}, `${t("overall")}${t("colon")}${t(`grade ${o.overall}`)}　${t("raters")}${t("colon")}${o.raters}`)));
    }
    if (b.appraisal && b.appraisal.results.length) {
      parts.push(section(t("board appraisal"), el("table", { class: "grid" },
        el("thead", {}, el("tr", {}, el("th", { scope: "col" }, t("member")), el("th", { scope: "col" }, t("raters")), el("th", { scope: "col" }, t("overall")))),
        el("tbody", {}, b.appraisal.results.map((r) => el("tr", {}, el("th", { scope: "row" }, r.name), el("td", {}, String(r.raters)), el("td", {}, r.overall_label)))))));
    }
    if (b.commendations.length) {
      parts.push(section(t("board commendations"), el("ul", {}, b.commendations.map((c) => el("li", {},
        el("strong", {}, c.name), ` · ${c.kind_label}`, c.citation ? el("p", { class: "meta" }, c.citation) : null)))));
    }
    if ((b.repeatedly_excellent || []).length) {
      parts.push(section(t("repeatedly excellent"), el("ul", {}, b.repeatedly_excellent.map((m) => el("li", {},
        el("strong", {}, m.name), ` · ${m.times} ${t("times")}`, el("span", { class: "meta" }, ` (${m.quarters.join("、")})`))))));
    }
    parts.push(...notices(b.selections || []));
    if (parts.length === 1) parts.push(el("p", { class: "empty" }, t("board none")));
    body.replaceChildren(...parts);
  }
  // 重要依据 for the branch's raters and the commendation (server/bridges/judgement.py); not on wall screens.
  async function basis(ref) {
    let data;
    try { data = await api("GET", `/api/org-units/${encodeURIComponent(ref)}/member-basis`); } catch (err) { return; }
    if (!data.members.length) return;
    const cell = (text) => el("td", {}, text);
    body.append(section(`${t("basis")} · ${data.year}`, el("table", { class: "grid basis" },
      el("thead", {}, el("tr", {}, el("th", { scope: "col" }, t("member")), el("th", { scope: "col" }, t("basis excellent")),
        el("th", { scope: "col" }, t("basis pledges")), el("th", { scope: "col" }, t("basis talks")))),
      el("tbody", {}, data.members.map((m) => el("tr", {}, el("th", { scope: "row" }, m.name),
        cell(String(m.excellent.times)), cell(`${m.pledges.fulfilled}/${m.pledges.late}`),
        cell(`${m.talk_rectification.closed}/${m.talk_rectification.open} (${m.talk_rectification.overdue})`)))))));
  }
  async function load() {
    if (token) {
      try { render(await api("GET", `/api/wall/${encodeURIComponent(token)}/board`)); }
      catch (err) {
        body.replaceChildren(el("p", { class: "banner error", role: "alert" }, err.status === 404 ? t("screen revoked") : `${t("error")}: ${err.message}`));
      }
      return;
    }
    const ref = unitSel.value || root.dataset.unit;
    try { render(await api("GET", `/api/org-units/${encodeURIComponent(ref)}/board`)); }
    catch (err) { body.replaceChildren(el("p", { class: "banner error", role: "alert" }, `${t("error")}: ${err.message}`)); }
    if (!wall) await basis(ref);
    document.getElementById("wall-link").href = `/board/${encodeURIComponent(ref)}?wall=1`;
    document.dispatchEvent(new CustomEvent("vg:board-unit", { detail: ref }));
  }
  async function init() {
    if (token) return load();
    const meInfo = await api("GET", "/api/me");
    const seen = new Map();
    for (const p of meInfo.positions) seen.set(p.org_unit.id, p.org_unit);
    const units = [...seen.values()].sort((a, b) => (a.type === "branch" ? 0 : 1) - (b.type === "branch" ? 0 : 1));
    unitSel.replaceChildren(...units.map((u) => el("option", { value: u.code }, u.name)));
    if (root.dataset.unit) {
      if (!units.some((u) => u.code === root.dataset.unit)) unitSel.prepend(el("option", { value: root.dataset.unit }, root.dataset.unit));
      unitSel.value = root.dataset.unit;
    }
    await load();
  }
  if (unitSel) unitSel.addEventListener("change", () => {
    window.history.replaceState(null, "", `/board/${encodeURIComponent(unitSel.value)}${wall ? "?wall=1" : ""}`);
    load();
  });
  init().catch((err) => { body.textContent = `${t("error")}: ${err.message}`; });
  if (wall) setInterval(load, 60_000);
})();
