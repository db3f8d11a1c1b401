// Goal-sheet editor: add/remove/move indicator rows and main tasks, keep the 二级指标 choices in line with the
// 一级指标, pick indicators from the library (search and suggestions), and check the unsaved sheet as the user
// types (the server answers with findings, weights per 一级指标 and the frame). No libraries.
(function () {
  "use strict";
  var form = document.getElementById("sheet-editor");
  if (!form) return;
  var table = document.getElementById("rows-table");
  var rowTemplate = document.getElementById("row-template");
  var taskTemplate = document.getElementById("task-template");
  var checkUrl = form.getAttribute("data-check-url");
  var searchUrl = form.getAttribute("data-search-url");
  var detailUrl = form.getAttribute("data-detail-url");
  var suggestions = readJson("suggestions-data") || [];
  var frame = readJson("frame-data") || {groups: []};
  var labels = readJson("field-labels") || {};
  var counter = 0;
  var dirty = false;

  function readJson(id) {
    var el = document.getElementById(id);
    if (!el) return null;
    try { return JSON.parse(el.textContent); } catch (e) { return null; }
  }
  function text(s) { return s == null ? "" : String(s); }
  function el(tag, cls, content) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (content != null) node.textContent = content;
    return node;
  }
  function rows() { return Array.prototype.slice.call(table.querySelectorAll("tbody.ind-row")); }
  function field(tbody, name) { return tbody.querySelector("[name='r" + tbody.getAttribute("data-key") + "-" + name + "']"); }

  // ---- rows ----------------------------------------------------------------------------------------------------
  function renumber() {
    rows().forEach(function (tb, i) { tb.querySelector(".pos-no").textContent = String(i + 1); });
  }
  function limitLevel2(tbody) {
    var l1 = field(tbody, "level1");
    var l2 = field(tbody, "level2");
    if (!l1 || !l2) return;
    var code = l1.value;
    l2.querySelectorAll("optgroup").forEach(function (g) {
      var show = !code || g.getAttribute("data-level1") === code;
      g.hidden = !show;
      g.disabled = !show;
    });
    var chosen = l2.options[l2.selectedIndex];
    if (chosen && chosen.parentElement.tagName === "OPTGROUP" && chosen.parentElement.disabled) l2.value = "";
  }
  function setLevel2(select, value) {
    if (!value) { select.value = ""; return; }
    for (var i = 0; i < select.options.length; i++) {
      if (select.options[i].value === value && !select.options[i].disabled) { select.value = value; return; }
    }
    var opt = el("option", "extra", value + "（框架外）");
    opt.value = value;
    select.appendChild(opt);
    select.value = value;
  }
  function syncLibraryMarks(tbody) {
    var ind = field(tbody, "indicator");
    var linked = ind && ind.value;
    var mark = tbody.querySelector(".lib-mark");
    if (mark) mark.hidden = !linked;
    var propose = tbody.querySelector(".propose");
    if (propose) propose.hidden = !!linked;
  }
  function addRow(values) {
    counter += 1;
    var key = "n" + Date.now().toString(36) + counter;
    var html = rowTemplate.innerHTML.split("__KEY__").join(key);
    var holder = document.createElement("table");
    holder.innerHTML = html;
    var tbody = holder.querySelector("tbody");
    table.appendChild(tbody);
    values = values || {};
    ["level1", "name", "comparator", "target_value", "unit", "weight", "explanation", "value_basis", "value_method",
     "data_source", "evidence_type", "value_note", "indicator"].forEach(function (name) {
      var input = field(tbody, name);
      if (input && values[name] != null && values[name] !== "") input.value = values[name];
    });
    limitLevel2(tbody);
    setLevel2(field(tbody, "level2"), values.level2 || "");
    if (values.placeholder) field(tbody, "target_value").placeholder = values.placeholder;
    syncLibraryMarks(tbody);
    renumber();
    changed();
    var focus = values.name ? field(tbody, "target_value") : field(tbody, "level1");
    if (focus) focus.focus();
    return tbody;
  }
  document.getElementById("row-add").addEventListener("click", function () { addRow({}); });
  table.addEventListener("click", function (ev) {
    var tbody = ev.target.closest("tbody.ind-row");
    if (!tbody) return;
    if (ev.target.classList.contains("row-remove")) {
      var name = field(tbody, "name");
      if (name && name.value && !window.confirm("删除指标“" + name.value + "”？")) return;
      tbody.parentNode.removeChild(tbody);
    } else if (ev.target.classList.contains("row-up") && tbody.previousElementSibling &&
               tbody.previousElementSibling.classList.contains("ind-row")) {
      tbody.parentNode.insertBefore(tbody, tbody.previousElementSibling);
    } else if (ev.target.classList.contains("row-down") && tbody.nextElementSibling) {
      tbody.parentNode.insertBefore(tbody.nextElementSibling, tbody);
    } else {
      return;
    }
    renumber();
    changed();
  });
  table.addEventListener("change", function (ev) {
    var tbody = ev.target.closest("tbody.ind-row");
    if (tbody && ev.target.name && /-level1$/.test(ev.target.name)) limitLevel2(tbody);
    if (tbody && ev.target.name && /-name$/.test(ev.target.name)) {
      // A renamed library indicator is no longer the library's: unlink it.
      var ind = field(tbody, "indicator");
      if (ind && ind.value && ev.target.getAttribute("data-lib-name") && ev.target.getAttribute("data-lib-name") !== ev.target.value) {
        ind.value = "";
        syncLibraryMarks(tbody);
      }
    }
  });
  rows().forEach(function (tb) { limitLevel2(tb); syncLibraryMarks(tb); });

  // ---- main tasks ----------------------------------------------------------------------------------------------
  var taskTable = document.getElementById("tasks-table");
  var taskAdd = document.getElementById("task-add");
  if (taskTable && taskAdd && taskTemplate) {
    taskAdd.addEventListener("click", function () {
      counter += 1;
      var holder = document.createElement("table");
      holder.innerHTML = taskTemplate.innerHTML.split("__KEY__").join("n" + counter);
      taskTable.appendChild(holder.querySelector("tbody"));
      changed();
    });
    taskTable.addEventListener("click", function (ev) {
      if (!ev.target.classList.contains("task-remove")) return;
      var tb = ev.target.closest("tbody");
      tb.parentNode.removeChild(tb);
      changed();
    });
  }

  // ---- the frame (二级指标 choices) ------------------------------------------------------------------------------
  function applyFrame(next) {
    if (!next || !next.groups || next.code === frame.code) return;
    frame = next;
    var name = document.getElementById("frame-name");
    if (name) name.textContent = next.name || next.code;
    var selects = table.querySelectorAll("select.level2");
    Array.prototype.forEach.call(selects, function (select) { rebuildLevel2(select, next); });
    var tpl = rowTemplate.content ? rowTemplate.content.querySelector("select.level2") : null;
    if (tpl) rebuildLevel2(tpl, next);
    rows().forEach(limitLevel2);
  }
  function rebuildLevel2(select, fr) {
    var value = select.value;
    while (select.firstChild) select.removeChild(select.firstChild);
    var blank = el("option", null, "—");
    blank.value = "";
    select.appendChild(blank);
    fr.groups.forEach(function (g) {
      var group = document.createElement("optgroup");
      group.label = g.label;
      group.setAttribute("data-level1", g.code);
      (g.level2 || []).forEach(function (n) { var o = el("option", null, n); o.value = n; group.appendChild(o); });
      select.appendChild(group);
    });
    setLevel2(select, value);
  }

  // ---- live check ----------------------------------------------------------------------------------------------
  var timer = null;
  var inflight = null;
  var status = document.getElementById("check-status");
  function changed() {
    dirty = true;
    if (!checkUrl) return;
    if (timer) window.clearTimeout(timer);
    timer = window.setTimeout(runCheck, 600);
  }
  form.addEventListener("input", function (ev) { if (ev.target.closest("#library-panel")) return; changed(); });
  form.addEventListener("change", function (ev) { if (ev.target.closest("#library-panel")) return; changed(); });
  form.addEventListener("submit", function () { dirty = false; });
  window.addEventListener("beforeunload", function (ev) {
    if (dirty) { ev.preventDefault(); ev.returnValue = ""; }
  });

  function runCheck() {
    timer = null;
    if (inflight && inflight.abort) inflight.abort();
    var controller = window.AbortController ? new AbortController() : null;
    inflight = controller;
    if (status) status.textContent = "正在检查…";
    var body = new FormData(form);
    fetch(checkUrl, {method: "POST", body: body, credentials: "same-origin",
                     headers: {"X-Requested-With": "XMLHttpRequest"}, signal: controller ? controller.signal : undefined})
      .then(function (r) {
        if (!r.ok) throw new Error(r.status === 403 ? "无权修改或状态已变化，请刷新页面" : "检查失败（" + r.status + "）");
        return r.json();
      })
      .then(function (data) {
        showFindings(data);
        showWeights(data.weights || []);
        applyFrame(data.frame);
        if (status) status.textContent = "已检查：" + data.errors + " 个问题，" + data.warnings + " 个提示（未保存）";
      })
      .catch(function (err) {
        if (err && err.name === "AbortError") return;
        if (status) status.textContent = err && err.message ? err.message : "检查失败";
      });
  }

  function showFindings(data) {
    var body = document.getElementById("findings-body");
    var counts = document.getElementById("finding-counts");
    var list = data.findings || [];
    while (body.firstChild) body.removeChild(body.firstChild);
    body.closest("table").hidden = list.length === 0;
    counts.textContent = "";
    if (list.length) {
      counts.appendChild(el("span", "sev sev-error", data.errors + " 个问题"));
      counts.appendChild(document.createTextNode(" "));
      counts.appendChild(el("span", "sev sev-warning", data.warnings + " 个提示"));
    } else {
      counts.appendChild(el("span", "sev sev-ok", "未发现问题"));
    }
    var all = rows();
    all.forEach(function (tb) {
      tb.classList.remove("finding-error", "finding-warning");
      Array.prototype.forEach.call(tb.querySelectorAll(".flag-error, .flag-warning"), function (n) {
        n.classList.remove("flag-error", "flag-warning");
        n.removeAttribute("title");
      });
    });
    Array.prototype.forEach.call(form.querySelectorAll(".header-fields .flag-error, .header-fields .flag-warning"),
      function (n) { n.classList.remove("flag-error", "flag-warning"); n.removeAttribute("title"); });
    list.forEach(function (f) {
      var tr = el("tr", "finding finding-" + f.severity);
      var sev = el("td");
      sev.appendChild(el("span", "sev sev-" + f.severity, f.severity === "error" ? "问题" : "提示"));
      tr.appendChild(sev);
      tr.appendChild(el("td", null, (f.row ? "第" + f.row + "行" : "表头") + (f.field ? "“" + f.field + "”" : "")));
      tr.appendChild(el("td", null, f.message));
      var rule = el("td");
      rule.appendChild(el("span", "code", f.rule));
      if (f.basis) rule.appendChild(el("div", "hint", f.basis));
      tr.appendChild(rule);
      body.appendChild(tr);
      var name = labels[f.field] || f.field;
      var cls = f.severity === "error" ? "error" : "warning";
      if (f.row && all[f.row - 1]) {
        var tb = all[f.row - 1];
        if (!tb.classList.contains("finding-error")) tb.classList.add("finding-" + cls);
        var input = name ? field(tb, name) : null;
        mark(input, cls, f.message);
        tr.addEventListener("click", function () { var t = input || tb.querySelector("input, select"); if (t) t.focus(); });
        tr.classList.add("clickable");
      } else if (!f.row && name) {
        var h = form.querySelector(".header-fields [name='" + name + "']");
        mark(h, cls, f.message);
      }
    });
  }
  function mark(input, cls, message) {
    if (!input) return;
    if (!input.classList.contains("flag-error")) input.classList.add("flag-" + cls);
    input.title = input.title ? input.title + "\n" + message : message;
  }
  function showWeights(list) {
    var body = document.getElementById("weights-body");
    if (!body) return;
    while (body.firstChild) body.removeChild(body.firstChild);
    list.forEach(function (w) {
      var tr = el("tr", w.ok ? "ok" : "bad");
      tr.appendChild(el("td", null, w.label));
      tr.appendChild(el("td", "num", w.expected == null ? "—" : w.expected));
      tr.appendChild(el("td", "num", w.actual));
      tr.appendChild(el("td", null, w.ok ? "✓" : "不符"));
      body.appendChild(tr);
    });
  }

  // ---- the indicator library -----------------------------------------------------------------------------------
  var results = document.getElementById("lib-results");
  var libStatus = document.getElementById("lib-status");
  var q = document.getElementById("lib-q");
  var level1 = document.getElementById("lib-level1");
  function fromLibrary(item, extra) {
    var v = {
      level1: item.level1, level2: item.level2, name: item.name, comparator: item.comparator, unit: item.unit,
      explanation: item.explanation, value_basis: item.value_basis, data_source: item.data_source,
      evidence_type: item.evidence_type, indicator: item.id || item.indicator_id
    };
    var ref = (extra && extra.typical_target) || item.reference_value;
    if (ref) v.placeholder = "参考：" + ref;
    var tbody = addRow(v);
    var name = field(tbody, "name");
    if (name) name.setAttribute("data-lib-name", item.name);
    return tbody;
  }
  function search() {
    if (!searchUrl || !results) return;
    var params = new URLSearchParams({q: q.value.trim(), page_size: "15"});
    if (level1.value) params.set("level1", level1.value);
    libStatus.textContent = "正在检索…";
    fetch(searchUrl + "?" + params.toString(), {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { if (!r.ok) throw new Error("检索失败（" + r.status + "）"); return r.json(); })
      .then(function (page) {
        while (results.firstChild) results.removeChild(results.firstChild);
        libStatus.textContent = "共 " + page.count + " 条" + (page.count > page.items.length ? "，显示前 " + page.items.length + " 条" : "");
        page.items.forEach(function (item) {
          var li = el("li");
          var add = el("button", "lib-add", "添加");
          add.type = "button";
          add.addEventListener("click", function () { fromLibrary(item); });
          li.appendChild(add);
          li.appendChild(document.createTextNode(" "));
          li.appendChild(el("strong", null, item.name));
          li.appendChild(el("span", "hint", " " + text(item.level1_label) + " / " + text(item.level2) +
            (item.unit ? " · " + item.unit : "") + (item.reference_value ? " · 参考值 " + item.reference_value : "")));
          if (item.explanation) li.appendChild(el("div", "hint", item.explanation));
          results.appendChild(li);
        });
      })
      .catch(function (err) { libStatus.textContent = err.message || "检索失败"; });
  }
  if (q) {
    document.getElementById("lib-search").addEventListener("click", search);
    q.addEventListener("keydown", function (ev) { if (ev.key === "Enter") { ev.preventDefault(); search(); } });
  }
  var suggestionList = document.getElementById("suggestions");
  if (suggestionList) {
    suggestionList.addEventListener("click", function (ev) {
      var i = ev.target.getAttribute("data-suggestion");
      if (i == null) return;
      var s = suggestions[parseInt(i, 10)];
      if (!s) return;
      ev.target.disabled = true;
      var url = detailUrl ? detailUrl.replace(/\/0(\/?)$/, "/" + s.indicator_id + "$1") : "";
      var done = function (item) { fromLibrary(item, s); ev.target.disabled = false; };
      if (!url) { done(s); return; }
      fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (r) { if (!r.ok) throw new Error(); return r.json(); })
        .then(done)
        .catch(function () { done({level1: s.level1, level2: s.level2, name: s.name, comparator: s.comparator,
                                    unit: s.unit, indicator_id: s.indicator_id}); });
    });
  }
})();
