// chart.js: one line chart on a 2-D canvas: lines, faint raw lines, bands; axes; hover; drag to zoom.
//
// A line is {key, color, x, y, raw, band, points, alpha}: x and y typed arrays (y already smoothed), raw the
// unsmoothed y drawn faint behind (or null), band {x, lo, hi} filled behind (or null), points what hover reports
// ({label, step, wall, value, smoothed} of index i). Where a line has more points than the chart has pixel
// columns, only the first, last, lowest and highest point of each column are drawn (M4): the picture is the
// same as with every point, a one-step spike included, and zooming in draws the exact points again.

"use strict";

const MARGIN = {left: 58, right: 12, top: 10, bottom: 26};

// Index of the first element >= v in ascending a (a.length when none).
function lowerBound(a, v) {
  let lo = 0, hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid] < v) lo = mid + 1; else hi = mid;
  }
  return lo;
}

function isSorted(a) {
  for (let i = 1; i < a.length; i++) if (a[i] < a[i - 1]) return false;
  return true;
}

// About `count` round tick values from lo to hi.
function niceTicks(lo, hi, count) {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count, power = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map(m => m * power).find(s => s >= raw);
  const ticks = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(Math.abs(t) < step * 1e-9 ? 0 : t);
  return ticks;
}

function formatNumber(v) {
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(1);
  return String(+v.toPrecision(4));
}

class Chart {
  // container: an element to fill; axis: {format(x) -> tick label, hover(point) -> rows}; options: {logY}
  constructor(container, onHover) {
    this.canvas = document.createElement("canvas");
    this.canvas.className = "chart";
    container.appendChild(this.canvas);
    this.lines = [];
    this.zoom = null;          // [x0, x1] chosen by dragging, or null for everything
    this.logY = false;
    this.formatX = formatNumber;
    this.onHover = onHover;    // called with (point or null, clientX, clientY)
    this.drag = null;
    this.hovered = null;
    const c = this.canvas;
    c.addEventListener("mousedown", e => { this.drag = {from: this.offsetX(e), to: this.offsetX(e)}; });
    c.addEventListener("mousemove", e => this.mouseMove(e));
    c.addEventListener("mouseleave", () => { this.hovered = null; this.onHover(null); this.draw(); });
    window.addEventListener("mouseup", e => this.mouseUp(e));
    c.addEventListener("dblclick", () => this.resetZoom());
  }

  offsetX(e) { return e.clientX - this.canvas.getBoundingClientRect().left; }

  setLines(lines) { this.lines = lines; this.hovered = null; }

  resetZoom() { this.zoom = null; this.draw(); }

  // The x range shown and the y range of what lies in it.
  ranges() {
    let x0 = Infinity, x1 = -Infinity;
    for (const line of this.lines) {
      for (const x of [line.x, line.band && line.band.x]) {
        if (!x || !x.length) continue;
        for (let i = 0; i < x.length; i++) { if (x[i] < x0) x0 = x[i]; if (x[i] > x1) x1 = x[i]; }
      }
    }
    if (this.zoom) [x0, x1] = this.zoom;
    if (!(x1 > x0)) { x0 -= 1; x1 += 1; }
    let y0 = Infinity, y1 = -Infinity;
    const take = v => {
      if (!Number.isFinite(v) || (this.logY && !(v > 0))) return;
      if (v < y0) y0 = v;
      if (v > y1) y1 = v;
    };
    for (const line of this.lines) {
      const parts = [[line.x, line.y], [line.x, line.raw]];
      if (line.band) parts.push([line.band.x, line.band.lo], [line.band.x, line.band.hi]);
      for (const [x, y] of parts) {
        if (!y) continue;
        for (let i = 0; i < x.length; i++) if (x[i] >= x0 && x[i] <= x1) take(y[i]);
      }
    }
    if (!(y1 >= y0)) { y0 = this.logY ? 0.1 : 0; y1 = 1; }
    if (this.logY) { y0 = Math.log10(y0); y1 = Math.log10(y1); }
    const pad = y1 > y0 ? (y1 - y0) * 0.05 : Math.max(Math.abs(y0) * 0.1, 0.5);
    return {x0, x1, y0: y0 - pad, y1: y1 + pad};
  }

  // Resize the canvas to its box (in device pixels) and set up the data -> pixel transforms.
  layout() {
    const c = this.canvas, ratio = window.devicePixelRatio || 1;
    const width = c.clientWidth, height = c.clientHeight;
    if (c.width !== Math.round(width * ratio) || c.height !== Math.round(height * ratio)) {
      c.width = Math.round(width * ratio);
      c.height = Math.round(height * ratio);
    }
    const r = this.ranges();
    const w = width - MARGIN.left - MARGIN.right, h = height - MARGIN.top - MARGIN.bottom;
    this.view = {
      ...r, width, height, w, h, ratio,
      px: x => MARGIN.left + (x - r.x0) / (r.x1 - r.x0) * w,
      py: y => MARGIN.top + (1 - ((this.logY ? Math.log10(y) : y) - r.y0) / (r.y1 - r.y0)) * h,
      dataX: px => r.x0 + (px - MARGIN.left) / w * (r.x1 - r.x0),
    };
  }

  draw() {
    if (!this.canvas.isConnected || this.canvas.clientWidth === 0) return;
    this.layout();
    const v = this.view, ctx = this.canvas.getContext("2d");
    ctx.setTransform(v.ratio, 0, 0, v.ratio, 0, 0);
    ctx.clearRect(0, 0, v.width, v.height);
    this.drawAxes(ctx);
    ctx.save();
    ctx.beginPath();
    ctx.rect(MARGIN.left, MARGIN.top, v.w, v.h);
    ctx.clip();
    for (const line of this.lines) if (line.band) this.drawBand(ctx, line);
    for (const line of this.lines) if (line.raw) this.drawPath(ctx, line.x, line.raw, line.color, 1, 0.25);
    for (const line of this.lines) {
      line.vertices = this.drawPath(ctx, line.x, line.y, line.color, 1.5, line.alpha === undefined ? 1 : line.alpha);
    }
    if (this.hovered) {
      const {line, i} = this.hovered;
      ctx.fillStyle = line.color;
      ctx.beginPath();
      ctx.arc(v.px(line.x[i]), v.py(line.y[i]), 4, 0, 2 * Math.PI);
      ctx.fill();
    }
    if (this.drag && Math.abs(this.drag.to - this.drag.from) > 2) {
      ctx.fillStyle = "rgba(80, 120, 200, 0.15)";
      ctx.fillRect(Math.min(this.drag.from, this.drag.to), MARGIN.top, Math.abs(this.drag.to - this.drag.from), v.h);
    }
    ctx.restore();
  }

  drawAxes(ctx) {
    const v = this.view;
    ctx.strokeStyle = "#ddd";
    ctx.fillStyle = "#555";
    ctx.lineWidth = 1;
    ctx.font = "11px sans-serif";
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    for (const t of niceTicks(v.y0, v.y1, 5)) {
      const y = MARGIN.top + (1 - (t - v.y0) / (v.y1 - v.y0)) * v.h;
      ctx.beginPath(); ctx.moveTo(MARGIN.left, y); ctx.lineTo(MARGIN.left + v.w, y); ctx.stroke();
      ctx.fillText(this.logY ? formatNumber(Math.pow(10, t)) : formatNumber(t), MARGIN.left - 4, y);
    }
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    for (const t of niceTicks(v.x0, v.x1, Math.max(2, Math.floor(v.w / 90)))) {
      const x = v.px(t);
      ctx.beginPath(); ctx.moveTo(x, MARGIN.top); ctx.lineTo(x, MARGIN.top + v.h); ctx.stroke();
      ctx.fillText(this.formatX(t), x, MARGIN.top + v.h + 5);
    }
    ctx.strokeStyle = "#999";
    ctx.strokeRect(MARGIN.left, MARGIN.top, v.w, v.h);
  }

  // The indices to draw of x[lo..hi): every point, or per pixel column its first, lowest, highest and last.
  static columnsOf(x, y, lo, hi, px, width) {
    if (hi - lo <= 4 * width) return null;
    const out = [];
    let column = NaN, first = -1, min = -1, max = -1, last = -1;
    const flush = () => {
      if (first < 0) return;
      for (const i of [first, min, max, last].sort((a, b) => a - b)) if (out[out.length - 1] !== i) out.push(i);
    };
    for (let i = lo; i < hi; i++) {
      const c = Math.floor(px(x[i]));
      if (c !== column) { flush(); column = c; first = min = max = i; }
      if (y[i] < y[min]) min = i;
      if (y[i] > y[max]) max = i;
      last = i;
    }
    flush();
    return out;
  }

  // Draws the line; returns how many vertices it drew.
  drawPath(ctx, x, y, color, width, alpha) {
    const v = this.view;
    if (!x.length) return 0;
    // the visible stretch, one point beyond each side so the line reaches the edges
    let lo = 0, hi = x.length;
    if (isSorted(x)) {
      lo = Math.max(0, lowerBound(x, v.x0) - 1);
      hi = lowerBound(x, v.x1);
      while (hi < x.length && x[hi] <= v.x1) hi++;  // past the points at x1 itself
      hi = Math.min(x.length, hi + 1);
    }
    const keep = Chart.columnsOf(x, y, lo, hi, v.px, v.w);
    ctx.strokeStyle = color;
    ctx.globalAlpha = alpha;
    ctx.lineWidth = width;
    ctx.lineJoin = "round";
    ctx.beginPath();
    let pen = false, vertices = 0;
    const count = keep ? keep.length : hi - lo;
    for (let k = 0; k < count; k++) {
      const i = keep ? keep[k] : lo + k;
      const value = y[i];
      if (!Number.isFinite(value) || (this.logY && !(value > 0))) { pen = false; continue; }
      const X = v.px(x[i]), Y = v.py(value);
      if (pen) ctx.lineTo(X, Y); else ctx.moveTo(X, Y);
      pen = true;
      vertices++;
    }
    if (count === 1) { const i = keep ? keep[0] : lo; ctx.arc(v.px(x[i]), v.py(y[i]), 1.5, 0, 2 * Math.PI); }
    ctx.stroke();
    ctx.globalAlpha = 1;
    return vertices;
  }

  drawBand(ctx, line) {
    const v = this.view, {x, lo, hi} = line.band;
    const ok = i => Number.isFinite(lo[i]) && Number.isFinite(hi[i]) && (!this.logY || lo[i] > 0);
    ctx.fillStyle = line.color;
    ctx.globalAlpha = line.bandAlpha || 0.2;
    ctx.beginPath();
    let start = -1;
    const close = end => {  // one polygon per finite stretch: along hi, back along lo
      if (start < 0) return;
      ctx.moveTo(v.px(x[start]), v.py(hi[start]));
      for (let i = start + 1; i < end; i++) ctx.lineTo(v.px(x[i]), v.py(hi[i]));
      for (let i = end - 1; i >= start; i--) ctx.lineTo(v.px(x[i]), v.py(lo[i]));
      ctx.closePath();
      start = -1;
    };
    for (let i = 0; i < x.length; i++) {
      if (ok(i)) { if (start < 0) start = i; } else close(i);
    }
    close(x.length);
    ctx.fill();
    ctx.globalAlpha = 1;
  }

  // The point nearest the mouse, in pixels, over every line that has points to report.
  nearest(e) {
    const v = this.view, rect = this.canvas.getBoundingClientRect();
    const mx = e.clientX - rect.left, my = e.clientY - rect.top;
    let best = null, bestDistance = 30 * 30;
    for (const line of this.lines) {
      if (!line.points) continue;
      const {x, y} = line;
      let from = 0, to = x.length;
      if (isSorted(x)) {  // only the points within reach of the mouse in x
        from = lowerBound(x, v.dataX(mx - 30));
        to = lowerBound(x, v.dataX(mx + 30) + 1e-12 * Math.abs(v.x1 - v.x0));
        while (to < x.length && v.px(x[to]) <= mx + 30) to++;
      }
      for (let i = from; i < to; i++) {
        if (!Number.isFinite(y[i]) || (this.logY && !(y[i] > 0))) continue;
        const dx = v.px(x[i]) - mx, dy = v.py(y[i]) - my, d = dx * dx + dy * dy;
        if (d < bestDistance) { bestDistance = d; best = {line, i}; }
      }
    }
    return best;
  }

  mouseMove(e) {
    if (!this.view) return;
    if (this.drag) { this.drag.to = this.offsetX(e); this.draw(); return; }
    this.hovered = this.nearest(e);
    this.onHover(this.hovered && this.hovered.line.points(this.hovered.i), e.clientX, e.clientY);
    this.draw();
  }

  mouseUp(e) {
    if (!this.drag) return;
    const {from, to} = this.drag;
    this.drag = null;
    if (Math.abs(to - from) > 5) {
      const a = this.view.dataX(Math.min(from, to)), b = this.view.dataX(Math.max(from, to));
      this.zoom = [a, b];
    }
    this.draw();
  }
}
