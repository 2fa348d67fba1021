// media.js: images (a step slider per run and tag) and text (rendered to safe HTML by tbwriter: markdown with
// raw HTML off, so the only markup here is markdown's own; the page's script hash in its CSP stops any other).

"use strict";

// A card with a slider over the steps of `items`; show(itemsOfStep, step) fills `body`.
function steppedCard(parent, title, tag, run, items, show) {
  const steps = Array.from(new Set(items.map(e => e.step))).sort((a, b) => a - b);
  let body, slider, label;
  addCard(parent, title, {tag, run, build: {
    init(card) {
      label = element("div", "step");
      slider = element("input");
      slider.type = "range";
      slider.min = 0;
      slider.max = steps.length - 1;
      slider.value = steps.length - 1;
      slider.hidden = steps.length < 2;
      slider.addEventListener("input", () => this.render());
      body = element("div");
      card.append(label, slider, body);
    },
    render() {
      const step = steps[Number(slider.value)];
      label.textContent = `step ${step} (${Number(slider.value) + 1} of ${steps.length})`;
      body.replaceChildren();
      show(items.filter(e => e.step === step), body);
    },
  }});
}

function buildMedia() {
  const images = sectionMaker(document.getElementById("images"));
  for (const series of DATA.images) {
    steppedCard(images(series.tag), `${series.tag} — ${series.run}`, series.tag, series.run, series.items,
      (items, body) => {
        for (const item of items) {
          if (!item.src) {
            body.appendChild(element("div", "note", `sample ${item.sample}: not a PNG, JPEG, GIF or WebP image`));
            continue;
          }
          const img = element("img");
          img.src = item.src;  // a data: URI built by tbwriter from the image's bytes
          img.alt = `${series.tag} sample ${item.sample}`;
          img.title = `${series.run}, step ${item.step}, sample ${item.sample}, ${item.width}×${item.height}`;
          body.appendChild(img);
        }
      });
  }
  const texts = sectionMaker(document.getElementById("text"));
  for (const series of DATA.texts) {
    steppedCard(texts(series.tag), `${series.tag} — ${series.run}`, series.tag, series.run, series.items,
      (items, body) => {
        for (const item of items) {
          const div = element("div", "text-item");
          // item.html is markdown rendered by tbwriter with raw HTML disabled: every character of the log's
          // text is escaped there, so this inserts no markup the log wrote
          div.innerHTML = item.html;
          body.appendChild(div);
        }
      });
  }
}
