// page.js: the page: reads the data, builds the run list and a chart per scalar tag and per distribution,
// and redraws what is on screen when a control changes. Every string from a log goes in as text
// (textContent), never as markup.

"use strict";

const DATA = JSON.parse(document.getElementById("tbwriter-data").textContent);

// Colours by run order: a palette with distinct neighbours, then hues spaced by the golden angle.
const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                 "#bcbd22", "#17becf", "#393b79", "#ad494a", "#637939", "#8c6d31", "#7b4173", "#3182bd"];
function colorOf(index) {
  return index < PALETTE.length ? PALETTE[index] : `hsl(${(index * 137.508) % 360}, 65%, 45%)`;
}
const RUN_COLOR = new Map(DATA.runs.map((run, i) => [run, colorOf(i)]));

const state = {
  smoothing: 0.6, x: "step", logY: false, tags: null, runs: null, group: DATA.group || "", band: "std",
  hidden: new Set(),
};

function element(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

// A regex from a filter box, or null (empty or not a valid regex: the box turns red).
function regexOf(input) {
  const text = input.value;
  input.style.background = "";
  if (!text) return null;
  try {
    return new RegExp(text);
  } catch (e) {
    input.style.background = "#fdd";
    return null;
  }
}

function runShown(run) {
  return !state.hidden.has(run) && (!state.runs || state.runs.test(run));
}

// ---- scalar series ----

const SERIES = DATA.scalars.map(s => ({
  run: s.run, tag: s.tag, points: s.points, downsampled: s.downsampled,
  step: decodeNumbers(s.step), wall: decodeNumbers(s.wall), value: decodeNumbers(s.value), smoothed: null,
}));

function smoothedOf(s) {
  if (!s.smoothed || s.smoothed.weight !== state.smoothing) {
    s.smoothed = {weight: state.smoothing, y: smooth(s.value, state.smoothing)};
  }
  return s.smoothed.y;
}

function xOf(s) {
  if (state.x === "step") return s.step;
  if (state.x === "wall") return s.wall;
  const start = s.wall[0];
  return s.wall.map(w => w - start);
}

function isoTime(seconds) {
  return new Date(seconds * 1000).toISOString().replace("T", " ").replace("Z", " UTC");
}

// What hover shows of point i of a series.
function pointOf(s, y, i) {
  return {label: s.run, step: s.step[i], wall: s.wall[i], value: s.value[i],
          smoothed: state.smoothing > 0 ? y[i] : null, downsampled: s.downsampled};
}

// The lines of one tag's chart: a line per shown run, or a mean line with a band per group.
function linesOf(tag) {
  const shown = SERIES.filter(s => s.tag === tag && runShown(s.run));
  const group = groupPattern();
  if (group === null) {
    return shown.map(s => {
      const y = smoothedOf(s);
      return {key: s.run, color: RUN_COLOR.get(s.run), x: xOf(s), y, raw: state.smoothing > 0 ? s.value : null,
              points: i => pointOf(s, y, i)};
    });
  }
  const groups = new Map();
  for (const s of shown) {
    const name = groupName(s.run, group);
    if (!groups.has(name)) groups.set(name, []);
    groups.get(name).push(s);
  }
  return Array.from(groups, ([name, members]) => {
    const {x, mean, lo, hi} = aggregate(members.map(s => [xOf(s), smoothedOf(s)]), state.band);
    const color = RUN_COLOR.get(members[0].run);
    const label = `${name} (${members.length} run${members.length > 1 ? "s" : ""})`;
    return {key: name, color, x, y: mean, raw: null, band: {x, lo, hi},
            points: i => ({label, step: state.x === "step" ? x[i] : null, wall: null, value: mean[i], smoothed: null,
                           band: [lo[i], hi[i]]})};
  });
}

// The group regex when grouping applies (a valid pattern, and an x axis runs share), else null.
function groupPattern() {
  if (!state.group || state.x === "wall") return null;
  try {
    new RegExp(state.group);
    return state.group;
  } catch (e) {
    return null;
  }
}

function formatterOf(axis) {
  if (axis === "wall") {
    return t => { const s = isoTime(t); return s.slice(5, 16); };
  }
  if (axis === "relative") {
    return t => {
      const a = Math.abs(t);
      const [unit, name] = a < 120 ? [1, "s"] : a < 7200 ? [60, "min"] : a < 172800 ? [3600, "h"] : [86400, "d"];
      return `${+(t / unit).toPrecision(3)}${name}`;
    };
  }
  return formatNumber;
}

// ---- cards: a chart per scalar tag, grouped by the tag's prefix ----

const tooltip = document.getElementById("tooltip");

function showTooltip(point, clientX, clientY) {
  if (!point) { tooltip.hidden = true; return; }
  tooltip.replaceChildren();
  tooltip.appendChild(element("div", "run", point.label));
  const rows = [];
  if (point.step !== null) rows.push(["step", String(point.step)]);
  if (point.wall !== null) rows.push(["wall time", isoTime(point.wall)]);
  rows.push([point.band ? "mean" : "value", String(point.value)]);
  if (point.smoothed !== null) rows.push(["smoothed", String(point.smoothed)]);
  if (point.band) rows.push(["band", `${point.band[0]} to ${point.band[1]}`]);
  if (point.downsampled) rows.push(["", "downsampled series: kept points only"]);
  for (const [name, value] of rows) {
    const row = element("div", name.replace(" ", "-") || "note");
    row.appendChild(element("span", "name", name ? `${name}: ` : ""));
    row.appendChild(element("span", "value", value));
    tooltip.appendChild(row);
  }
  tooltip.hidden = false;
  const w = tooltip.offsetWidth, h = tooltip.offsetHeight;
  tooltip.style.left = `${Math.min(clientX + 14, window.innerWidth - w - 4)}px`;
  tooltip.style.top = `${Math.min(clientY + 14, window.innerHeight - h - 4)}px`;
}

const CARDS = [];  // {card, tag, run, render(), dirty, visible}
let FIRST_DRAWN = null;  // when the first card was drawn, in ms since the page began to load

const observer = new IntersectionObserver(entries => {
  for (const entry of entries) {
    const c = entry.target.card;
    c.visible = entry.isIntersecting;
    if (c.visible && c.dirty) c.render();
  }
});

function addCard(parent, title, {tag = null, run = null, build}) {
  const card = element("div", "card");
  card.appendChild(element("h3", "", title));
  parent.appendChild(card);
  const c = {card, tag, run, dirty: true, visible: false};
  c.render = () => {
    c.dirty = false;
    build.render();
    if (FIRST_DRAWN === null) FIRST_DRAWN = performance.now();
  };
  build.init(card, c);
  card.card = c;
  observer.observe(card);
  CARDS.push(c);
  return c;
}

function prefixOf(tag) {
  const slash = tag.indexOf("/");
  return slash < 0 ? tag : tag.slice(0, slash);
}

// Sections by prefix, each collapsible; returns the element to put a prefix's cards in.
function sectionMaker(section) {
  const grids = new Map();
  return tag => {
    const prefix = prefixOf(tag);
    if (!grids.has(prefix)) {
      if (section.link) section.hidden = section.link.hidden = false;
      const details = element("details");
      details.open = true;
      details.appendChild(element("summary", "", prefix));
      const grid = element("div", "grid");
      details.appendChild(grid);
      section.appendChild(details);
      grids.set(prefix, grid);
    }
    return grids.get(prefix);
  };
}

const CHARTS = new Map();  // tag -> Chart, for the test hook

let scalarGrid = null;  // tag -> the grid its card goes in, once the section is made

function buildScalars() {
  scalarGrid = sectionMaker(document.getElementById("scalars"));
  for (const tag of Array.from(new Set(SERIES.map(s => s.tag))).sort()) addScalarCard(tag);
}

function addScalarCard(tag) {
  let chart, note, legend;
  addCard(scalarGrid(tag), tag, {tag, build: {
    init(card) {
      const reset = element("button", "reset", "reset zoom");
      reset.type = "button";
      card.insertBefore(reset, card.firstChild);
      note = element("div", "note");
      card.appendChild(note);
      chart = new Chart(card, showTooltip);
      legend = element("div", "legend");
      card.appendChild(legend);
      reset.addEventListener("click", () => chart.resetZoom());
      CHARTS.set(tag, chart);
    },
    render() {
      chart.logY = state.logY;
      chart.formatX = formatterOf(state.x);
      chart.setLines(linesOf(tag));
      // runs are named in the run list; groups, which are not, here
      legend.replaceChildren(...chart.lines.filter(l => l.band).map(l => {
        const item = element("span", "item");
        const swatch = element("span", "swatch");
        swatch.style.background = l.color;
        item.append(swatch, element("span", "", l.points(0).label));
        return item;
      }));
      const cut = SERIES.filter(s => s.tag === tag && s.downsampled && runShown(s.run));
      // a few runs named; with many, the first three and a count (all of them in the note's tooltip)
      const named = cut.map(s => `${s.run} (${s.points} points, ${s.step.length} kept)`);
      const shown = named.length > 4 ? [...named.slice(0, 3), `and ${named.length - 3} more runs`] : named;
      note.textContent = cut.length ? `downsampled (first, last, min and max of ${DATA.columns} columns): ` +
        shown.join(", ") + "; hover and smoothing use the kept points" : "";
      note.title = named.join("\n");
      chart.draw();
    },
  }});
}

// ---- distributions: TensorBoard's percentile bands over steps ----

function buildDistributions() {
  const section = document.getElementById("distributions");
  const gridOf = sectionMaker(section);
  for (const h of DATA.histograms) {
    const step = decodeFloats(h.step), wall = decodeFloats(h.wall), flat = decodeFloats(h.percentiles);
    const k = h.basis_points.length, n = step.length;
    const column = j => Float64Array.from({length: n}, (_, i) => flat[i * k + j]);
    const p = Array.from({length: k}, (_, j) => column(j));
    const color = RUN_COLOR.get(h.run);
    let chart;
    addCard(gridOf(h.tag), `${h.tag} — ${h.run}`, {tag: h.tag, run: h.run, build: {
      init(card) { chart = new Chart(card, showTooltip); },
      render() {
        const lines = [];
        for (let j = 0; j < k / 2 - 0.5; j++) {  // outer band first: 0-100, 7-93, 16-84, 31-69
          lines.push({key: j, color, x: step, y: new Float64Array(0), raw: null, alpha: 0,
                      band: {x: step, lo: p[j], hi: p[k - 1 - j]}, bandAlpha: 0.15 + 0.1 * j});
        }
        const median = p[(k - 1) / 2];
        lines.push({key: "median", color, x: step, y: median, raw: null,
                    points: i => ({label: `${h.run}, median`, step: step[i], wall: wall[i], value: median[i],
                                   smoothed: null, band: [p[0][i], p[k - 1][i]]})});
        chart.setLines(lines);
        chart.draw();
      },
    }});
  }
}

// ---- controls ----

function refresh() {
  for (const c of CARDS) {
    const shown = (!c.tag || !state.tags || state.tags.test(c.tag)) && (!c.run || runShown(c.run));
    c.card.style.display = shown ? "" : "none";
    c.dirty = true;
    if (shown && c.visible) c.render();
  }
  for (const details of document.querySelectorAll("main details")) {
    const any = Array.from(details.querySelectorAll(".card")).some(card => card.style.display !== "none");
    details.style.display = any ? "" : "none";
  }
  for (const li of document.querySelectorAll("#runs li")) {
    li.classList.toggle("off", state.hidden.has(li.run));
    li.style.display = !state.runs || state.runs.test(li.run) ? "" : "none";
  }
}

function addRunItem(run) {
  const li = element("li");
  li.run = run;
  const swatch = element("span", "swatch");
  swatch.style.background = RUN_COLOR.get(run);
  li.appendChild(swatch);
  li.appendChild(element("span", "name", run));
  li.addEventListener("click", () => {
    if (state.hidden.has(run)) state.hidden.delete(run); else state.hidden.add(run);
    refresh();
  });
  document.getElementById("runs").appendChild(li);
}

function buildControls() {
  document.getElementById("title").textContent = DATA.title;
  const smoothing = document.getElementById("smoothing"), shownValue = document.getElementById("smoothing-value");
  const setSmoothing = () => {
    state.smoothing = Number(smoothing.value);
    shownValue.textContent = smoothing.value;
    refresh();
  };
  smoothing.addEventListener("input", setSmoothing);
  shownValue.textContent = smoothing.value;
  const on = (id, event, apply) => {
    const input = document.getElementById(id);
    input.addEventListener(event, () => { apply(input); refresh(); });
    return input;
  };
  on("x-axis", "change", input => { state.x = input.value; for (const chart of CHARTS.values()) chart.zoom = null; });
  on("log-y", "change", input => { state.logY = input.checked; });
  on("tag-filter", "input", input => { state.tags = regexOf(input); });
  on("run-filter", "input", input => { state.runs = regexOf(input); });
  on("band", "change", input => { state.band = input.value; });
  on("group", "input", input => { state.group = input.value; regexOf(input); }).value = state.group;
  document.getElementById("runs-all").addEventListener("click", () => { state.hidden.clear(); refresh(); });
  document.getElementById("runs-none").addEventListener("click", () => {
    for (const run of DATA.runs) state.hidden.add(run);
    refresh();
  });
  for (const run of DATA.runs) addRunItem(run);
  const cut = SERIES.filter(s => s.downsampled).length;
  if (cut) {
    document.getElementById("notes").textContent = `${cut} of ${SERIES.length} scalar series are downsampled to ` +
      `the first, last, lowest and highest point of each of ${DATA.columns} columns, to keep the file small; ` +
      "hover and smoothing there use the kept points.";
  }
}

// A heading and a tab per section; a section with nothing in it stays hidden until something arrives (live).
function buildSections() {
  const tabs = document.getElementById("tabs");
  for (const section of document.querySelectorAll("main > section")) {
    const empty = !section.children.length;
    section.insertBefore(element("h2", "", section.dataset.title), section.firstChild);
    section.link = element("a", "", section.dataset.title);
    section.link.href = `#${section.id}`;
    tabs.appendChild(section.link);
    section.hidden = section.link.hidden = empty;
  }
}

// ---- live: `tbwriter serve` pages ask for new points every DATA.live.interval_ms ----

function concat(a, b) {
  const out = new Float64Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

// New points from the server: appended to their series; a new run or tag gets its colour, list entry or chart.
function addPoints(update) {
  const tags = new Set();
  for (const u of update) {
    const step = decodeNumbers(u.step), wall = decodeNumbers(u.wall), value = decodeNumbers(u.value);
    let s = SERIES.find(e => e.tag === u.tag && e.run === u.run);
    if (!s) {
      s = {run: u.run, tag: u.tag, points: 0, downsampled: false, step: new Float64Array(0),
           wall: new Float64Array(0), value: new Float64Array(0), smoothed: null};
      SERIES.push(s);
      if (!RUN_COLOR.has(u.run)) {
        RUN_COLOR.set(u.run, colorOf(RUN_COLOR.size));
        DATA.runs.push(u.run);
        addRunItem(u.run);
      }
      if (!CHARTS.has(u.tag)) addScalarCard(u.tag);
    }
    s.step = concat(s.step, step);
    s.wall = concat(s.wall, wall);
    s.value = concat(s.value, value);
    s.points += step.length;
    s.smoothed = null;
    tags.add(u.tag);
  }
  for (const c of CARDS) {
    if (!tags.has(c.tag) || c.run) continue;
    c.dirty = true;
    if (c.visible) c.render();
  }
}

function follow() {
  if (!DATA.live) return;
  let cursor = DATA.live.cursor;
  const poll = async () => {
    try {
      const answer = await fetch(`api/scalars?after=${cursor}`, {cache: "no-store"});
      if (answer.ok) {
        const update = await answer.json();
        cursor = update.cursor;
        if (update.series.length) addPoints(update.series);
      }
    } catch (e) {
      // the server stopped or restarted: keep what is shown, ask again later
    }
    setTimeout(poll, DATA.live.interval_ms);
  };
  setTimeout(poll, DATA.live.interval_ms);
}

// A read-only view of what the page computed, for tests and scripts: copies, never the page's own arrays.
window.tbwriterView = Object.freeze({
  runs: () => DATA.runs.slice(),
  color: run => RUN_COLOR.get(run),
  series(tag, run) {
    const s = SERIES.find(e => e.tag === tag && e.run === run);
    if (!s) return null;
    return {step: Array.from(s.step), wall: Array.from(s.wall), value: Array.from(s.value),
            smoothed: Array.from(smoothedOf(s)), downsampled: s.downsampled, points: s.points};
  },
  // where point i of a run's line in a tag's chart is drawn, in client pixels (the chart must be on screen)
  pointAt(tag, run, i) {
    const chart = CHARTS.get(tag);
    const line = chart && chart.lines.find(l => l.key === run);
    if (!line || !chart.view) return null;
    const rect = chart.canvas.getBoundingClientRect();
    return {x: rect.left + chart.view.px(line.x[i]), y: rect.top + chart.view.py(line.y[i])};
  },
  // the chart's plot area in client pixels
  plotArea(tag) {
    const chart = CHARTS.get(tag);
    if (!chart || !chart.view) return null;
    const rect = chart.canvas.getBoundingClientRect();
    return {left: rect.left + MARGIN.left, top: rect.top + MARGIN.top, width: chart.view.w, height: chart.view.h};
  },
  // a drawn line of a tag's chart (a run, or a group's mean and band): its x, y and band, as drawn
  line(tag, key) {
    const chart = CHARTS.get(tag);
    const line = chart && chart.lines.find(l => l.key === key);
    if (!line) return null;
    const band = line.band || {lo: [], hi: []};
    return {x: Array.from(line.x), y: Array.from(line.y), lo: Array.from(band.lo), hi: Array.from(band.hi)};
  },
  zoom: tag => (CHARTS.get(tag) && CHARTS.get(tag).zoom ? CHARTS.get(tag).zoom.slice() : null),
  // how many vertices the last drawing of a line had (every point in view, or per-column extremes)
  vertices(tag, key) {
    const chart = CHARTS.get(tag);
    const line = chart && chart.lines.find(l => l.key === key);
    return line ? line.vertices : null;
  },
  firstDrawn: () => FIRST_DRAWN,
  drawn: tag => (CHARTS.get(tag) ? CHARTS.get(tag).lines.map(l => l.key) : null),
});

buildControls();
buildScalars();
buildDistributions();
buildMedia();
buildHParams();
buildSections();
refresh();
follow();
