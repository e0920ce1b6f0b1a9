// On the mass appraisal and on proposing excellent members: each member's year at a glance
// (activities against quota, pledges fulfilled, talk problems rectified, past selections).
(function () {
  const { t, el, api } = window.VG;
  window.VG.add({
    "members year": "{year} 年党员表现一览（来自活动台账、承诺和谈话记录）", "my member": "党员",
    "my activities": "活动（已完成/应完成）", "my overdue": "逾期未完成", "my pledges": "承诺（兑现/作出）",
    "my problems": "谈话问题（未整改/已整改）", "my selections": "曾评为优秀党员",
  }, {
    "members year": "Each member's {year} at a glance (activity ledgers, pledges, talks)", "my member": "Member",
    "my activities": "Activities (done/due)", "my overdue": "Overdue", "my pledges": "Pledges (fulfilled/made)",
    "my problems": "Talk problems (open/closed)", "my selections": "Selected excellent",
  });
  const TASKS = new Set(["vanguard_campaign_branch/MassAppraisal", "excellent_member_selection/ProposeCandidates"]);

  async function panel(task) {
    if (!TASKS.has(`${task.process_key}/${task.element_id}`)) return null;
    let years;
    try { years = await api("GET", `/api/tasks/${task.id}/member-years`); } catch (err) { return null; }
    const heads = ["my member", "my activities", "my overdue", "my pledges", "my problems", "my selections"];
    return el("section", { class: "member-years" },
      el("h2", {}, t("members year", { year: years.year })),
      el("div", { class: "table-wrap" }, el("table", { class: "grid cards-on-phone" },
        el("thead", {}, el("tr", {}, heads.map((h) => el("th", { scope: "col" }, t(h))))),
        el("tbody", {}, years.members.map((m) => el("tr", { "data-member": m.person.username },
          el("th", { scope: "row", "data-label": t("my member") }, m.person.name),
          el("td", { "data-label": t("my activities") }, `${m.activities.done}/${m.activities.due}`),
          el("td", { "data-label": t("my overdue"), class: m.activities.overdue ? "warn" : "" }, String(m.activities.overdue)),
          el("td", { "data-label": t("my pledges") }, `${m.pledges.fulfilled || 0}/${m.pledges.made || 0}`),
          el("td", { "data-label": t("my problems") }, `${m.talk_problems.open || 0}/${m.talk_problems.closed || 0}`),
          el("td", { "data-label": t("my selections") }, m.selections.join("、") || "—")))))));
  }
  window.VGMemberYears = { panel };
})();
