// Lint rules in the browser: bpmnlint's "recommended" set (vendored as window.bpmnlint
// by scripts/bundle-bpmnlint.cjs) plus two Vanguard rules about who gets a user task.
// Problems come back as {id, message, detail, rule, severity: "error"|"warning"}.
(function () {
  const LANE_EXPR = /\[([^\]]+)\]\s*$/;
  const TERM = /^([a-z_]+)(?:@([a-z_.]+))?$/;

  // Severity per rule: bpmnlint's recommended config, adjusted for an executing engine.
  const CONFIG = {
    extends: "bpmnlint:recommended",
    rules: {
      "label-required": "warn",            // the engine runs unnamed elements; people would rather not
      "vanguard/user-task-role": "error",
      "vanguard/lane-role": "error",
    },
  };

  const ZH = {
    "ad-hoc-sub-process": "自由子流程的设置不正确",
    "conditional-flows": "网关分出的顺序流缺少条件（也不是默认流）",
    "end-event-required": "流程缺少结束事件",
    "event-based-gateway": "事件网关之后只能连接中间捕获事件或接收任务",
    "event-sub-process-typed-start-event": "事件子流程的开始事件必须有类型",
    "fake-join": "有多条流入的顺序流但未用网关汇合",
    "global": "全局元素（消息、信号等）的定义或引用有问题",
    "label-required": "元素缺少名称",
    "link-event": "链接事件没有配对",
    "no-bpmndi": "元素没有图形信息，无法显示",
    "no-complex-gateway": "不支持复杂网关",
    "no-disconnected": "元素没有连到流程中",
    "no-duplicate-sequence-flows": "两个元素之间有重复的顺序流",
    "no-gateway-join-fork": "同一个网关既汇合又分支",
    "no-implicit-split": "任务直接分出多条流：请用网关分支",
    "no-implicit-end": "元素没有后续：请连到结束事件",
    "no-implicit-start": "元素没有来源：请从开始事件开始",
    "no-inclusive-gateway": "尽量不用包容网关",
    "no-overlapping-elements": "元素相互重叠",
    "single-blank-start-event": "只能有一个无类型的开始事件",
    "single-event-definition": "一个事件只能有一种触发方式",
    "start-event-required": "流程缺少开始事件",
    "sub-process-blank-start-event": "子流程的开始事件必须是无类型的",
    "superfluous-gateway": "多余的网关：只有一条流入和一条流出",
    "superfluous-label": "无条件的顺序流不需要名称",
    "superfluous-termination": "多余的终止结束事件",
  };
  const EN = { "user-task-role": "", "lane-role": "" };

  function isA(node, type) { return node && typeof node.$instanceOf === "function" && node.$instanceOf(type); }

  function properties(node) {
    const out = {};
    const values = (node.extensionElements && node.extensionElements.values) || [];
    for (const v of values) {
      if (v.$type === "spiffworkflow:Properties") for (const p of v.properties || []) out[p.name] = p.value;
    }
    return out;
  }

  function checkExpression(expr, vocabulary) {
    const roles = new Set(vocabulary.roles.map((r) => r.code));
    const scopes = new Set(vocabulary.scopes.map((s) => s.code));
    for (const raw of expr.split("|")) {
      const m = TERM.exec(raw.trim());
      if (!m) return VG.t("lint: not an expression", { expr: raw.trim() });
      if (!roles.has(m[1])) return VG.t("lint: unknown role", { role: m[1] });
      const scope = m[2] || "unit";
      if (!scopes.has(scope) && !/^parent(\.parent)*$/.test(scope)) return VG.t("lint: unknown scope", { scope });
    }
    return null;
  }

  function laneExpression(name) {
    if (!name) return null;
    const m = LANE_EXPR.exec(name);
    return (m ? m[1] : name).trim();
  }

  function vanguardRules(vocabulary) {
    return {
      "lane-role": () => ({
        check(node, reporter) {
          if (!isA(node, "bpmn:Lane")) return;
          if ((node.childLaneSet && (node.childLaneSet.lanes || []).length)) return;  // parent lanes name no role
          const expr = laneExpression(node.name);
          if (!expr) { reporter.report(node.id, VG.t("lint: lane without role")); return; }
          const problem = checkExpression(expr, vocabulary);
          if (problem) reporter.report(node.id, problem);
        },
      }),
      "user-task-role": () => {
        const inLane = new Set();
        const collect = (laneSets) => {
          for (const set of laneSets || []) {
            for (const lane of set.lanes || []) {
              if (laneExpression(lane.name)) for (const ref of lane.flowNodeRef || []) inLane.add(ref.id);
              if (lane.childLaneSet) collect([lane.childLaneSet]);
            }
          }
        };
        return {
        check(node, reporter) {
          if (isA(node, "bpmn:Process") || isA(node, "bpmn:SubProcess")) collect(node.laneSets);
          if (isA(node, "bpmn:SubProcess") && inLane.has(node.id)) {
            // what runs inside a sub-process in a lane belongs to that lane
            const walk = (n) => { for (const c of n.flowElements || []) { inLane.add(c.id); walk(c); } };
            walk(node);
          }
          if (!isA(node, "bpmn:UserTask") && !isA(node, "bpmn:ManualTask")) return;
          const props = properties(node);
          if (props.role || props.assignee) {
            if (props.role) { const p = checkExpression(props.role, vocabulary); if (p) reporter.report(node.id, p); }
            return;
          }
          if (!inLane.has(node.id)) reporter.report(node.id, VG.t("lint: task without role"));
        },
        };
      },
    };
  }

  async function run(definitions, vocabulary) {
    const lib = window.bpmnlint;
    if (!lib) return [{ id: null, message: VG.t("lint: unavailable"), rule: "lint", severity: "warning" }];
    const own = vanguardRules(vocabulary);
    const linter = new lib.Linter({
      config: CONFIG,
      resolver: {
        resolveRule: (pkg, name) => (pkg.includes("vanguard") ? own[name] : lib.rules[name]),
        resolveConfig: (pkg, name) => lib.configs[name],
      },
    });
    const reports = await linter.lint(definitions);
    const problems = [];
    for (const [rule, items] of Object.entries(reports)) {
      const short = rule.replace(/^vanguard\//, "");
      for (const item of items) {
        const own = rule.startsWith("vanguard/");
        const zh = VG.locale !== "en" && ZH[short];
        problems.push({
          id: item.id || null,
          message: own ? item.message : (zh || item.message),
          detail: own ? "" : item.message,
          rule,
          severity: item.category === "error" || item.category === "rule-error" ? "error" : "warning",
          source: "lint",
        });
      }
    }
    return problems;
  }

  window.VGLint = { run, laneExpression, checkExpression, CONFIG, EN };
})();
