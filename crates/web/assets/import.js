// The import page: check a file (dry run), show every problem, confirm an import without
// problems. The file goes to the JSON API on the browser session with the CSRF header.
(function () {
  "use strict";
  var form = document.getElementById("import-form");
  if (!form) { return; }
  var t = form.dataset;
  var bar = document.getElementById("import-progress");
  var status = document.getElementById("import-status");
  var result = document.getElementById("import-result");
  var confirm = document.getElementById("import-confirm");
  var pending = null;

  function el(tag, text) {
    var e = document.createElement(tag);
    if (text !== undefined) { e.textContent = String(text); }
    return e;
  }

  function send(dryRun) {
    if (!pending) { return; }
    var xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/v1/imports/" + encodeURIComponent(pending.kind));
    xhr.setRequestHeader("Content-Type", "application/json");
    xhr.setRequestHeader("x-csrf-token", t.csrf);
    bar.hidden = false;
    bar.max = 100;
    bar.value = 0;
    status.textContent = t.uploading;
    xhr.upload.onprogress = function (e) {
      if (e.lengthComputable) { bar.value = Math.round((e.loaded / e.total) * 100); }
    };
    xhr.upload.onload = function () {
      bar.removeAttribute("value");
      status.textContent = dryRun ? t.checking : t.importing;
    };
    // the server counts the rows it has checked; the page asks while the import runs
    var job = "page-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 10);
    var running = true;
    xhr.onload = function () {
      running = false;
      var body = null;
      try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
      finish(body, dryRun);
    };
    xhr.onerror = function () { running = false; bar.hidden = true; status.textContent = t.failed; };
    xhr.send(JSON.stringify({
      content_base64: pending.content, file_name: pending.name, dry_run: dryRun, progress_job: job
    }));
    window.setTimeout(function () { poll(job, dryRun, function () { return running; }); }, 200);
  }

  function finish(body, dryRun) {
    bar.hidden = true;
    var outcome = body && (body.import || (body.kind ? body : null));
    if (!outcome) {
      status.textContent = (body && body.detail) || t.failed;
      return;
    }
    show(outcome, dryRun);
  }

  function poll(job, dryRun, running) {
    var req = new XMLHttpRequest();
    req.open("GET", "/api/v1/imports/progress?job=" + encodeURIComponent(job));
    req.onload = function () {
      var p = null;
      try { p = JSON.parse(req.responseText).jobs[0]; } catch (e) { p = null; }
      if (p && req.status === 200) {
        bar.max = Math.max(p.total_rows, 1);
        bar.value = p.rows_read;
        bar.setAttribute("data-rows", String(p.rows_read));
        bar.setAttribute("data-total", String(p.total_rows));
        if (running()) {
          status.textContent = (dryRun ? t.checking : t.importing) + " " + p.rows_read + " " + t.rowsOf + " " + p.total_rows;
        }
        if (p.done) { return; }
      }
      if (!running()) { return; }
      window.setTimeout(function () { poll(job, dryRun, running); }, 300);
    };
    req.send();
  }

  function show(o, dryRun) {
    result.textContent = "";
    var counts = el("p", t.created + " " + o.created + " · " + t.updated + " " + o.updated +
      " · " + t.unchanged + " " + o.unchanged);
    counts.setAttribute("data-testid", "import-counts");
    result.appendChild(counts);
    confirm.hidden = true;
    if (o.problems.length === 0) {
      status.textContent = o.committed ? t.done : t.ok;
      if (dryRun && !o.committed) { confirm.hidden = false; }
      return;
    }
    status.textContent = t.problems + ": " + o.problem_count;
    var wrap = el("div"); wrap.className = "table-wrap";
    var table = el("table"); table.className = "table";
    table.setAttribute("data-testid", "import-problems");
    var head = el("tr");
    [t.row, t.column, t.value, t.reason].forEach(function (h) { head.appendChild(el("th", h)); });
    var thead = el("thead"); thead.appendChild(head); table.appendChild(thead);
    var tbody = el("tbody");
    o.problems.forEach(function (p) {
      var tr = el("tr");
      tr.setAttribute("data-testid", "import-problem");
      [p.row, p.column, p.value, p.reason].forEach(function (c) { tr.appendChild(el("td", c)); });
      tbody.appendChild(tr);
    });
    table.appendChild(tbody); wrap.appendChild(table); result.appendChild(wrap);
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var file = form.elements.file.files[0];
    if (!file) { return; }
    var reader = new FileReader();
    reader.onload = function () {
      var url = String(reader.result);
      pending = { kind: form.elements.kind.value, name: file.name, content: url.slice(url.indexOf(",") + 1) };
      send(true);
    };
    reader.readAsDataURL(file);
  });
  confirm.addEventListener("click", function () { confirm.hidden = true; send(false); });
})();
