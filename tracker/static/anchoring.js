// Corrections anchored to the response text (the server side is consultations/anchoring.py).
//
// * On the response page and the add page: a passage selected in the response text becomes
//   the character offsets of the cleaned text (the add form's hidden start and end) and the
//   text of the new recommendation. Each paragraph's wrapper carries data-start and data-end;
//   the key labels inside the text (.app-highlight__key) are not part of it.
// * On the edit page: a click in the recommendation's text chooses where a split starts (the
//   nearest point between two words), and the chosen point is shown in the text.
//
// Offsets count code points, as Python does, not UTF-16 units. Without this script both forms
// still work: type the text, or choose the split point from the radios and the list.
"use strict";

(function () {
  const LABEL = ".app-highlight__key";

  function codePoints(text) {
    let count = 0;
    for (const _ of text) count += 1; // eslint-disable-line no-unused-vars
    return count;
  }

  function skipped(textNode, skip) {
    return skip ? textNode.parentElement.closest(skip) !== null : false;
  }

  // Characters of `element`'s own text before the DOM point (node, offset), leaving out skipped parts.
  function offsetIn(element, node, offset, skip) {
    let count = 0;
    const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
    for (let text = walker.nextNode(); text; text = walker.nextNode()) {
      const range = document.createRange();
      range.selectNodeContents(text);
      const where = range.comparePoint(node, offset);
      if (where < 0) break;
      if (where === 0) {
        if (!skipped(text, skip)) count += codePoints(text.data.slice(0, offset));
        break;
      }
      if (!skipped(text, skip)) count += codePoints(text.data);
    }
    return count;
  }

  function ownText(element, skip) {
    let text = "";
    const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (!skipped(node, skip)) text += node.data;
    }
    return text;
  }

  // ---- adding a recommendation from a selected passage ----------------------------------

  function blockPosition(block, node, offset) {
    const start = Number(block.dataset.start);
    const end = Number(block.dataset.end);
    return Math.min(end, start + offsetIn(block, node, offset, LABEL));
  }

  // The selection as {start, end, text} in the cleaned text, or null if it holds none of it.
  function selectedPassage(container, range) {
    const blocks = Array.from(container.querySelectorAll("[data-start]")).filter(function (block) {
      return range.intersectsNode(block);
    });
    if (!blocks.length) return null;
    const first = blocks[0];
    const last = blocks[blocks.length - 1];
    const start = first.contains(range.startContainer)
      ? blockPosition(first, range.startContainer, range.startOffset) : Number(first.dataset.start);
    const end = last.contains(range.endContainer)
      ? blockPosition(last, range.endContainer, range.endOffset) : Number(last.dataset.end);
    if (start >= end) return null;
    const pieces = blocks.map(function (block) {
      const from = Number(block.dataset.start);
      const characters = Array.from(ownText(block, LABEL));
      return characters.slice(Math.max(0, start - from), Math.max(0, end - from)).join("");
    });
    const text = pieces.join("\n\n").replace(/\s+/g, " ").trim();
    return text ? { start: start, end: end, text: text } : null;
  }

  function setUpAddForm(container, form) {
    const startInput = form.querySelector("[data-anchoring-start]");
    const endInput = form.querySelector("[data-anchoring-end]");
    const textBox = form.querySelector("textarea");
    const status = form.querySelector("[data-anchoring-status]");
    const button = form.querySelector("[data-anchoring-use]");
    let remembered = null;
    let filled = null;

    form.querySelectorAll(".app-js-only").forEach(function (element) { element.hidden = false; });
    document.querySelectorAll("[data-anchoring-intro]").forEach(function (element) { element.hidden = false; });

    function currentRange() {
      const selection = window.getSelection();
      if (!selection || selection.rangeCount === 0 || selection.isCollapsed) return null;
      const range = selection.getRangeAt(0);
      return range.intersectsNode(container) ? range : null;
    }

    document.addEventListener("selectionchange", function () {
      const range = currentRange();
      if (range) remembered = range.cloneRange();
    });

    button.addEventListener("click", function () {
      const range = currentRange() || remembered;
      const passage = range ? selectedPassage(container, range) : null;
      if (!passage) {
        status.textContent = "Select a passage in the response text first, then choose ‘Use the selected text’.";
        return;
      }
      startInput.value = String(passage.start);
      endInput.value = String(passage.end);
      textBox.value = passage.text;
      filled = passage.text;
      const preview = passage.text.length > 80 ? passage.text.slice(0, 77) + "…" : passage.text;
      status.textContent = "Selected characters " + passage.start + " to " + passage.end + " of the response: “" +
        preview + "”. Choose a parent or question if needed, then add it.";
      textBox.focus();
    });

    textBox.addEventListener("input", function () {
      if (filled !== null && textBox.value !== filled) {
        startInput.value = "";
        endInput.value = "";
        filled = null;
        status.textContent = "You changed the text, so the selection is no longer used: the text will be " +
          "looked for in the response when you add it.";
      }
    });
  }

  // ---- splitting at a point chosen in the text --------------------------------------------

  function caretAt(x, y) {
    if (document.caretPositionFromPoint) {
      const position = document.caretPositionFromPoint(x, y);
      return position ? { node: position.offsetNode, offset: position.offset } : null;
    }
    if (document.caretRangeFromPoint) {
      const range = document.caretRangeFromPoint(x, y);
      return range ? { node: range.startContainer, offset: range.startOffset } : null;
    }
    return null;
  }

  function setUpSplit(form) {
    const passage = form.querySelector("[data-split-text]");
    const select = form.querySelector("[data-split-word]");
    const status = form.querySelector("[data-split-status]");
    if (!passage || !select) return;
    const radios = Array.from(form.querySelectorAll("input[type=radio][name$='point']"));
    const text = passage.textContent;
    const points = Array.from(select.options).map(function (option) { return option.value; })
      .filter(Boolean).map(Number);

    function chosen() {
      const radio = radios.find(function (r) { return r.checked; });
      if (radio && radio.value !== "word") return Number(radio.value);
      return select.value ? Number(select.value) : null;
    }

    function show() {
      const point = chosen();
      passage.textContent = "";
      if (point === null || Number.isNaN(point)) {
        passage.textContent = text;
        return;
      }
      const characters = Array.from(text);
      const marker = document.createElement("span");
      marker.className = "app-split-marker";
      const second = document.createElement("span");
      second.className = "app-split-second";
      second.textContent = characters.slice(point).join("");
      passage.append(characters.slice(0, point).join(""), marker, second);
      const after = characters.slice(point).join("").trim().split(/\s+/).slice(0, 6).join(" ");
      status.textContent = "The second part will start at “" + after + "…”.";
    }

    function choose(point) {
      const radio = radios.find(function (r) { return r.value === String(point); });
      if (radio) {
        radio.checked = true;
      } else {
        const other = radios.find(function (r) { return r.value === "word"; });
        if (other) other.checked = true;
      }
      select.value = String(point);
      show();
    }

    passage.addEventListener("click", function (event) {
      const caret = caretAt(event.clientX, event.clientY);
      if (!caret || !passage.contains(caret.node) || !points.length) return;
      const offset = offsetIn(passage, caret.node, caret.offset, null);
      let best = points[0];
      points.forEach(function (point) { if (Math.abs(point - offset) < Math.abs(best - offset)) best = point; });
      choose(best);
    });
    form.addEventListener("change", show);
    form.querySelectorAll(".app-js-only").forEach(function (element) { element.hidden = false; });
    show();
  }

  const container = document.querySelector("[data-anchoring-text]");
  const addForm = document.querySelector("[data-anchoring-form]");
  if (container && addForm) setUpAddForm(container, addForm);
  const splitForm = document.querySelector("[data-split-form]");
  if (splitForm) setUpSplit(splitForm);
})();
