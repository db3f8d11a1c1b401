// Goal-sheet review: the score column only for key projects.
(function () {
  "use strict";
  var form = document.getElementById("review-form");
  if (!form) return;
  var key = form.querySelector("[name=is_key]");
  function sync() {
    var on = key && key.checked;
    Array.prototype.forEach.call(form.querySelectorAll(".key-only"), function (cell) { cell.hidden = !on; });
  }
  if (key) key.addEventListener("change", sync);
  sync();
})();
