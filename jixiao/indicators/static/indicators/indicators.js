// Indicator library: keep the 二级指标 and 领域 choices consistent with the chosen 一级指标 and 行业.
(function () {
  function limitGroups(select, groupLabel) {
    if (!select) return;
    var groups = select.querySelectorAll("optgroup");
    groups.forEach(function (g) {
      var show = !groupLabel || g.label === groupLabel;
      g.hidden = !show;
      g.disabled = !show;
    });
    var chosen = select.options[select.selectedIndex];
    if (chosen && chosen.parentElement.tagName === "OPTGROUP" && chosen.parentElement.disabled) {
      select.value = "";
    }
  }
  function labelOf(select) {
    if (!select || !select.value) return "";
    var text = select.options[select.selectedIndex].text;
    return text.replace(/^[0-9A-Za-z]+\s/, "");
  }
  function wire(form) {
    if (!form) return;
    var level1 = form.querySelector("[name=level1]");
    var level2 = form.querySelector("[name=level2]");
    var sector = form.querySelector("[name=sector]");
    var domain = form.querySelector("[name=domain]");
    function sync() {
      limitGroups(level2, labelOf(level1));
      limitGroups(domain, labelOf(sector));
    }
    [level1, sector].forEach(function (el) { if (el) el.addEventListener("change", sync); });
    sync();
  }
  wire(document.getElementById("ind-form"));
  wire(document.getElementById("ind-filters"));
})();
