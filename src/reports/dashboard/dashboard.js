/*
 * The reports dashboard. Served by the app itself (helmet CSP: script-src 'self'), so this file
 * holds all the behaviour; the HTML has no inline script. The API key lives only in
 * sessionStorage for this tab, and every number shown is the exact decimal string of the API.
 */
(function () {
  'use strict';
  var STORAGE_KEY = 'iplease.reports.apiKey';
  var API = '/api/v1/reports';
  var $ = function (id) {
    return document.getElementById(id);
  };
  var charts = window.IpleaseCharts;
  var grouped = window.IpleaseFormat.grouped;
  /**
   * Which key the page is working for: bumped by "Forget key" and by a new key, so an answer to a
   * request made for an earlier key is dropped instead of drawing the reports over the login screen.
   */
  var session = 0;

  function apiKey() {
    return sessionStorage.getItem(STORAGE_KEY);
  }

  function AuthProblem(message) {
    this.message = message;
  }
  /** The answer belongs to a key that was forgotten or replaced since: nothing to show, nothing to say. */
  function Stale() {
    this.message = 'stale';
  }

  function monthOf(date) {
    return date.toISOString().slice(0, 7);
  }
  function shiftMonth(month, delta) {
    var d = new Date(Date.UTC(Number(month.slice(0, 4)), Number(month.slice(5, 7)) - 1 + delta, 1));
    return monthOf(d);
  }

  function request(path, accept) {
    var ticket = session;
    if (!apiKey()) return Promise.reject(new Stale());
    return fetch(path, { headers: { Authorization: 'Bearer ' + apiKey(), Accept: accept || 'application/json' } }).then(
      function (res) {
        if (ticket !== session) throw new Stale();
        if (res.ok) return res;
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
            if (res.status === 403)
              throw new AuthProblem('This key may not read reports (the admin or finance role is needed): ' + detail);
            throw new Error(detail);
          });
      },
    );
  }
  function getJson(path) {
    return request(path).then(function (res) {
      return res.json();
    });
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
  function money(amount, currency) {
    return grouped(amount) + ' ' + currency;
  }
  function byCurrency(rows) {
    var out = {};
    rows.forEach(function (r) {
      (out[r.currency] = out[r.currency] || []).push(r);
    });
    return out;
  }

  function showLogin(message) {
    $('reports').hidden = true;
    $('session').hidden = true;
    $('login').hidden = false;
    $('login-error').textContent = message || '';
    $('api-key').focus();
  }

  function showReports() {
    $('login').hidden = true;
    $('reports').hidden = false;
    $('session').hidden = false;
  }

  function setStatus(text, isError) {
    $('status').textContent = text;
    $('status').className = isError ? 'status error' : 'status';
  }

  function renderKpis(month, forecast, byProvider) {
    var kpis = $('kpis');
    clear(kpis);
    // The forecast has a 0.00 row for every currency of its window; a currency without a lease in
    // this month gets no card.
    var spend = forecast.rows.filter(function (r) {
      return r.key === month && r.leases > 0;
    });
    var idle = {};
    byProvider.rows.forEach(function (r) {
      if (r.key === 'unallocated') idle[r.currency] = r;
    });
    if (spend.length === 0) {
      var none = append(kpis, 'div', 'kpi');
      append(none, 'div', 'name', 'Spend ' + month);
      append(none, 'div', 'value', '—');
      append(none, 'div', 'sub', 'No lease is active in this month.');
      return;
    }
    spend.forEach(function (row) {
      var card = append(kpis, 'div', 'kpi');
      card.setAttribute('data-testid', 'spend-' + row.currency);
      append(card, 'div', 'name', 'Spend ' + month + ' · ' + row.currency);
      append(card, 'div', 'value', money(row.cost, row.currency));
      append(card, 'div', 'sub', grouped(row.leases) + ' lease(s), ' + grouped(row.addresses) + ' address-months');
      var idleRow = idle[row.currency];
      var idleCard = append(kpis, 'div', 'kpi idle');
      idleCard.setAttribute('data-testid', 'idle-' + row.currency);
      append(idleCard, 'div', 'name', 'Idle cost ' + month + ' · ' + row.currency);
      append(idleCard, 'div', 'value', money(idleRow ? idleRow.cost : '0.00', row.currency));
      var share =
        idleRow && Number(row.cost) > 0 ? Math.round((1000 * Number(idleRow.cost)) / Number(row.cost)) / 10 : 0;
      append(idleCard, 'div', 'sub', share + '% of the spend is for addresses not allocated to any provider');
    });
  }

  function renderMonths(month, forecast) {
    var container = $('chart-months');
    clear(container);
    $('months-range').textContent = forecast.rows.length
      ? forecast.from + ' to ' + shiftMonth(forecast.from, forecast.months - 1)
      : '';
    var groups = byCurrency(forecast.rows);
    var currencies = Object.keys(groups).sort();
    if (currencies.length === 0) {
      append(container, 'p', 'empty', 'No committed cost in these months.');
      return;
    }
    currencies.forEach(function (currency) {
      var rows = groups[currency];
      charts.bars(container, {
        title: currency,
        categories: rows.map(function (r) {
          return r.key;
        }),
        values: rows.map(function (r) {
          return Number(r.cost);
        }),
        texts: rows.map(function (r) {
          return grouped(r.cost);
        }),
        highlight: month,
      });
    });
  }

  /** One chart per currency, each on its own scale: amounts in different currencies are never compared. */
  function renderGroups(id, report, width) {
    var container = $(id);
    clear(container);
    var groups = byCurrency(report.rows);
    var currencies = Object.keys(groups).sort();
    if (currencies.length === 0) return charts.hbars(container, []);
    currencies.forEach(function (currency) {
      charts.hbars(
        container,
        groups[currency].map(function (r) {
          var idle = r.key === 'unallocated';
          return {
            label: (idle ? 'unallocated (idle)' : r.label) + ' · ' + r.currency,
            value: Number(r.cost),
            text: money(r.cost, r.currency),
            idle: idle,
          };
        }),
        currency,
        width,
      );
    });
  }

  function renderRenewals(report) {
    var body = $('renewals').querySelector('tbody');
    clear(body);
    $('renewals-empty').hidden = report.rows.length > 0;
    report.rows.forEach(function (r) {
      var tr = append(body, 'tr');
      tr.setAttribute('data-lease-id', r.key);
      var deadline = append(tr, 'td', r.daysToNoticeDeadline < 0 ? 'passed' : '', r.noticeDeadline);
      if (r.daysToNoticeDeadline < 0) deadline.title = 'passed ' + grouped(-r.daysToNoticeDeadline) + ' day(s) ago';
      var action = append(tr, 'td');
      append(
        action,
        'span',
        r.action === 'renew' ? 'tag renew' : 'tag cancel',
        r.action === 'renew' ? 'renew' : 'cancel before auto-renewal',
      );
      append(tr, 'td', '', r.prefix);
      append(tr, 'td', '', r.lessor);
      append(tr, 'td', '', r.currentTermEnd);
      append(tr, 'td', 'num', money(r.monthlyCost, r.currency));
    });
  }

  function daysBetween(from, to) {
    return Math.round((Date.parse(to + 'T00:00:00Z') - Date.parse(from + 'T00:00:00Z')) / 86400000);
  }

  /**
   * Space in use that is no longer leased: shown first, in warning colours while there is any.
   * Region and provider names are filled in afterwards (an archived one keeps its id).
   */
  function renderStranded(report) {
    var card = $('stranded-card');
    var body = $('stranded').querySelector('tbody');
    var count = report.rows.length;
    clear(body);
    card.className = count ? 'card stranded warning' : 'card stranded';
    card.setAttribute('data-count', String(count));
    $('stranded-count').textContent = grouped(count);
    $('stranded').hidden = count === 0;
    $('stranded-hint').hidden = count === 0;
    $('stranded-empty').hidden = count > 0;
    report.rows.forEach(function (r) {
      var tr = append(body, 'tr');
      tr.setAttribute('data-key', r.key);
      tr.setAttribute('data-lease-id', r.leaseId);
      append(tr, 'td', 'strong', r.label);
      append(tr, 'td', '', r.leasePrefix);
      append(append(tr, 'td'), 'span', 'tag lease-' + r.leaseStatus, r.leaseStatus);
      var ended = append(tr, 'td', '', r.leaseEndedOn);
      var ago = daysBetween(r.leaseEndedOn, report.asOf);
      append(ended, 'small', 'muted', ' ' + grouped(ago) + (ago === 1 ? ' day ago' : ' days ago'));
      append(tr, 'td', '', r.regionId).setAttribute('data-region-id', r.regionId);
      append(tr, 'td', '', r.providerId).setAttribute('data-provider-id', r.providerId);
    });
    nameStranded(report.rows, 'regions', 'region', function (x) {
      return x.code + ' (' + x.name + ')';
    });
    nameStranded(report.rows, 'providers', 'provider', function (x) {
      return x.name;
    });
  }

  function nameStranded(rows, collection, attribute, label) {
    var ids = {};
    rows.forEach(function (r) {
      ids[r[attribute + 'Id']] = true;
    });
    Object.keys(ids)
      .slice(0, 50)
      .forEach(function (id) {
        getJson('/api/v1/' + collection + '/' + encodeURIComponent(id))
          .then(function (found) {
            document.querySelectorAll('#stranded td[data-' + attribute + '-id="' + id + '"]').forEach(function (td) {
              td.textContent = label(found);
              td.title = id;
            });
          })
          .catch(function () {
            // Archived or unreadable: the id stays, which is still the truth.
          });
      });
  }

  /** Months closed or open: the selected month's badge, the last 12 months, and who closed what. */
  var periodsState = { closedThrough: null, month: null, today: null };

  function isClosed(month, closedThrough) {
    return closedThrough !== null && month <= closedThrough;
  }

  function renderPeriods(month, monthClosed, periods, today) {
    var current = today.slice(0, 7);
    periodsState = { closedThrough: periods.closedThrough, month: month, today: today };
    var badge = $('month-state');
    badge.hidden = false;
    badge.setAttribute('data-state', monthClosed ? 'closed' : 'open');
    badge.className = monthClosed ? 'badge closed' : 'badge open';
    badge.textContent = monthClosed ? 'closed' : 'open';
    badge.title = monthClosed
      ? month + ' is closed: its figures are frozen as computed at close.'
      : month + ' is open: its figures are computed live and may still change.';

    $('periods-summary').textContent = periods.closedThrough
      ? 'closed through ' + periods.closedThrough + ': those months are frozen and refuse writes that reach them'
      : 'no month is closed yet';

    var list = $('months-state');
    clear(list);
    for (var i = 11; i >= 0; i--) {
      var m = shiftMonth(current, -i);
      var closed = isClosed(m, periods.closedThrough);
      var li = append(list, 'li', 'month ' + (closed ? 'closed' : 'open') + (m === month ? ' selected' : ''));
      li.setAttribute('data-month', m);
      li.setAttribute('data-state', closed ? 'closed' : 'open');
      var button = append(li, 'button', '');
      button.type = 'button';
      button.setAttribute('data-month', m);
      button.title = 'Show ' + m;
      append(button, 'span', 'm', m);
      append(button, 'span', 's', closed ? 'closed' : m === current ? 'open · now' : 'open');
    }

    var last = periods.history.length ? periods.history[periods.history.length - 1] : null;
    $('periods-last').textContent = last
      ? 'Last ' +
        (last.action === 'close' ? 'closed' : 'reopened') +
        ' through ' +
        (last.through || 'nothing') +
        ' on ' +
        last.at.slice(0, 16).replace('T', ' ') +
        ' UTC by ' +
        ((last.actor && last.actor.name) || 'the system') +
        (last.reason ? ' — ' + last.reason : '') +
        '. Reopening is for admins, through the API, with a reason.'
      : 'Finance closes months once their invoices are checked; a closed month never changes.';

    // Closing is offered for the selected month only when it has ended and is still open.
    var closable = month < current && !monthClosed;
    $('close-period').hidden = !closable;
    $('close-confirm').hidden = true;
    $('close-month').hidden = false;
    $('close-month').disabled = false;
    $('close-month').textContent = 'Close months through ' + month + '…';
    $('close-message').textContent = '';
    $('close-message').className = 'error';
  }

  function askClose() {
    var month = periodsState.month;
    var from = periodsState.closedThrough ? shiftMonth(periodsState.closedThrough, 1) : null;
    $('close-question').textContent =
      'Close ' +
      (from && from !== month ? from + ' to ' + month : month) +
      (from ? '' : ' and every earlier month') +
      '? Their figures freeze and writes reaching them are refused; only an admin can reopen.';
    $('close-month').hidden = true;
    $('close-confirm').hidden = false;
    $('close-no').focus();
  }

  function cancelClose() {
    $('close-confirm').hidden = true;
    $('close-month').hidden = false;
  }

  /** A refusal is explained beside the button; the key is kept (a 403 here is about the role, not the key). */
  function confirmClose() {
    var month = periodsState.month;
    $('close-yes').disabled = true;
    var message = $('close-message');
    return fetch('/api/v1/periods/close', {
      method: 'POST',
      headers: {
        Authorization: 'Bearer ' + apiKey(),
        Accept: 'application/json',
        'Content-Type': 'application/json',
      },
      body: JSON.stringify({ through: month }),
    })
      .then(function (res) {
        if (res.ok) return load();
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
            cancelClose();
            message.className = 'error';
            message.textContent =
              res.status === 403
                ? 'Not closed: this key may not close months (the finance or admin role is needed). ' + detail
                : 'Not closed: ' + detail;
          });
      })
      .catch(fail)
      .finally(function () {
        $('close-yes').disabled = false;
      });
  }

  function reportingCurrency() {
    return $('reporting-currency').value;
  }

  /** Each card draws only the answer to its latest request (a month change can overtake a load). */
  var latest = { reporting: 0, reconciliation: 0 };

  /** Totals in one currency; a missing ECB rate (422) is explained in the card, not a page failure. */
  function loadReporting(month) {
    var currency = reportingCurrency();
    var body = $('reporting').querySelector('tbody');
    var message = $('reporting-message');
    var ticket = ++latest.reporting;
    var current = function () {
      return ticket === latest.reporting;
    };
    // Cleared when the answer comes, not now: what is shown never blinks out under a reader (or a test).
    var reset = function () {
      clear(body);
      clear($('reporting-totals'));
      $('reporting-label').textContent = currency;
      message.hidden = true;
      message.className = 'muted';
    };
    $('reporting-card').hidden = !currency;
    if (!currency) return Promise.resolve();
    // Without any rate imported, say what to do instead of asking for a report that must answer 422.
    return getJson('/api/v1/fx-rates?limit=1')
      .then(function (rates) {
        if (rates.items.length)
          return getJson(API + '/monthly-cost?month=' + month + '&groupBy=lessor&reportingCurrency=' + currency);
        throw new Error(
          'No ECB rates imported yet: PUT the ECB history CSV to /api/v1/fx-rates to see totals in one currency.',
        );
      })
      .then(function (report) {
        if (!current()) return;
        reset();
        // No lease cost in the month: said below, rather than three cards of 0.00.
        var totals = report.rows.length
          ? [
              ['Cost', report.totals.cost, 'total'],
              ['Allocated', report.totals.allocatedCost, 'allocated'],
              ['Idle', report.totals.idleCost, 'idle'],
            ]
          : [];
        totals.forEach(function (k) {
          var card = append($('reporting-totals'), 'div', 'kpi' + (k[2] === 'idle' ? ' idle' : ''));
          card.setAttribute('data-testid', 'reporting-' + k[2]);
          append(card, 'div', 'name', k[0] + ' ' + month + ' in ' + currency);
          append(card, 'div', 'value', money(k[1], currency));
        });
        report.rows.forEach(function (r) {
          var tr = append(body, 'tr');
          tr.setAttribute('data-key', r.key);
          tr.setAttribute('data-currency', r.currency);
          append(tr, 'td', '', r.label);
          append(tr, 'td', 'num', money(r.cost, r.currency));
          append(tr, 'td', 'num', grouped(r.fxRate));
          append(tr, 'td', '', r.fxRateDate || '—');
          append(tr, 'td', 'num', money(r.costReporting, currency));
          append(tr, 'td', 'num', money(r.idleCostReporting, currency));
        });
        if (!report.rows.length) {
          message.hidden = false;
          message.textContent = 'No lease cost in this month.';
        }
      })
      .catch(function (error) {
        if (error instanceof AuthProblem || error instanceof Stale) throw error;
        if (!current()) return;
        reset();
        message.hidden = false;
        message.className = 'error';
        message.textContent = error.message;
      });
  }

  function tolerance() {
    var value = $('tolerance').value;
    return /^\d{1,3}(\.\d{1,4})?$/.test(value) && Number(value) <= 100 ? value : '0';
  }

  var STATUS_TEXT = {
    matched: 'matched',
    over: 'over',
    under: 'under',
    'not-invoiced': 'not invoiced',
    unexpected: 'unexpected',
  };

  function loadReconciliation(month) {
    var ticket = ++latest.reconciliation;
    return getJson(API + '/reconciliation?month=' + month + '&tolerancePercent=' + tolerance()).then(function (report) {
      if (ticket !== latest.reconciliation) return;
      var body = $('reconciliation').querySelector('tbody');
      clear(body);
      $('reconciliation-empty').hidden = report.rows.length > 0;
      var counts = {};
      report.rows.forEach(function (r) {
        counts[r.status] = (counts[r.status] || 0) + 1;
        var tr = append(body, 'tr', r.status === 'matched' ? '' : 'variance');
        tr.setAttribute('data-key', r.key);
        tr.setAttribute('data-status', r.status);
        append(tr, 'td', '', r.lessor);
        append(tr, 'td', '', r.label);
        append(tr, 'td', 'num', money(r.expected, r.currency));
        append(tr, 'td', 'num', money(r.invoiced, r.currency));
        append(tr, 'td', 'num' + (r.status === 'matched' ? '' : ' bad'), money(r.variance, r.currency));
        append(append(tr, 'td'), 'span', 'tag status-' + r.status, STATUS_TEXT[r.status]);
        append(tr, 'td', 'muted', r.invoiceNumbers || '—');
      });
      $('reconciliation-summary').textContent = report.rows.length
        ? Object.keys(STATUS_TEXT)
            .filter(function (s) {
              return counts[s];
            })
            .map(function (s) {
              return grouped(counts[s]) + ' ' + STATUS_TEXT[s];
            })
            .join(' · ') +
          ' (tolerance ' +
          report.tolerancePercent +
          ' %)'
        : '';
    });
  }

  var DOWNLOADS = function (month, today) {
    return [
      [
        'Monthly cost by lessor',
        'monthly-cost?month=' + month + '&groupBy=lessor',
        'monthly-cost-' + month + '-lessor.csv',
      ],
      [
        'Monthly cost by provider',
        'monthly-cost?month=' + month + '&groupBy=provider',
        'monthly-cost-' + month + '-provider.csv',
      ],
      [
        'Monthly cost by region',
        'monthly-cost?month=' + month + '&groupBy=region',
        'monthly-cost-' + month + '-region.csv',
      ],
      [
        'Monthly cost by lease',
        'monthly-cost?month=' + month + '&groupBy=lease',
        'monthly-cost-' + month + '-lease.csv',
      ],
      ['Forecast, 12 months', 'forecast?from=' + month + '&months=12', 'forecast-' + month + '-12m.csv'],
      [
        'Reconciliation',
        'reconciliation?month=' + month + '&tolerancePercent=' + tolerance(),
        'reconciliation-' + month + '.csv',
      ],
      ['Renewals, 90 days', 'renewals?withinDays=90', 'renewals-' + today + '.csv'],
      ['Utilization by lessor', 'utilization?groupBy=lessor', 'utilization-lessor-' + today + '.csv'],
      ['Utilization by provider', 'utilization?groupBy=provider', 'utilization-provider-' + today + '.csv'],
    ];
  };

  function renderDownloads(month, today) {
    var list = $('downloads');
    clear(list);
    DOWNLOADS(month, today).forEach(function (d) {
      var a = append(append(list, 'li'), 'a', '', d[0]);
      a.href = API + '/' + d[1] + '&format=csv';
      a.setAttribute('data-filename', d[2]);
    });
  }

  /** A plain link cannot carry the Bearer key: fetch the CSV and hand it over as a file. */
  function download(event) {
    var a = event.target.closest('a[data-filename]');
    if (!a) return;
    event.preventDefault();
    request(a.getAttribute('href'), 'text/csv')
      .then(function (res) {
        return res.blob();
      })
      .then(function (blob) {
        var url = window.URL.createObjectURL(blob);
        var link = document.createElement('a');
        link.href = url;
        link.download = a.getAttribute('data-filename');
        document.body.appendChild(link);
        link.click();
        link.remove();
        window.setTimeout(function () {
          window.URL.revokeObjectURL(url);
        }, 10000);
      })
      .catch(fail);
  }

  function fail(error) {
    if (error instanceof Stale) return;
    if (error instanceof AuthProblem) return showLogin(error.message);
    setStatus('Could not load the reports: ' + error.message, true);
  }

  function load() {
    var month = $('month').value || monthOf(new Date());
    $('month').value = month;
    document.querySelectorAll('.month-label').forEach(function (node) {
      node.textContent = month;
    });
    setStatus('Loading…');
    $('refresh').disabled = true;
    var ticket = session;
    return Promise.all([
      getJson(API + '/forecast?from=' + shiftMonth(month, -5) + '&months=12'),
      getJson(API + '/monthly-cost?month=' + month + '&groupBy=provider'),
      getJson(API + '/monthly-cost?month=' + month + '&groupBy=region'),
      getJson(API + '/renewals?withinDays=90'),
      getJson(API + '/stranded'),
      getJson('/api/v1/periods'),
      getJson(API + '/monthly-cost?month=' + month + '&groupBy=lessor'),
    ])
      .then(function (reports) {
        if (ticket !== session) throw new Stale();
        showReports();
        renderStranded(reports[4]);
        renderPeriods(month, reports[1].closed === true, reports[5], reports[3].asOf);
        renderKpis(month, reports[0], reports[1]);
        renderMonths(month, reports[0]);
        renderGroups('chart-providers', reports[1]);
        renderGroups('chart-regions', reports[2]);
        renderGroups('chart-lessors', reports[6], 1000);
        renderRenewals(reports[3]);
        renderDownloads(month, reports[3].asOf);
        setStatus(
          'Figures as of ' + reports[3].asOf + ' (UTC). Costs are pro rata by day and never summed across currencies.',
        );
        return Promise.all([loadReporting(month), loadReconciliation(month)]);
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
      $('login-error').textContent = '';
      load();
    });
    $('refresh').addEventListener('click', load);
    $('month').addEventListener('change', load);
    $('reporting-currency').addEventListener('change', function () {
      loadReporting($('month').value).catch(fail);
    });
    $('tolerance').addEventListener('change', function () {
      renderDownloads($('month').value, new Date().toISOString().slice(0, 10));
      loadReconciliation($('month').value).catch(fail);
    });
    $('forget').addEventListener('click', function () {
      session++;
      sessionStorage.removeItem(STORAGE_KEY);
      showLogin('The key was forgotten.');
    });
    $('downloads').addEventListener('click', download);
    $('months-state').addEventListener('click', function (event) {
      var button = event.target.closest('button[data-month]');
      if (!button) return;
      $('month').value = button.getAttribute('data-month');
      load();
    });
    $('close-month').addEventListener('click', askClose);
    $('close-no').addEventListener('click', cancelClose);
    $('close-yes').addEventListener('click', confirmClose);
    if (apiKey()) load();
    else showLogin('');
  }

  document.addEventListener('DOMContentLoaded', start);
})();
