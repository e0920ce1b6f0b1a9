// A branch's half-year talk report (6月、12月底前): figures from the data (live while a draft,
// frozen when submitted), who submitted and acknowledged it, and the task that waits for it.
(function () {
  const { t, el, api, when, term } = window.VG;
  window.VG.add({
    "talks held": "开展谈心谈话", total: "合计", "must by trigger": "八必谈（按情形）", requests: "党员约谈申请",
    received: "收到", answered: "已答复", "answered on time": "按期答复", "answered late": "超期答复",
    "unanswered overdue": "超期未答复", breaches: "超期记录", problems: "问题清单", raised: "新增", "closed n": "销号",
    open: "未销号", overdue: "逾期", coverage: "定期谈心覆盖", "covered of": "{covered}/{members} 人", uncovered: "未谈",
    "live figures": "草稿：数字随数据实时更新，提交后固定", "submitted by": "{name} 于 {at} 报送", remarks: "说明",
    "acknowledged by": "{name} 于 {at} 已阅", "open task": "待办：{name}", due: "报送期限",
  }, {
    "talks held": "Talks held", total: "Total", "must by trigger": "Must-talks by occasion", requests: "Members' requests",
    received: "Received", answered: "Answered", "answered on time": "On time", "answered late": "Late",
    "unanswered overdue": "Unanswered, overdue", breaches: "Breaches recorded", problems: "Problem items", raised: "Raised",
    "closed n": "Closed out", open: "Open", overdue: "Overdue", coverage: "Periodic talk coverage",
    "covered of": "{covered} of {members}", uncovered: "Not yet talked with", "live figures": "Draft: the figures follow the data until it is submitted",
    "submitted by": "Submitted by {name} on {at}", remarks: "Remarks", "acknowledged by": "Acknowledged by {name} on {at}",
    "open task": "To do: {name}", due: "Due",
  });
  const root = document.getElementById("talk-report");
  const body = document.getElementById("report-body");

  const table = (caption, rows) => el("table", { class: "grid figures" }, el("caption", {}, caption),
    el("tbody", {}, rows.map(([k, v]) => el("tr", {}, el("th", { scope: "row" }, k), el("td", {}, String(v))))));
  function render(r) {
    const f = r.figures;
    const kinds = ["request", "must", "periodic", "topical"];
    body.replaceChildren(...[
      el("header", { class: "page-head" }, el("h1", {}, `${r.org_unit.name} · ${r.period_label}`),
        el("span", { class: "badge", id: "report-state" }, term("report", r.state))),
      el("p", { class: "meta" }, `${t("due")} ${r.due_on}`),
      r.figures_live ? el("p", { class: "banner" }, t("live figures")) : null,
      r.submitted_at ? el("p", {}, t("submitted by", { name: r.submitted_by || "", at: when(r.submitted_at) })) : null,
      r.remarks ? el("p", {}, `${t("remarks")}${t("colon")}${r.remarks}`) : null,
      r.acknowledged_at ? el("p", {}, t("acknowledged by", { name: r.acknowledged_by || "", at: when(r.acknowledged_at) }),
        r.ack_note ? ` · ${r.ack_note}` : "") : null,
      r.open_tasks.map((task) => el("p", {}, el("a", { class: "button-link", href: `/tasks/${task.id}` }, t("open task", { name: task.name })))),
      el("div", { class: "figure-grid" },
        table(t("talks held"), kinds.map((k) => [term("kind", k), f.talks_held[k] || 0]).concat([[t("total"), f.talks_held.total]])),
        table(t("requests"), [["received", f.requests.received], ["answered", f.requests.answered],
          ["answered on time", f.requests.answered_on_time], ["answered late", f.requests.answered_late],
          ["unanswered overdue", f.requests.unanswered_overdue], ["breaches", f.breaches]].map(([k, v]) => [t(k), v])),
        table(t("problems"), [["raised", f.problems.raised], ["closed n", f.problems.closed], ["open", f.problems.open],
          ["overdue", f.problems.overdue]].map(([k, v]) => [t(k), v])),
        table(t("coverage"), [[t("coverage"), t("covered of", f.coverage)],
          [t("uncovered"), f.coverage.uncovered.join("、") || "—"]]),
        table(t("must by trigger"), Object.entries(f.must_by_trigger).map(([k, v]) => [term("trigger", k), v])))].flat().filter(Boolean));
  }
  api("GET", `/api/talks/reports/${root.dataset.reportId}`).then(render)
    .catch((err) => { body.replaceChildren(el("p", { class: "banner error", role: "alert" }, `${t("error")}: ${err.message}`)); });
})();
