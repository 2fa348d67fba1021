// hparams.js: the sessions of a sweep as a table (sorted by a click on a column, filtered by a regex) and as
// parallel coordinates coloured by a chosen metric. The axes (each session's height on each, the ticks) come
// computed by tbwriter (plotdata.parallel_axis), as `tbwriter plot --kind hparams` draws them.

"use strict";

function cellText(value) {
  if (value === null || value === undefined) return "";
  return String(value);
}

// A colour from dark blue (0) to yellow (1), through green: a viridis-like ramp.
function ramp(t) {
  const stops = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
  const f = Math.min(Math.max(t, 0), 1) * (stops.length - 1), i = Math.min(Math.floor(f), stops.length - 2);
  const mix = stops[i].map((c, k) => Math.round(c + (stops[i + 1][k] - c) * (f - i)));
  return `rgb(${mix.join(",")})`;
}

function buildHParams() {
  const h = DATA.hparams;
  if (!h.sessions.length) return;
  const section = document.getElementById("hparams");
  const columns = ["run", "status", ...h.hparams, ...h.metrics];
  const valueOf = (s, column) => column === "run" ? s.run : column === "status" ? s.status : s.values[column];
  let sortBy = null, descending = false, filter = null;

  const controls = element("div", "hparams-controls");
  const filterBox = element("input");
  filterBox.type = "search";
  filterBox.placeholder = "filter sessions (regex over a row)";
  const metricSelect = element("select");
  for (const m of h.metrics) metricSelect.appendChild(Object.assign(element("option", "", m), {value: m}));
  controls.append(filterBox, " colour by ", metricSelect);
  const canvas = element("canvas", "parallel");
  const table = element("table", "hparams");
  section.append(controls, canvas, table);

  const rowText = s => columns.map(c => cellText(valueOf(s, c))).join(" ");
  const shown = () => h.sessions.map((s, i) => [s, i]).filter(([s]) => !filter || filter.test(rowText(s)));

  function drawTable() {
    const head = element("tr");
    for (const column of columns) {
      const th = element("th", "", column + (column === sortBy ? (descending ? " ▼" : " ▲") : ""));
      th.addEventListener("click", () => {
        descending = sortBy === column ? !descending : false;
        sortBy = column;
        drawTable();
      });
      head.appendChild(th);
    }
    const rows = shown();
    if (sortBy) {
      // numbers by value, everything else as text; missing values last either way
      const key = ([s]) => valueOf(s, sortBy);
      rows.sort((a, b) => {
        const x = key(a), y = key(b);
        if (x === y) return 0;
        if (x === null || x === undefined) return 1;
        if (y === null || y === undefined) return -1;
        const order = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y));
        return descending ? -order : order;
      });
    }
    table.replaceChildren(head);
    for (const [s] of rows) {
      const tr = element("tr");
      for (const column of columns) tr.appendChild(element("td", "", cellText(valueOf(s, column))));
      table.appendChild(tr);
    }
  }

  function drawParallel() {
    const ratio = window.devicePixelRatio || 1, width = canvas.clientWidth, height = canvas.clientHeight;
    if (!width) return;
    canvas.width = width * ratio;
    canvas.height = height * ratio;
    const ctx = canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);
    const axes = h.axes, top = 28, bottom = height - 16, left = 60, right = width - 60;
    const ax = k => axes.length > 1 ? left + (right - left) * k / (axes.length - 1) : (left + right) / 2;
    const ay = p => bottom - p * (bottom - top);
    const colorAxis = axes.findIndex(a => a.title.replace(/ \(log\)$/, "") === metricSelect.value);
    for (const [, i] of shown()) {
      const p = colorAxis >= 0 ? axes[colorAxis].positions[i] : null;
      ctx.strokeStyle = p === null ? "#bbb" : ramp(p);
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      let pen = false;
      axes.forEach((a, k) => {
        const pos = a.positions[i];
        if (pos === null) { pen = false; return; }
        if (pen) ctx.lineTo(ax(k), ay(pos)); else ctx.moveTo(ax(k), ay(pos));
        pen = true;
      });
      ctx.stroke();
    }
    ctx.fillStyle = "#333";
    ctx.font = "11px sans-serif";
    axes.forEach((a, k) => {
      ctx.strokeStyle = "#666";
      ctx.beginPath(); ctx.moveTo(ax(k), top); ctx.lineTo(ax(k), bottom); ctx.stroke();
      ctx.textAlign = "center";
      ctx.fillText(a.title, ax(k), top - 12);
      ctx.textAlign = "left";
      a.tick_positions.forEach((t, j) => ctx.fillText(a.tick_labels[j], ax(k) + 4, ay(t) + 4));
    });
  }

  filterBox.addEventListener("input", () => { filter = regexOf(filterBox); drawTable(); drawParallel(); });
  metricSelect.addEventListener("change", drawParallel);
  window.addEventListener("resize", drawParallel);
  drawTable();
  requestAnimationFrame(drawParallel);
}
