// Client-side strings, Chinese first. The page's locale comes from <body data-locale>.
(function () {
  const zh = {
    due: "截止", overdue: "已逾期", claim: "认领", unclaim: "退回认领", complete: "提交",
    delegate: "转交", open: "打开", saved: "已提交", error: "出错了", "no form": "此任务无需填写表单",
    "fix the fields": "请修改标出的字段", required: "必填", "delegate to (username)": "转交给（用户名）",
    instructions: "说明", history: "办理记录", back: "返回待办", "estimated": "（估算日期）",
    "claimed by": "办理人", stage: "阶段", unit: "组织",
  };
  const en = {
    due: "Due", overdue: "Overdue", claim: "Claim", unclaim: "Give back", complete: "Submit",
    delegate: "Delegate", open: "Open", saved: "Submitted", error: "Something went wrong",
    "no form": "This task has no form", "fix the fields": "Please fix the marked fields", required: "required",
    "delegate to (username)": "Delegate to (username)", instructions: "Instructions", history: "History",
    back: "Back to inbox", estimated: "(estimated date)", "claimed by": "Held by", stage: "Stage", unit: "Unit",
  };
  const locale = document.body.dataset.locale || "zh_Hans_CN";
  const dict = locale === "en" ? en : zh;
  window.VG = {
    locale,
    t: (key) => dict[key] || key,
    label: (obj, key) => (locale === "en" && obj["x-" + key + "-en"]) || obj[key] || "",
    csrf: () => document.querySelector('meta[name="csrf-token"]').content,
    async api(method, url, body) {
      const res = await fetch(url, {
        method,
        headers: { "Content-Type": "application/json", "X-CSRFToken": window.VG.csrf() },
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: "same-origin",
      });
      const data = res.status === 204 ? null : await res.json();
      if (!res.ok) { const err = new Error(data.message); err.status = res.status; err.body = data; throw err; }
      return data;
    },
    when(iso) {
      if (!iso) return "";
      return new Date(iso).toLocaleString(locale === "en" ? "en-GB" : "zh-CN",
        { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" });
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
