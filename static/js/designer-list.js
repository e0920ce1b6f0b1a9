// The designer's start page: every deployed process, with links to edit it and to its versions,
// and the open incidents of every process (static/js/incidents.js).
(function () {
  const { t, el, api, when } = window.VG;
  async function load() {
    const { items } = await api("GET", "/api/process-definitions");
    const body = document.querySelector("#process-table tbody");
    body.replaceChildren(...items.map((d) => el("tr", { "data-key": d.key },
      el("td", {}, d.name),
      el("td", {}, el("code", {}, d.key)),
      el("td", {}, String(d.version)),
      el("td", {}, `${when(d.deployed_at)}${d.deployed_by ? " · " + d.deployed_by : ""}`),
      el("td", { class: "row-actions" },
        el("a", { href: `/designer/${encodeURIComponent(d.key)}`, class: "button secondary small" }, t("list: edit")),
        el("a", { href: `/designer/${encodeURIComponent(d.key)}/versions`, class: "button secondary small" }, t("list: versions"))))));
    document.getElementById("no-processes").hidden = items.length > 0;
  }
  load().catch((err) => { document.querySelector("#process-table tbody").replaceChildren(el("tr", {}, el("td", { colspan: 5 }, `${t("error")}: ${err.message}`))); });
})();
