// Client-side strings, Chinese first. The page's locale comes from <body data-locale>.
(function () {
  const zh = {
    due: "截止", overdue: "已逾期", claim: "认领", unclaim: "退回认领", complete: "提交",
    delegate: "转交", open: "打开", saved: "已提交", error: "出错了", "no form": "此任务无需填写表单",
    "fix the fields": "请修改标出的字段", required: "必填", "delegate to (username)": "转交给（用户名）",
    instructions: "说明", history: "办理记录", back: "返回待办", "estimated": "（估算日期）",
    "claimed by": "办理人", stage: "阶段", unit: "组织", colon: "：", "submitted so far": "已填报的内容",
    yes: "是", no: "否", "too short": "至少 {n} 个字", "too long": "最多 {n} 个字", "too small": "不能小于 {n}",
    "too large": "不能大于 {n}", "not above": "必须大于 {n}", "not below": "必须小于 {n}",
    "bad date": "请填写有效的日期", "bad format": "格式不正确", "pick one": "请从选项中选择",
    "bad type": "请填写正确类型的值", "not allowed": "表单中没有这一项", "session expired": "登录已过期，请重新登录",
    "done already": "此任务已办结", "too short (no limit)": "内容太短", "too long (no limit)": "内容太长",
    "too small (no limit)": "数值太小", "too large (no limit)": "数值太大", "not above (no limit)": "数值太小",
    "not below (no limit)": "数值太大", "list sep": "、",
    "days left": "剩 {n} 个工作日", "days left 1": "剩 1 个工作日", "days late": "逾期 {n} 个工作日",
    "days late 1": "逾期 1 个工作日", "due today": "今天到期",
    "role member": "党员", "role activist": "入党积极分子", "role secretary": "书记", "role deputy_secretary": "副书记",
    "role committee_member": "支委委员", "role group_leader": "党小组长", "role contact": "联络员",
    "role org_admin": "组织管理员", "role masses_rep": "群众代表", "role designer": "流程设计员",
  };
  const en = {
    due: "Due", overdue: "Overdue", claim: "Claim", unclaim: "Give back", complete: "Submit",
    delegate: "Delegate", open: "Open", saved: "Submitted", error: "Something went wrong",
    "no form": "This task has no form", "fix the fields": "Please fix the marked fields", required: "required",
    "delegate to (username)": "Delegate to (username)", instructions: "Instructions", history: "History",
    back: "Back to inbox", estimated: "(estimated date)", "claimed by": "Held by", stage: "Stage", unit: "Unit",
    colon: ": ", "submitted so far": "Submitted so far", yes: "Yes", no: "No",
    "too short": "at least {n} characters", "too long": "at most {n} characters", "too small": "must be at least {n}",
    "too large": "must be at most {n}", "not above": "must be more than {n}", "not below": "must be less than {n}",
    "bad date": "enter a valid date", "bad format": "wrong format", "pick one": "choose one of the options",
    "bad type": "wrong kind of value", "not allowed": "not a field of this form",
    "session expired": "Your session has expired; please log in again", "done already": "This task is done",
    "too short (no limit)": "too short", "too long (no limit)": "too long", "too small (no limit)": "too small",
    "too large (no limit)": "too large", "not above (no limit)": "too small", "not below (no limit)": "too large",
    "list sep": ", ",
    "days left": "{n} working days left", "days left 1": "1 working day left", "days late": "{n} working days overdue",
    "days late 1": "1 working day overdue", "due today": "due today",
    "role member": "Member", "role activist": "Activist", "role secretary": "Secretary",
    "role deputy_secretary": "Deputy secretary", "role committee_member": "Committee member",
    "role group_leader": "Group leader", "role contact": "Contact", "role org_admin": "Organisation admin",
    "role masses_rep": "Masses representative", "role designer": "Process designer",
  };
  const locale = document.body.dataset.locale || "zh_Hans_CN";
  const dict = locale === "en" ? en : zh;
  window.VG = {
    locale,
    /** More strings for one page's scripts (designer, monitoring): ``VG.add({zh…}, {en…})``. */
    add(moreZh, moreEn) { Object.assign(zh, moreZh); Object.assign(en, moreEn); },
    t: (key, vars) => (dict[key] || key).replace(/\{(\w+)\}/g, (m, k) => (vars && k in vars ? vars[k] : m)),
    label: (obj, key) => (locale === "en" && obj["x-" + key + "-en"]) || obj[key] || "",
    csrf: () => document.querySelector('meta[name="csrf-token"]').content,
    async api(method, url, body, extraHeaders) {
      const res = await fetch(url, {
        method,
        headers: { "Content-Type": "application/json", "X-CSRFToken": window.VG.csrf(), ...(extraHeaders || {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: "same-origin",
      });
      let data = null;
      if (res.status !== 204) {
        const type = res.headers.get("Content-Type") || "";
        data = type.includes("json") ? await res.json() : { message: `${res.status} ${res.statusText}` };
      }
      if (res.status === 401 && !url.startsWith("/api/session") && !window.VG.leaving) {
        // The session ended (logged out elsewhere, cookie expired): back to the login form, once,
        // however many requests were under way (a second navigation would abort the first).
        window.VG.leaving = true;
        window.location.href = "/login?next=" + encodeURIComponent(window.location.pathname);
      }
      if (!res.ok) {
        // ``localized``: the server's message in the user's language (server/api/messages.py).
        const err = new Error((data && (data.localized || data.message)) || res.statusText);
        err.status = res.status; err.body = data;
        throw err;
      }
      return data;
    },
    /** A fresh Idempotency-Key where ``crypto.randomUUID`` is missing (pages served over plain http). */
    newKey: () => `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}-${Math.random().toString(36).slice(2)}`,
    when(iso) {
      if (!iso) return "";
      return new Date(iso).toLocaleString(locale === "en" ? "en-GB" : "zh-CN",
        { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" });
    },
    /** A task's ``key`` (name, instructions, stage_label) in the page's language (``labels_en``). */
    en(task, key) {
      return (window.VG.locale === "en" && task && task.labels_en && task.labels_en[key]) || (task ? task[key] : "");
    },
    /** A bilingual name ("双向约谈 Requested talk") in the page's language: "双向约谈" or "Requested talk". */
    bilingual(name) {
      const found = /^(.*[^\x00-\x7F])\s+([A-Za-z][\x20-\x7E]*)$/.exec(name || "");
      if (!found) return name || "";
      return window.VG.locale === "en" ? found[2] : found[1];
    },
    /** A lane's role expression in words: "secretary|committee_member@parent" → "书记、支委委员". */
    roleName(expr) {
      if (!expr) return "";
      const VG = window.VG;
      return expr.split("|").map((term) => {
        const role = term.trim().split("@")[0];
        return VG.t("role " + role) === "role " + role ? role : VG.t("role " + role);
      }).join(VG.t("list sep"));
    },
    /** "截止 2026/10/16 23:59 · 剩 2 个工作日": the date and, for an open task, the working days. */
    dueText(task) {
      const VG = window.VG;
      const head = `${task.overdue ? VG.t("overdue") : VG.t("due")} ${VG.when(task.due_at)}`;
      const n = task.due_working_days;
      if (n === null || n === undefined) return head;
      const words = n === 0 ? VG.t("due today") : n > 0 ? VG.t(n === 1 ? "days left 1" : "days left", { n })
        : VG.t(n === -1 ? "days late 1" : "days late", { n: -n });
      return `${head} · ${words}`;
    },
    el(tag, attrs, ...children) {
      const node = document.createElement(tag);
      for (const [k, v] of Object.entries(attrs || {})) {
        if (v === null || v === undefined || v === false) continue;
        if (k === "class") node.className = v; else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
        else node.setAttribute(k, v === true ? "" : v);
      }
      for (const c of children.flat()) if (c !== null && c !== undefined) node.append(c);
      return node;
    },
  };
})();
