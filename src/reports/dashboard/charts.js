/*
 * Tiny SVG charts for the reports dashboard: no library, no CDN, no inline script.
 * Values are only used for geometry; every number shown is the exact decimal string the API sent.
 */
(function () {
  'use strict';
  var SVG = 'http://www.w3.org/2000/svg';

  function el(name, attrs, text) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attrs || {}).forEach(function (k) {
      node.setAttribute(k, String(attrs[k]));
    });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function niceMax(value) {
    if (!(value > 0)) return 1;
    var magnitude = Math.pow(10, Math.floor(Math.log10(value)));
    var steps = [1, 2, 2.5, 5, 10];
    for (var i = 0; i < steps.length; i++) if (steps[i] * magnitude >= value) return steps[i] * magnitude;
    return 10 * magnitude;
  }

  function compact(value) {
    if (value >= 1e6) return (value / 1e6).toFixed(1).replace(/\.0$/, '') + 'M';
    if (value >= 1e3) return (value / 1e3).toFixed(1).replace(/\.0$/, '') + 'k';
    return String(Math.round(value * 100) / 100);
  }

  function empty(container, message) {
    var p = document.createElement('p');
    p.className = 'empty';
    p.textContent = message;
    container.appendChild(p);
  }

  /**
   * Vertical bars, one per category. opts: { title, categories: [..], values: [numbers], texts: [strings],
   * highlight: category, color }
   */
  function bars(container, opts) {
    var W = 1000,
      H = 250,
      left = 48,
      right = 8,
      top = 26,
      bottom = 34;
    var n = opts.categories.length;
    if (n === 0) return empty(container, 'Nothing to show.');
    var max = niceMax(Math.max.apply(null, opts.values.concat([0])));
    var svg = el('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': opts.title || 'bar chart' });
    if (opts.title) svg.appendChild(el('text', { x: 0, y: 14, class: 'value', 'font-weight': 600 }, opts.title));
    var plotH = H - top - bottom,
      plotW = W - left - right,
      step = plotW / n,
      barW = Math.max(4, step * 0.62);
    for (var t = 0; t <= 4; t++) {
      var y = top + plotH - (plotH * t) / 4;
      svg.appendChild(el('line', { x1: left, x2: W - right, y1: y, y2: y, class: 'axis' }));
      svg.appendChild(el('text', { x: left - 6, y: y + 4, 'text-anchor': 'end' }, compact((max * t) / 4)));
    }
    opts.categories.forEach(function (category, i) {
      var value = opts.values[i] || 0;
      var h = (value / max) * plotH;
      var x = left + i * step + (step - barW) / 2;
      var bar = el('rect', {
        x: x,
        y: top + plotH - h,
        width: barW,
        height: Math.max(h, value > 0 ? 1 : 0),
        rx: 2,
        fill: opts.color || '#2f6fde',
        'fill-opacity': category === opts.highlight ? 1 : 0.55,
      });
      bar.appendChild(el('title', {}, category + ': ' + opts.texts[i]));
      svg.appendChild(bar);
      if (n <= 24)
        svg.appendChild(
          el(
            'text',
            { x: x + barW / 2, y: top + plotH - h - 4, 'text-anchor': 'middle', class: 'value', 'font-size': 10 },
            opts.texts[i],
          ),
        );
      svg.appendChild(el('text', { x: x + barW / 2, y: H - bottom + 16, 'text-anchor': 'middle' }, category));
    });
    container.appendChild(svg);
  }

  /**
   * Horizontal bars of one currency (never mix currencies: one chart is one scale). rows: [{ label,
   * value, text, idle }]. Scaled to the largest row, so the longest bar of every chart is full width.
   * width: of the drawing in its own units (520 for half a page, 1000 for a whole one), so text keeps its size.
   */
  function hbars(container, rows, title, width) {
    if (rows.length === 0) return empty(container, 'No cost in this month.');
    var rowH = 26,
      W = width || 520,
      labelW = W > 700 ? 260 : 170,
      textW = 130,
      top = title ? 22 : 0,
      H = top + rows.length * rowH + 6;
    var max = Math.max.apply(
      null,
      rows
        .map(function (r) {
          return r.value;
        })
        .concat([0]),
    );
    if (!(max > 0)) max = 1;
    var svg = el('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': title || 'bar chart' });
    if (title) {
      svg.setAttribute('data-currency', title);
      svg.appendChild(el('text', { x: 0, y: 14, class: 'value', 'font-weight': 600 }, title));
    }
    rows.forEach(function (row, i) {
      var y = top + i * rowH + 4;
      var w = ((W - labelW - textW) * row.value) / max;
      svg.appendChild(el('text', { x: labelW - 8, y: y + 15, 'text-anchor': 'end', class: 'value' }, row.label));
      var bar = el('rect', {
        x: labelW,
        y: y + 2,
        width: Math.max(w, row.value > 0 ? 1 : 0),
        height: rowH - 10,
        rx: 2,
        fill: row.idle ? '#d9822b' : '#2f6fde',
      });
      bar.appendChild(el('title', {}, row.label + ': ' + row.text));
      svg.appendChild(bar);
      svg.appendChild(el('text', { x: labelW + w + 6, y: y + 15, class: 'value' }, row.text));
    });
    container.appendChild(svg);
  }

  window.IpleaseCharts = { bars: bars, hbars: hbars };
})();
