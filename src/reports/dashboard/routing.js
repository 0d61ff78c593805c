/*
 * The network engineers' page: allocations by RPKI state, BYOIP problems, listed space, and an
 * address map of one lease. Served by the app (CSP script-src 'self'): no inline script, no CDN.
 * The API key lives only in sessionStorage for this tab; any role may read these figures.
 */
(function () {
  'use strict';
  var STORAGE_KEY = 'iplease.reports.apiKey';
  var map = window.IpleaseAddressMap;
  var $ = function (id) {
    return document.getElementById(id);
  };
  var STATE_COLOURS = {
    valid: '#2e9e5b',
    invalid: '#d64541',
    'not-found': '#7f8fa6',
    'unknown-origin': '#e0a526',
  };
  var STATE_LABELS = {
    valid: 'RPKI valid',
    invalid: 'RPKI invalid',
    'not-found': 'No ROA (not found)',
    'unknown-origin': 'No origin AS',
  };
  var PALETTE = [
    '#3b6fd4',
    '#e07b39',
    '#2aa198',
    '#9b59b6',
    '#c0392b',
    '#16a085',
    '#d4a017',
    '#5d6d7e',
    '#e84393',
    '#27ae60',
  ];
  var state = { rows: [], leases: [], providers: {}, layout: null, sorted: [] };
  var grouped = window.IpleaseFormat.grouped;
  /** Bumped by "Forget key" and by a new key: answers for an earlier key are dropped, not drawn. */
  var session = 0;

  function apiKey() {
    return sessionStorage.getItem(STORAGE_KEY);
  }
  function AuthProblem(message) {
    this.message = message;
  }
  function Stale() {
    this.message = 'stale';
  }
  function getJson(path) {
    var ticket = session;
    if (!apiKey()) return Promise.reject(new Stale());
    return fetch(path, { headers: { Authorization: 'Bearer ' + apiKey(), Accept: 'application/json' } }).then(
      function (res) {
        if (ticket !== session) throw new Stale();
        if (res.ok) return res.json();
        return res
          .json()
          .catch(function () {
            return {};
          })
          .then(function (problem) {
            var detail = problem.detail || res.status + ' ' + res.statusText;
            if (res.status === 401) {
              sessionStorage.removeItem(STORAGE_KEY);
              throw new AuthProblem('The API key was refused: ' + detail);
            }
            if (res.status === 403) throw new AuthProblem('This key may not read these figures: ' + detail);
            throw new Error(detail);
          });
      },
    );
  }
  /** Every page of a list endpoint. */
  function getAll(path) {
    var items = [];
    function next(cursor) {
      var sep = path.indexOf('?') < 0 ? '?' : '&';
      return getJson(path + sep + 'limit=500' + (cursor ? '&cursor=' + encodeURIComponent(cursor) : '')).then(
        function (page) {
          items = items.concat(page.items);
          return page.nextCursor ? next(page.nextCursor) : items;
        },
      );
    }
    return next(null);
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }
  function append(parent, tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    parent.appendChild(node);
    return node;
  }
  function setStatus(text, isError) {
    $('status').textContent = text;
    $('status').className = isError ? 'status error' : 'status';
  }
  function showLogin(message) {
    $('routing').hidden = true;
    $('session').hidden = true;
    $('login').hidden = false;
    $('login-error').textContent = message || '';
    $('api-key').focus();
  }
  function showPage() {
    $('login').hidden = true;
    $('routing').hidden = false;
    $('session').hidden = false;
  }
  function providerCode(id) {
    return state.providers[id] ? state.providers[id].code : id.slice(0, 8);
  }
  function providerColour(id) {
    return state.providers[id] ? state.providers[id].colour : '#5d6d7e';
  }

  function renderKpis(rows, rpki) {
    var kpis = $('kpis');
    clear(kpis);
    ['valid', 'invalid', 'not-found', 'unknown-origin'].forEach(function (s) {
      var count = rows.filter(function (r) {
        return r.rpkiState === s;
      }).length;
      var card = append(kpis, 'div', 'kpi ' + (s === 'valid' ? 'valid' : s === 'invalid' ? 'invalid' : ''));
      card.setAttribute('data-testid', 'state-' + s);
      append(card, 'div', 'name', STATE_LABELS[s]);
      append(card, 'div', 'value', grouped(count));
      append(card, 'div', 'sub', rows.length ? Math.round((1000 * count) / rows.length) / 10 + '% of allocations' : '');
    });
    var notReady = rows.filter(function (r) {
      return r.byoipReady === false;
    }).length;
    var byoip = append(kpis, 'div', 'kpi ' + (notReady ? 'warn' : 'valid'));
    byoip.setAttribute('data-testid', 'byoip-not-ready');
    append(byoip, 'div', 'name', 'BYOIP not ready');
    append(byoip, 'div', 'value', grouped(notReady));
    append(byoip, 'div', 'sub', 'allocations missing a ROA for a required ASN');
    var listed = rows.filter(function (r) {
      return r.listed.length > 0;
    }).length;
    var listedCard = append(kpis, 'div', 'kpi ' + (listed ? 'invalid' : 'valid'));
    listedCard.setAttribute('data-testid', 'listed');
    append(listedCard, 'div', 'name', 'On a reputation list');
    append(listedCard, 'div', 'value', grouped(listed));
    append(
      listedCard,
      'div',
      'sub',
      rpki.importedAt
        ? 'VRPs: ' + grouped(rpki.vrps) + ' as of ' + rpki.importedAt.slice(0, 16).replace('T', ' ')
        : 'No VRPs imported yet',
    );
  }

  /** At most SHOWN rows per table: the full lists are in the report's CSV. */
  var SHOWN = 25;
  function renderTable(id, rows, cells) {
    var body = $(id).querySelector('tbody');
    clear(body);
    rows.slice(0, SHOWN).forEach(function (row) {
      var tr = append(body, 'tr');
      cells(row).forEach(function (text) {
        append(tr, 'td', '', text);
      });
    });
    if (rows.length > SHOWN) {
      var more = append(append(body, 'tr', 'more'), 'td', 'muted', '… and ' + grouped(rows.length - SHOWN) + ' more: ');
      more.colSpan = cells(rows[0]).length;
      var link = append(more, 'a', '', 'the full routing report as CSV');
      link.href = '#';
      link.addEventListener('click', downloadCsv);
    }
    $(id + '-empty').hidden = rows.length > 0;
    $(id).hidden = rows.length === 0;
  }

  /** The CSV needs the key as a header, so it is fetched and handed to the browser as a blob. */
  function downloadCsv(event) {
    event.preventDefault();
    fetch('/api/v1/reports/routing?format=csv', { headers: { Authorization: 'Bearer ' + apiKey() } })
      .then(function (res) {
        if (!res.ok) throw new Error(res.status + ' ' + res.statusText);
        return res.blob();
      })
      .then(function (blob) {
        var a = document.createElement('a');
        a.href = window.URL.createObjectURL(blob);
        a.download = 'routing.csv';
        document.body.appendChild(a);
        a.click();
        a.remove();
      })
      .catch(fail);
  }

  function renderTables(rows) {
    var problems = [];
    rows.forEach(function (r) {
      r.byoipProblems.forEach(function (p) {
        problems.push({ prefix: r.label, provider: providerCode(r.providerId), problem: p });
      });
    });
    renderTable('byoip', problems, function (p) {
      return [p.prefix, p.provider, p.problem];
    });
    var listed = [];
    rows.forEach(function (r) {
      r.listed.forEach(function (l) {
        listed.push({ prefix: r.label, list: l.list, cidr: l.cidr, ref: l.ref || '' });
      });
    });
    renderTable('listed', listed, function (l) {
      return [l.prefix, l.list, l.cidr, l.ref];
    });
    var invalid = rows.filter(function (r) {
      return r.rpkiState === 'invalid';
    });
    renderTable('invalid', invalid, function (r) {
      return [
        r.label,
        'AS' + r.originAsn,
        r.invalidReason === 'as' ? 'no ROA for this AS' : 'prefix longer than maxLength',
        r.vrps
          .map(function (v) {
            return 'AS' + v.asn + ' ' + v.prefix + '-' + v.maxLength;
          })
          .join(', '),
      ];
    });
  }

  function renderLegend(mode, rows) {
    var legend = $('legend');
    clear(legend);
    var entries =
      mode === 'rpki'
        ? Object.keys(STATE_COLOURS).map(function (s) {
            return [STATE_COLOURS[s], STATE_LABELS[s]];
          })
        : Object.keys(
            rows.reduce(function (seen, r) {
              seen[r.providerId] = true;
              return seen;
            }, {}),
          ).map(function (id) {
            return [providerColour(id), providerCode(id)];
          });
    entries.push(['#e3e8ee', 'Free']);
    entries.forEach(function (e) {
      var li = append(legend, 'li');
      var swatch = append(li, 'span', 'swatch');
      swatch.style.background = e[0];
      append(li, 'span', '', e[1]);
    });
  }

  function renderMap() {
    var lease = state.leases.filter(function (l) {
      return l.id === $('lease').value;
    })[0];
    var canvas = $('map');
    if (!lease) {
      $('map-caption').textContent = 'no lease';
      return;
    }
    var mode = $('colour').value;
    var rows = state.rows.filter(function (r) {
      return r.leaseId === lease.id;
    });
    var blocks = rows.map(function (r) {
      return { prefix: r.label, colour: mode === 'rpki' ? STATE_COLOURS[r.rpkiState] : providerColour(r.providerId) };
    });
    state.layout = map.draw(
      canvas,
      lease.prefix,
      blocks,
      (lease.listed || []).map(function (l) {
        return l.cidr;
      }),
    );
    state.sorted = rows
      .map(function (r) {
        var c = map.parseCidr(r.label);
        return { start: c.start, size: Math.pow(2, 32 - c.length), row: r };
      })
      .sort(function (a, b) {
        return a.start - b.start;
      });
    var used = state.sorted.reduce(function (n, b) {
      return n + b.size;
    }, 0);
    var total = Math.pow(2, 32 - map.parseCidr(lease.prefix).length);
    canvas.setAttribute('data-lease', lease.prefix);
    canvas.setAttribute('data-drawn', String(rows.length));
    $('map-caption').textContent =
      lease.prefix +
      ' · ' +
      grouped(rows.length) +
      ' allocations · ' +
      Math.round((1000 * used) / total) / 10 +
      '% allocated';
    renderLegend(mode, rows);
  }

  function onHover(event) {
    var tip = $('map-tip');
    if (!state.layout) return;
    var canvas = $('map');
    var rect = canvas.getBoundingClientRect();
    var scale = canvas.width / rect.width;
    var px = state.layout.pixelsPerCell;
    var x = Math.floor(((event.clientX - rect.left) * scale) / px);
    var y = Math.floor(((event.clientY - rect.top) * scale) / px);
    if (x < 0 || y < 0 || x >= state.layout.side || y >= state.layout.side) {
      tip.hidden = true;
      return;
    }
    var address = state.layout.addressAt(x, y);
    var hit = map.find(state.sorted, address);
    clear(tip);
    if (hit) {
      var r = hit.row;
      append(tip, 'strong', '', r.label + (r.name ? ' · ' + r.name : ''));
      append(
        tip,
        'div',
        '',
        'Provider ' + providerCode(r.providerId) + (r.originAsn ? ' · origin AS' + r.originAsn : ''),
      );
      append(tip, 'div', '', STATE_LABELS[r.rpkiState] + (r.invalidReason ? ' (' + r.invalidReason + ')' : ''));
      if (r.byoipReady !== null)
        append(tip, 'div', '', r.byoipReady ? 'BYOIP ready' : 'BYOIP: ' + r.byoipProblems.length + ' problem(s)');
      if (r.listed.length)
        append(
          tip,
          'div',
          '',
          'Listed: ' +
            r.listed
              .map(function (l) {
                return l.list + ' ' + l.cidr;
              })
              .join(', '),
        );
    } else {
      append(tip, 'strong', '', map.toAddress(address));
      append(tip, 'div', '', 'free');
    }
    tip.hidden = false;
    tip.style.left = event.clientX - rect.left + 14 + 'px';
    tip.style.top = event.clientY - rect.top + 14 + 'px';
  }

  function fillLeases(leases, rows) {
    var select = $('lease');
    var previous = select.value;
    clear(select);
    var counts = {};
    rows.forEach(function (r) {
      counts[r.leaseId] = (counts[r.leaseId] || 0) + 1;
    });
    leases.forEach(function (l) {
      var option = append(
        select,
        'option',
        '',
        l.prefix + ' · ' + l.status + ' · ' + grouped(counts[l.id] || 0) + ' allocations',
      );
      option.value = l.id;
    });
    var busiest = leases.slice().sort(function (a, b) {
      return (counts[b.id] || 0) - (counts[a.id] || 0);
    })[0];
    select.value = previous && counts[previous] !== undefined ? previous : busiest ? busiest.id : '';
  }

  function fail(error) {
    if (error instanceof Stale) return;
    if (error instanceof AuthProblem) showLogin(error.message);
    else setStatus('Could not load: ' + error.message, true);
  }

  function load() {
    setStatus('Loading…');
    $('refresh').disabled = true;
    var ticket = session;
    return Promise.all([
      getJson('/api/v1/reports/routing'),
      getAll('/api/v1/leases'),
      getAll('/api/v1/providers'),
      getJson('/api/v1/rpki/status'),
    ])
      .then(function (results) {
        if (ticket !== session) throw new Stale();
        showPage();
        state.rows = results[0].rows;
        state.leases = results[1];
        state.providers = {};
        results[2].forEach(function (p, i) {
          state.providers[p.id] = { code: p.code, colour: PALETTE[i % PALETTE.length] };
        });
        renderKpis(state.rows, results[3]);
        renderTables(state.rows);
        fillLeases(state.leases, state.rows);
        renderMap();
        setStatus(
          grouped(state.rows.length) +
            ' active allocations; RFC 6811 origin validation against the VRP snapshot in force.',
        );
      })
      .catch(fail)
      .finally(function () {
        $('refresh').disabled = false;
      });
  }

  function start() {
    $('key-form').addEventListener('submit', function (event) {
      event.preventDefault();
      var key = $('api-key').value.trim();
      if (!key) return;
      session++;
      sessionStorage.setItem(STORAGE_KEY, key);
      $('api-key').value = '';
      load();
    });
    $('refresh').addEventListener('click', load);
    $('forget').addEventListener('click', function () {
      session++;
      sessionStorage.removeItem(STORAGE_KEY);
      showLogin('The key was forgotten.');
    });
    $('lease').addEventListener('change', renderMap);
    $('colour').addEventListener('change', renderMap);
    $('map').addEventListener('mousemove', onHover);
    $('map').addEventListener('mouseleave', function () {
      $('map-tip').hidden = true;
    });
    if (apiKey()) load();
    else showLogin('');
  }

  document.addEventListener('DOMContentLoaded', start);
})();
