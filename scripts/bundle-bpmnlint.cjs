#!/usr/bin/env node
// Wrap bpmnlint's CommonJS sources (the Linter, every rule, the shipped configs)
// into ONE plain browser script that sets `window.bpmnlint`:
//
//   { version, Linter, rules: { "<rule name>": ruleFactory }, configs: { recommended, all, correctness } }
//
// Not a general bundler: it follows `require('<literal>')` calls from those entry
// files, resolves them with Node's own resolver, and accepts only CommonJS files
// plus ES module files whose single export is one plain `export { a, b, c };`
// line (min-dash's dist). Anything else stops the vendor step with an error,
// so an upgrade that changes the packaging is noticed, not silently broken.
//
// Usage: node scripts/bundle-bpmnlint.cjs <node_modules> <output file>
"use strict";

const fs = require("fs");
const path = require("path");

const [nodeModules, output] = process.argv.slice(2);
if (!nodeModules || !output) {
  console.error("usage: bundle-bpmnlint.cjs <node_modules> <output.js>");
  process.exit(2);
}
const pkgRoot = path.join(nodeModules, "bpmnlint");
const version = JSON.parse(fs.readFileSync(path.join(pkgRoot, "package.json"), "utf8")).version;

const modules = new Map(); // absolute path -> { id, deps: {request: id}, source }
const REQUIRE = /\brequire\(\s*(['"])([^'"]+)\1\s*\)/g;

function toCommonJS(file, source) {
  if (!/^\s*(import|export)\s/m.test(source)) return source;
  const lines = source.split("\n");
  const exportLines = lines.filter((l) => /^\s*export\s/.test(l));
  const importLines = lines.filter((l) => /^\s*import\s/.test(l));
  const single = exportLines.length === 1 && /^export \{([\w\s,]+)\};?\s*$/.exec(exportLines[0]);
  if (importLines.length || !single) {
    throw new Error(`${file}: an ES module this script cannot convert (imports, or exports other than one 'export { ... };')`);
  }
  const names = single[1].split(",").map((n) => n.trim()).filter(Boolean);
  return source.replace(exportLines[0], `module.exports = { ${names.join(", ")} };`);
}

function add(file) {
  const abs = fs.realpathSync(file);
  if (modules.has(abs)) return modules.get(abs).id;
  const id = path.relative(nodeModules, abs).split(path.sep).join("/");
  const entry = { id, deps: {}, source: "" };
  modules.set(abs, entry);
  const source = toCommonJS(id, fs.readFileSync(abs, "utf8"));
  entry.source = source;
  for (const match of source.matchAll(REQUIRE)) {
    const request = match[2];
    if (request.startsWith("node:") || ["fs", "path", "assert", "util"].includes(request)) {
      throw new Error(`${id} needs the Node built-in '${request}'`);
    }
    const resolved = require.resolve(request, { paths: [path.dirname(abs)] });
    entry.deps[request] = add(resolved);
  }
  return id;
}

const linterId = add(path.join(pkgRoot, "lib", "linter.js"));
const rules = {};
for (const name of fs.readdirSync(path.join(pkgRoot, "rules")).sort()) {
  if (name.endsWith(".js") && name !== "helper.js") rules[name.slice(0, -3)] = add(path.join(pkgRoot, "rules", name));
}
const configs = {};
for (const name of fs.readdirSync(path.join(pkgRoot, "config")).sort()) {
  if (name.endsWith(".js")) configs[name.slice(0, -3)] = add(path.join(pkgRoot, "config", name));
}

const parts = [];
parts.push(`/* bpmnlint ${version} (MIT, https://github.com/bpmn-io/bpmnlint) and its dependencies,`);
parts.push(` * wrapped for the browser by scripts/bundle-bpmnlint.cjs. Generated: do not edit. */`);
parts.push("(function () {");
parts.push('  "use strict";');
parts.push("  var defs = {}, cache = {};");
for (const { id, deps, source } of modules.values()) {
  parts.push(`  defs[${JSON.stringify(id)}] = [${JSON.stringify(deps)}, function (module, exports, require) {`);
  parts.push(source);
  parts.push("  }];");
}
parts.push(`  function load(id) {
    if (cache[id]) return cache[id].exports;
    var def = defs[id];
    if (!def) throw new Error("bpmnlint bundle: no module " + id);
    var module = cache[id] = { exports: {} };
    def[1].call(module.exports, module, module.exports, function (request) {
      var dep = def[0][request];
      if (!dep) throw new Error("bpmnlint bundle: " + id + " requires unknown " + request);
      return load(dep);
    });
    return module.exports;
  }
  var rules = {}, configs = {};
  ${Object.entries(rules).map(([n, id]) => `rules[${JSON.stringify(n)}] = load(${JSON.stringify(id)});`).join("\n  ")}
  ${Object.entries(configs).map(([n, id]) => `configs[${JSON.stringify(n)}] = load(${JSON.stringify(id)});`).join("\n  ")}
  window.bpmnlint = { version: ${JSON.stringify(version)}, Linter: load(${JSON.stringify(linterId)}), rules: rules, configs: configs };
})();
`);
fs.mkdirSync(path.dirname(output), { recursive: true });
fs.writeFileSync(output, parts.join("\n"));
console.log(`bundle-bpmnlint: ${modules.size} modules, ${Object.keys(rules).length} rules -> ${output}`);
