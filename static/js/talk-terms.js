// The talk loop's words in both languages (the API's labels are Chinese only): kinds, triggers,
// states, ways, follow-up results, close-out criteria, report states. Used by the talk pages.
(function () {
  const terms = {
    kind: {
      request: ["双向约谈", "Requested talk"], must: ["八必谈", "Must-talk"], periodic: ["定期谈心", "Periodic talk"],
      topical: ["专题谈话", "Topical talk"],
    },
    state: {
      requested: ["待答复", "Awaiting answer"], planning: ["待安排", "To be planned"], scheduled: ["已约定", "Scheduled"],
      following_up: ["整改中", "Following up"], closed: ["已闭环", "Closed"], open: ["未销号", "Open"],
    },
    trigger: {
      job_change: ["工作变动或职务调整", "Job change"], probation_or_retirement: ["预备期满或办理退休", "End of probation or retirement"],
      emerging_problem: ["有苗头性倾向性问题", "Emerging problem"], setback_or_low_mood: ["遇到挫折或情绪低落", "Setback or low mood"],
      family_hardship: ["家庭变故或重大困难", "Family hardship"], appraisal: ["民主评议票数较差", "Poor appraisal votes"],
      commendation_or_punishment: ["受到表彰或处罚", "Commendation or punishment"], conflict: ["与他人产生矛盾", "Conflict with others"],
    },
    way: { face_to_face: ["面对面", "Face to face"], phone: ["电话", "By phone"], home_visit: ["登门", "Home visit"] },
    result: { progressing: ["整改中", "In progress"], resolved: ["已解决", "Resolved"], not_resolved: ["未解决", "Not resolved"] },
    criterion: {
      problem_solved: ["问题得到解决", "Problem solved"], request_met: ["诉求得到满足", "Request met"],
      feelings_eased: ["情绪得到疏通", "Feelings eased"], work_improved: ["工作得到促进", "Work improved"],
      affection_deepened: ["情意得到增进", "Bond deepened"], member_satisfied: ["党员满意", "Member satisfied"],
    },
    report: { draft: ["待提交", "Draft"], submitted: ["已报送", "Submitted"], acknowledged: ["上级已阅", "Acknowledged"] },
  };
  const en = window.VG.locale === "en" ? 1 : 0;
  window.VG.term = (group, code) => ((terms[group] || {})[code] || [code || "", code || ""])[en];
  window.VG.terms = (group) => Object.keys(terms[group] || {});
  window.VG.personName = (p) => (p ? p.name || p.username : "");
})();
