// series.js: the numbers: decoding the data, TensorBoard's smoothing, seed groups. Ports of tbwriter.plotdata
// (smooth, group_name, aggregate), computed in float64 in the same order so the page draws what
// `tbwriter plot` draws; smooth is held to within 4 ulps of plotdata.smooth by the tests.

"use strict";

// base64 -> the bytes' ArrayBuffer
function decodeBase64(text) {
  const binary = atob(text), bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes.buffer;
}

// base64 of little-endian float64 (what tbwriter.views.data.floats writes) -> Float64Array
function decodeFloats(text) {
  return new Float64Array(decodeBase64(text));
}

// Any of the forms of tbwriter.views.data.numbers -> Float64Array, each number exactly as logged: float64 (a
// string), {f4} or {i4} (base64 of little-endian float32 or int32), or {from, by, count}, computed as there.
function decodeNumbers(data) {
  if (typeof data === "string") return decodeFloats(data);
  if (data.f4 !== undefined) return new Float64Array(new Float32Array(decodeBase64(data.f4)));
  if (data.i4 !== undefined) return new Float64Array(new Int32Array(decodeBase64(data.i4)));
  const out = new Float64Array(data.count);
  for (let i = 0; i < out.length; i++) out[i] = data.from + i * data.by;
  return out;
}

// TensorBoard's debiased exponential moving average (docs/formats.md, section 6).
function smooth(values, weight) {
  const w = Number.isFinite(weight) ? weight : 0;
  const out = Float64Array.from(values);
  let first = NaN, allEqual = true, finite = 0;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (finite++ === 0) first = v; else if (v !== first) allEqual = false;
  }
  if (finite === 0 || w === 0 || allEqual) return out;
  const a = 1 - w;
  let last = 0, n = 0;
  for (let i = 0; i < values.length; i++) {
    const y = values[i];
    if (!Number.isFinite(y)) continue;
    last = last * w + a * y;
    n += 1;
    out[i] = w === 1 ? last : last / (1 - Math.pow(w, n));
  }
  return out;
}

// The group a run belongs to: `pattern` removed, separators tidied (plotdata.group_name).
function groupName(run, pattern) {
  const name = run.replace(new RegExp(pattern, "g"), "").replace(/([/_.\-])[/_.\-]+/g, "$1")
    .replace(/^[/_.\- ]+|[/_.\- ]+$/g, "");
  return name || "all runs";
}

// Sorted by x; for a repeated x the last value wins.
function uniqueSorted(x, y) {
  const order = Array.from(x.keys()).sort((i, j) => x[i] - x[j] || i - j);
  const ux = [], uy = [];
  for (let k = 0; k < order.length; k++) {
    const i = order[k];
    if (k + 1 < order.length && x[order[k + 1]] === x[i]) continue;
    ux.push(x[i]);
    uy.push(y[i]);
  }
  return [ux, uy];
}

// Mean and band of several curves [x, y] on the union of their x (plotdata.aggregate): each curve is interpolated
// linearly inside its own x range only. band: "std" (population std) or "minmax". Returns {x, mean, lo, hi}.
function aggregate(curves, band) {
  curves = curves.map(([x, y]) => uniqueSorted(x, y)).filter(([x]) => x.length);
  const grid = Float64Array.from(new Set(curves.flatMap(([x]) => x))).sort();
  const n = grid.length, sum = new Float64Array(n), count = new Float64Array(n);
  const rows = curves.map(([x, y]) => {
    const row = new Float64Array(n).fill(NaN);
    let k = 0;
    for (let g = lowerBound(grid, x[0]); g < n && grid[g] <= x[x.length - 1]; g++) {
      while (k + 1 < x.length && x[k + 1] < grid[g]) k++;
      const t = x[k + 1] === undefined || x[k] === grid[g] ? 0 : (grid[g] - x[k]) / (x[k + 1] - x[k]);
      row[g] = t === 0 ? y[k] : y[k] + t * (y[k + 1] - y[k]);
    }
    return row;
  });
  for (const row of rows) {
    for (let g = 0; g < n; g++) if (!Number.isNaN(row[g])) { sum[g] += row[g]; count[g] += 1; }
  }
  const mean = sum.map((s, g) => count[g] ? s / count[g] : NaN);
  const lo = new Float64Array(n), hi = new Float64Array(n);
  for (let g = 0; g < n; g++) {
    let a = Infinity, b = -Infinity, squares = 0;
    for (const row of rows) {
      const v = row[g];
      if (Number.isNaN(v)) continue;
      a = Math.min(a, v); b = Math.max(b, v); squares += (v - mean[g]) ** 2;
    }
    if (band === "std") {
      const sd = Math.sqrt(squares / count[g]);
      lo[g] = mean[g] - sd; hi[g] = mean[g] + sd;
    } else {
      lo[g] = count[g] ? a : NaN; hi[g] = count[g] ? b : NaN;
    }
  }
  return {x: grid, mean, lo, hi};
}
