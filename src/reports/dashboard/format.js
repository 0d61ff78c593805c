/*
 * How both report pages write a figure: thousands grouped with a comma, the decimals exactly as
 * the API sent them (amounts are decimal strings and are never turned into floats for display).
 * Fixed rather than the browser's locale, so a screenshot, a test and a CSV read the same.
 */
(function () {
  'use strict';

  /** '65536.00' -> '65,536.00', 2000 -> '2,000', '-1234.5' -> '-1,234.5'; anything else as is. */
  function grouped(value) {
    var text = String(value);
    var parts = /^(-?)(\d+)(\.\d+)?$/.exec(text);
    if (!parts) return text;
    return parts[1] + parts[2].replace(/\B(?=(\d{3})+$)/g, ',') + (parts[3] || '');
  }

  window.IpleaseFormat = { grouped: grouped };
})();
