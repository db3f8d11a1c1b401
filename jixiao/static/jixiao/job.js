// Polls a background job's progress and reloads the page when it finishes.
(function () {
  var box = document.getElementById("job");
  if (!box || box.dataset.finished === "1") return;
  function poll() {
    fetch(box.dataset.url, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (job) {
        document.getElementById("job-status").textContent = job.status_label;
        document.getElementById("job-bar").style.width = job.percent + "%";
        document.getElementById("job-count").textContent = job.progress + " / " + job.total;
        document.getElementById("job-message").textContent = job.message;
        if (job.finished) { window.location.reload(); } else { setTimeout(poll, 1000); }
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 500);
})();
