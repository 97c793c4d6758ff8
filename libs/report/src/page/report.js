// mimicry report page: builds every section from the inlined data (#mimicry-data).
// Exposes window.mimicryReport = {ready, charts: {key: echarts instance}, errors: []} for
// tests. Reads only what the report stage validated (libs/report/src/report.cpp).
(function () {
  'use strict';
  var R = (window.mimicryReport = { ready: false, charts: {}, errors: [] });
  var D = JSON.parse(document.getElementById('mimicry-data').textContent);
  var COLORS = { strict: '#c2410c', broad: '#2563eb', positive: '#15803d', negative: '#b91c1c', other: '#6b7280' };

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) {
      if (k === 'text') e.textContent = attrs[k]; else e.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c); });
    return e;
  }
  function fmt(v, d) { return v === null || v === undefined || !isFinite(v) ? 'NA' : Number(v).toFixed(d === undefined ? 2 : d); }
  function fmtP(p) { return p === null || p === undefined ? 'NA' : (p < 0.001 ? '< 0.001' : Number(p).toFixed(3)); }
  function sig(p) { return p !== null && p !== undefined && p < 0.05; }
  function cap(t) { t = String(t || ''); return t.charAt(0).toUpperCase() + t.slice(1); }
  // A surrogate chance level: "mean [lo95, hi95]"; "NA" when none was computed.
  function chanceText(c, d) {
    if (!c || c.mean === null || c.mean === undefined) return 'NA';
    return fmt(c.mean, d) + ' [' + fmt(c.lo95, d) + ', ' + fmt(c.hi95, d) + ']';
  }
  function pairKey(pr) { return pr.a + '|' + pr.b; }
  function safeId(s) { return String(s).replace(/[^A-Za-z0-9_-]/g, '_'); }
  var main = document.getElementById('main');
  var toc = document.getElementById('toc');
  function section(id, title) {
    var s = el('section', { id: id }, [el('h2', { text: title })]);
    main.appendChild(s);
    toc.appendChild(el('a', { href: '#' + id, text: title }));
    return s;
  }
  function chart(parent, key, cls, build) {
    var div = el('div', { 'class': 'chart' + (cls ? ' ' + cls : ''), 'data-chart': key, id: 'chart-' + safeId(key) });
    parent.appendChild(div);
    try {
      var c = echarts.init(div, null, { renderer: 'canvas' });
      c.setOption(build());
      R.charts[key] = c;
    } catch (e) {
      R.errors.push(key + ': ' + e);
      console.error('mimicry report: chart ' + key + ': ' + e);
      div.appendChild(el('p', { 'class': 'err', text: 'This chart could not be drawn: ' + e }));
    }
    return div;
  }


  function finish() {
    window.addEventListener('resize', function () { Object.keys(R.charts).forEach(function (k) { R.charts[k].resize(); }); });
    R.ready = true;
  }

  // ---- Audience page (mimicry audience) ----------------------------------------------------
  function audiencePage() {
    var A = D.audience, PS = D.per_second, PV = D.per_viewer, M = A.mirroring, pm = A.parameters;
    var top = document.getElementById('top');
    top.appendChild(el('h1', { text: 'Audience: ' + A.stimulus.file.split('/').pop() }));
    top.appendChild(el('p', { 'class': 'sub', text: 'mimicry ' + A.version + ' · ' + fmt(A.stimulus.duration_s, 1) + ' s stimulus · ' +
      A.viewers.analysed + ' viewers (' + A.viewers.skipped.length + ' skipped) · ' + pm.surrogates + ' surrogates' }));
    var ov = section('overview', 'Overview');
    function card(k, v, meaning) { return el('div', { 'class': 'card' }, [el('div', { 'class': 'k', text: k }), el('div', { 'class': 'v', text: v }), el('div', { 'class': 'm', text: meaning })]); }
    var cards = [
      card('Mirroring of the on-screen faces', fmt(100 * M.fraction_answered, 0) + '% answered',
        'Of the (viewer, expression on screen) pairs, ' + fmt(100 * M.fraction_answered, 0) + '% were answered within ' + pm.answer_latency_s[0] + '–' +
        pm.answer_latency_s[1] + ' s; ' + fmt(100 * M.expected_by_chance, 0) + '% would be by chance (p ' + fmtP(M.p) + '). Chance-corrected: ' +
        fmt(100 * M.mirroring_fraction, 0) + '% mirrored, after ' + fmt(M.median_latency_s) + ' s (median).'),
      card('Peak-end (happiness)', fmt(A.peak_end.score), 'Mean of the happiest second (' + fmt(A.peak_end.peak) + ') and the last seconds (' + fmt(A.peak_end.end) + '), 0–1.'),
      card('Inter-subject correlation', 'r ' + fmt(A.isc.mean_r) + '  p ' + fmtP(A.isc.p),
        sig(A.isc.p) ? 'Viewers smile at the same moments: the stimulus drives them.' : 'Viewers\' smiles are not more aligned than time-shifted copies.')
    ];
    if (A.ab) {
      var fa = A.ab.metrics.fraction_answered;
      cards.push(card('A/B: ' + A.ab.a + ' vs ' + A.ab.b, fmt(100 * fa.mean_a, 0) + '% vs ' + fmt(100 * fa.mean_b, 0) + '%',
        'Mirroring difference g ' + fmt(fa.hedges_g) + ', p ' + fmtP(fa.p) + (sig(fa.p) ? ': the groups differ.' : ': no clear difference.')));
    }
    ov.appendChild(el('div', { 'class': 'cards' }, cards));
    if (A.viewers.skipped.length) {
      ov.appendChild(el('h3', { text: 'Skipped viewers' }));
      ov.appendChild(el('ul', {}, A.viewers.skipped.map(function (s) { return el('li', { text: s.viewer_id + ': ' + s.error }); })));
    }
    var t = PS.t_s;
    function xy(a) { return t.map(function (x, k) { return [x, a[k] === null ? '-' : a[k]]; }); }
    var cs = section('curves', 'Second by second');
    cs.appendChild(el('p', { 'class': 'note', text: 'Share of viewers showing each expression in each second of the stimulus (the median of the second reaches the threshold: smile = AU12 ≥ ' +
      pm.smile_threshold + ', emotions ≥ ' + pm.emotion_threshold + ').' }));
    chart(cs, 'audience-expressions', '', function () {
      var names = ['smile', 'happiness', 'surprise', 'sadness', 'anger', 'disgust', 'fear', 'contempt'];
      var series = names.filter(function (n) { return PS['pct_' + n]; }).map(function (n) {
        return { type: 'line', name: n, showSymbol: false, data: xy(PS['pct_' + n]) };
      });
      var sel = {};
      names.forEach(function (n) { sel[n] = n === 'smile' || n === 'happiness' || n === 'surprise'; });
      return { animation: false, tooltip: { trigger: 'axis' }, legend: { top: 0, selected: sel }, grid: { left: 50, right: 20, top: 30, bottom: 50 },
               xAxis: { type: 'value', min: 0, max: A.stimulus.duration_s, name: 'stimulus time (s)', nameLocation: 'middle', nameGap: 26 },
               yAxis: { type: 'value', min: 0, max: 100, name: '% of viewers' }, dataZoom: [{ type: 'inside' }, { type: 'slider', bottom: 0, height: 16 }], series: series };
    });
    cs.appendChild(el('h3', { text: 'Happiness, mean with 95% CI' }));
    chart(cs, 'audience-happiness', '', function () {
      var lo = PS.lo95_happiness, hi = PS.hi95_happiness;
      var marks = A.peaks.map(function (p) { return { coord: [p.t_s, p.happiness_mean], value: 'peak' }; })
        .concat(A.troughs.map(function (p) { return { coord: [p.t_s, p.happiness_mean], value: 'trough' }; }));
      return { animation: false, tooltip: { trigger: 'axis' }, legend: { top: 0 }, grid: { left: 50, right: 20, top: 30, bottom: 50 },
               xAxis: { type: 'value', min: 0, max: A.stimulus.duration_s, name: 'stimulus time (s)', nameLocation: 'middle', nameGap: 26 },
               yAxis: { type: 'value', min: 0 }, dataZoom: [{ type: 'inside' }, { type: 'slider', bottom: 0, height: 16 }],
               series: [
                 { type: 'custom', name: '95% CI', silent: true, data: [[t[0], 0]], renderItem: function (params, api) {
                     var pts = [], k;
                     for (k = 0; k < t.length; ++k) if (hi[k] !== null) pts.push(api.coord([t[k], hi[k]]));
                     for (k = t.length - 1; k >= 0; --k) if (lo[k] !== null) pts.push(api.coord([t[k], Math.max(0, lo[k])]));
                     return { type: 'polygon', shape: { points: pts }, style: { fill: 'rgba(21,128,61,0.15)' } }; } },
                 { type: 'line', name: 'happiness (mean)', showSymbol: false, data: xy(PS.mean_happiness), lineStyle: { color: '#15803d', width: 2 },
                   itemStyle: { color: '#15803d' }, markPoint: { symbolSize: 36, data: marks } }] };
    });
    var at = section('attention', 'Attention and retention');
    at.appendChild(el('p', { 'class': 'note', text: 'Attention: a face is found and the head is within ' + pm.attention_max_yaw_deg + '° yaw and ' +
      pm.attention_max_pitch_deg + '° pitch of the viewer\'s own usual pose. Retention: viewers not yet lost (lost = 3 s in a row without attention).' }));
    chart(at, 'audience-attention', '', function () {
      return { animation: false, tooltip: { trigger: 'axis' }, legend: { top: 0 }, grid: { left: 50, right: 20, top: 30, bottom: 50 },
               xAxis: { type: 'value', min: 0, max: A.stimulus.duration_s, name: 'stimulus time (s)', nameLocation: 'middle', nameGap: 26 },
               yAxis: { type: 'value', min: 0, max: 100, name: '%' }, dataZoom: [{ type: 'inside' }, { type: 'slider', bottom: 0, height: 16 }],
               series: [{ type: 'line', name: 'attention', showSymbol: false, data: xy(PS.attention_pct) },
                        { type: 'line', name: 'retention', showSymbol: false, data: xy(PS.retention_pct) }] };
    });
    var mr = section('mirroring', 'Mirroring of the on-screen faces');
    mr.appendChild(el('p', { 'class': 'note', text: 'Bars: each expression of a face on screen, and the share of viewers who answered it (strict: the same action; broad: the same affect). Line: the share of viewers starting an answer in each second. Grey: the chance level (' +
      fmt(100 * M.expected_by_chance, 0) + '%).' }));
    chart(mr, 'audience-mirroring', '', function () {
      var bars = M.events.map(function (e) { return { value: [e.onset_s, e.fraction_answered === null ? 0 : 100 * e.fraction_answered], ev: e }; });
      return { animation: false, legend: { top: 0 }, grid: { left: 50, right: 20, top: 30, bottom: 50 },
               tooltip: { trigger: 'item', formatter: function (q) {
                 if (q.seriesName === 'answered') return q.data.ev.face + ' ' + q.data.ev.action + ' (' + q.data.ev.affect + ') at ' + fmt(q.data.ev.onset_s) + ' s: ' +
                   q.data.ev.answered + ' of ' + q.data.ev.eligible + ' viewers answered';
                 return fmt(q.data[0], 0) + ' s: ' + fmt(q.data[1], 0) + '% start an answer'; } },
               xAxis: { type: 'value', min: 0, max: A.stimulus.duration_s, name: 'stimulus time (s)', nameLocation: 'middle', nameGap: 26 },
               yAxis: { type: 'value', min: 0, max: 100, name: '% of viewers' }, dataZoom: [{ type: 'inside' }, { type: 'slider', bottom: 0, height: 16 }],
               series: [{ type: 'bar', name: 'answered', data: bars, barWidth: 8, itemStyle: { color: '#c2410c' },
                          markLine: { symbol: 'none', silent: true, lineStyle: { color: '#9ca3af', type: 'dashed' }, data: [{ yAxis: 100 * (M.expected_by_chance || 0) }] } },
                        { type: 'line', name: 'answers starting', showSymbol: false, data: xy(PS.mirroring_pct), lineStyle: { color: '#2563eb' } }] };
    });
    mr.appendChild(el('h3', { text: 'Most-mirrored moments' }));
    var rows = [el('tr', {}, ['Time', 'Face', 'Expression', 'Answered'].map(function (h) { return el('th', { text: h }); }))];
    M.most_mirrored.forEach(function (m) {
      rows.push(el('tr', {}, [el('td', { text: m.time_code }), el('td', { text: m.face }), el('td', { text: m.action }), el('td', { 'class': 'num', text: fmt(100 * m.fraction_answered, 0) + '%' })]));
    });
    mr.appendChild(el('table', {}, rows));
    var vs = section('viewers', 'Viewers');
    vs.appendChild(el('p', { 'class': 'note', text: 'Each viewer\'s share of the on-screen expressions answered' + (A.ab ? ', by group.' : '.') }));
    chart(vs, 'audience-viewers', '', function () {
      var gs = A.viewers.groups.length ? A.viewers.groups : [''];
      var series = gs.map(function (g) {
        return { type: 'scatter', name: g || 'viewers', data: PV.viewer_id.map(function (id, k) {
          return PV.group[k] === g || !A.viewers.groups.length ? { value: [k, PV.fraction_answered[k] === null ? '-' : 100 * PV.fraction_answered[k]], id: id } : null;
        }).filter(function (x) { return x; }) };
      });
      return { animation: false, legend: { top: 0 }, grid: { left: 50, right: 20, top: 30, bottom: 40 },
               tooltip: { trigger: 'item', formatter: function (q) { return q.data.id + ': ' + fmt(q.data.value[1], 0) + '%'; } },
               xAxis: { type: 'value', name: 'viewer', min: -1, max: PV.viewer_id.length }, yAxis: { type: 'value', min: 0, max: 100, name: '% answered' }, series: series };
    });
    if (A.ab) {
      var abs = section('ab', 'A/B comparison');
      var ar = [el('tr', {}, ['Metric', A.ab.a, A.ab.b, 'Difference', "Hedges' g", 'p'].map(function (h) { return el('th', { text: h }); }))];
      Object.keys(A.ab.metrics).forEach(function (k) {
        var x = A.ab.metrics[k];
        ar.push(el('tr', {}, [el('td', { text: k }), el('td', { 'class': 'num', text: fmt(x.mean_a, 3) }), el('td', { 'class': 'num', text: fmt(x.mean_b, 3) }),
          el('td', { 'class': 'num', text: fmt(x.difference, 3) }), el('td', { 'class': 'num', text: fmt(x.hedges_g) }), el('td', { 'class': 'num', text: fmtP(x.p) })]));
      });
      abs.appendChild(el('table', {}, ar));
      abs.appendChild(el('p', { 'class': 'note', text: A.ab.test + '. Several metrics are tested: read p values below 0.05 with that in mind.' }));
    }
    var oc = Object.keys(A.outcomes);
    if (oc.length) {
      var os = section('outcomes', 'Outcomes');
      oc.forEach(function (name) {
        var x = A.outcomes[name];
        os.appendChild(el('h3', { text: name + ' (' + x.viewers + ' viewers)' }));
        if (!x.spearman) { os.appendChild(el('p', { text: x.note || '' })); return; }
        var orow = [el('tr', {}, ['Metric', 'Spearman ρ', 'p'].map(function (h) { return el('th', { text: h }); }))];
        Object.keys(x.spearman).forEach(function (k) {
          orow.push(el('tr', {}, [el('td', { text: k }), el('td', { 'class': 'num', text: fmt(x.spearman[k].rho) }), el('td', { 'class': 'num', text: fmtP(x.spearman[k].p) })]));
        });
        os.appendChild(el('table', {}, orow));
        var mm = x.model;
        os.appendChild(el('p', { text: mm.kind + ' on all metrics, ' + mm.folds + '-fold cross-validated: out-of-fold ' +
          (mm.out_of_fold_auc !== undefined ? 'AUC ' + fmt(mm.out_of_fold_auc) : 'R² ' + fmt(mm.out_of_fold_r2) + ', r ' + fmt(mm.out_of_fold_r)) +
          ' (figures on viewers the model did not see).' }));
      });
    }
    var ms = section('methods', 'Methods');
    ms.appendChild(el('p', { text: 'Each viewer\'s recording is put on the stimulus clock (its offset_s subtracted) from its own timestamps. Expressions come from the action units (EMFACS-based emotions). ' +
      'An expression of a face on screen is answered when the viewer starts an expression of the same action (strict) or the same affect (broad) ' + pm.answer_latency_s[0] + '–' +
      pm.answer_latency_s[1] + ' s after its onset. The chance level shifts each viewer\'s events in time (' + pm.surrogates + ' surrogates, shifts ≥ ' + pm.min_shift_s +
      ' s); the chance-corrected share is (answered − chance) / (1 − chance). ISC: leave-one-out correlation of each viewer\'s smile with the others\' mean, best lag within ±' +
      pm.isc_max_lag_s + ' s, against circularly shifted viewers.' }));
    var prow = [el('tr', {}, [el('th', { text: 'Parameter' }), el('th', { text: 'Value' })])];
    Object.keys(pm).forEach(function (k) { prow.push(el('tr', {}, [el('td', { text: k }), el('td', { text: JSON.stringify(pm[k]) })])); });
    prow.push(el('tr', {}, [el('td', { text: 'software' }), el('td', { text: A.tool + ' ' + A.version })]));
    ms.appendChild(el('table', {}, prow));
    document.getElementById('foot').appendChild(el('p', { 'class': 'note', text: 'Made by mimicry ' + A.version + '. This page works offline; it contains no face images.' }));
  }
  if (D.audience) {
    audiencePage();
    finish();
    return;
  }
  var S = D.summary;
  var P = S.participants.map(function (p) { return p.id; });

  // ---- Header ------------------------------------------------------------------------------
  var top = document.getElementById('top');
  top.appendChild(el('h1', { text: 'Mimicry and synchrony: ' + P.join(', ') }));
  top.appendChild(el('p', { 'class': 'sub', text: 'mimicry ' + S.version + ' · ' + fmt(S.clock.duration_s, 1) +
    ' s on a shared clock at ' + fmt(S.clock.rate_hz, 0) + ' Hz · ' + S.parameters.surrogates + ' surrogates' }));

  // ---- Overview ----------------------------------------------------------------------------
  var ov = section('overview', 'Overview');
  var heads = S.parameters.series ? ['Participant', 'Source', 'Samples', 'With a value'] : ['Participant', 'Source', 'Frames', 'With a face', 'Expression events'];
  var rows = [el('tr', {}, heads.map(function (h) { return el('th', { text: h }); }))];
  S.participants.forEach(function (p) {
    var idCell = el('td', {}, [p.id]);
    if (D.thumbnails && D.thumbnails[p.id]) idCell.insertBefore(el('img', { 'class': 'thumb', src: D.thumbnails[p.id], alt: 'face of ' + p.id }), idCell.firstChild);
    rows.push(el('tr', {}, [idCell, el('td', { text: p.source }), el('td', { 'class': 'num', text: String(p.frames) }),
      el('td', { 'class': 'num', text: fmt(100 * p.valid_fraction, 0) + '%' })].concat(S.parameters.series ? [] : [el('td', { 'class': 'num', text: String(p.events) })])));
  });
  ov.appendChild(el('table', {}, rows));
  S.pairs.forEach(function (pr) {
    ov.appendChild(el('h3', { text: pr.a + ' & ' + pr.b }));
    var m = pr.mimicry, L = pr.leader;
    function card(k, v, meaning) { return el('div', { 'class': 'card' }, [el('div', { 'class': 'k', text: k }), el('div', { 'class': 'v', text: v }), el('div', { 'class': 'm', text: meaning })]); }
    var sync = pr.synchrony;
    // Every verdict comes from summary.json ("more than chance (p ...)", "not more than
    // chance", "not tested: <reason>"); a value is always shown beside its chance level.
    function answers(n) { return n + (n === 1 ? ' answer' : ' answers'); }
    function mim(d) {
      var st = m.strict[d], br = m.broad[d];
      if (!st.tested && !br.tested) return 'Not tested: ' + st.not_tested + '.';
      function v(x) { return x.tested ? x.verdict + ', p ' + fmtP(x.p) : 'not tested'; }
      if (S.parameters.series) return st.count + ' of ' + st.events + ' movements answered (chance ' + chanceText(st.chance, 1) + ': ' + v(st) + ').';
      return st.count + ' strict (chance ' + chanceText(st.chance, 1) + ': ' + v(st) + ') + ' + br.count + ' broad (chance ' +
        chanceText(br.chance, 1) + ': ' + v(br) + ').';
    }
    var cards = [
      card('Synchrony (pooled r)', sync.tested ? fmt(sync.r) + '  chance ' + chanceText(sync.chance) : 'not tested',
        sync.tested ? cap(sync.verdict) + ' (p ' + fmtP(sync.p) + '), against ' + sync.method + '.' : 'Not tested: ' + sync.not_tested + '.'),
      card('Who leads', !L.tested ? 'not tested' : (L.id === null ? 'no direction' : L.id + ' by ' + fmt(L.lag_s) + ' s'),
        !L.tested ? 'Not tested: ' + L.not_tested + '.' :
          (sig(L.p) ? L.follower + ' follows ' + L.id + ' (p ' + fmtP(L.p) + ').'
                    : 'The direction is not more than chance (p ' + fmtP(L.p) + ')' + (L.id ? '; ' + L.id + ' is only the larger side.' : '.'))),
      card('Mimicry ' + pr.a + ' → ' + pr.b, answers(m.strict.a_to_b.count + m.broad.a_to_b.count), mim('a_to_b')),
      card('Mimicry ' + pr.b + ' → ' + pr.a, answers(m.strict.b_to_a.count + m.broad.b_to_a.count), mim('b_to_a')),
      card('Emotional contagion (valence)', pr.contagion.tested ? 'r ' + fmt(pr.contagion.r) + '  chance ' + chanceText(pr.contagion.chance) : 'not tested',
        pr.contagion.tested ? (sig(pr.contagion.p) ? 'Valence spreads from ' + pr.contagion.leader + ' after ' + fmt(pr.contagion.lag_s) + ' s (p ' + fmtP(pr.contagion.p) + ').'
                                                   : cap(pr.contagion.verdict) + ' (p ' + fmtP(pr.contagion.p) + ').') : 'Not tested: ' + pr.contagion.not_tested + '.'),
      card('Rapport (heuristic, 0–100)', fmt(pr.rapport.index, 0) + ' [' + fmt(pr.rapport.ci95[0], 0) + ', ' + fmt(pr.rapport.ci95[1], 0) + ']',
        'Chance ' + chanceText(pr.rapport.chance, 0) + ' (the same blend on surrogate pairs). A descriptive blend of smile and valence synchrony and answered expressions; not a validated scale.')
    ];
    if (S.parameters.series) {
      // Series inputs (motion energy, ...): no faces, so no expression events, contagion or rapport.
      cards = cards.slice(0, 4);
      if (pr.rmea) cards.push(card('rMEA ccf (grand average)', fmt(pr.rmea.grand_average),
        'Lag zero ' + fmt(pr.rmea.lag_zero) + ', ' + pr.rmea.s1 + ' leads ' + fmt(pr.rmea.s1_lead) + ', ' + pr.rmea.s2 + ' leads ' +
        fmt(pr.rmea.s2_lead) + ', median best lag ' + fmt(pr.rmea.best_lag_median) + ' s over ' + pr.rmea.windows +
        ' windows (rMEA MEAccf conventions; ' + pr.rmea.matrix + ').'));
    }
    ov.appendChild(el('div', { 'class': 'cards' }, cards));
  });

  // ---- Timelines ---------------------------------------------------------------------------
  var tls = section('timelines', 'Timelines');
  tls.appendChild(el('p', { 'class': 'note', text: S.parameters.series
    ? 'Each participant\'s series on the shared clock (seconds), in the input\'s own units. Drag or scroll to zoom — all rows zoom together. Gaps are missing values.'
    : 'Each participant on the shared clock (seconds). Smile and action units on OpenFace\'s 0–5 scale, valence −1..1. Click a legend entry to show or hide a channel; drag or scroll to zoom — all rows zoom together. Gaps are missing faces.' }));
  chart(tls, 'timelines', 'tall', function () {
    var n = P.length, h = 100 / n, grids = [], xs = [], ys = [], series = [], names = {};
    P.forEach(function (id, i) {
      grids.push({ left: 70, right: 30, top: (i * h + 4) + '%', height: (h - 12) + '%' });
      xs.push({ type: 'value', gridIndex: i, min: 0, max: S.clock.duration_s, name: i === n - 1 ? 's' : '', axisLabel: { show: i === n - 1 } });
      ys.push({ type: 'value', gridIndex: i, name: id, nameLocation: 'middle', nameGap: 45, min: S.parameters.series ? null : -1 });
      var tl = D.timelines[id];
      Object.keys(tl.series).forEach(function (c) {
        names[c] = true;
        series.push({ type: 'line', name: c, xAxisIndex: i, yAxisIndex: i, showSymbol: false, connectNulls: false, lineStyle: { width: 1.2 },
          data: tl.t.map(function (t, k) { return [t, tl.series[c][k]]; }) });
      });
    });
    var shown = { series: true, smile: true, valence: true, AU12: true, AU06: false, AU01: false, AU04: false };
    var sel = {};
    Object.keys(names).forEach(function (c) { sel[c] = !!shown[c]; });
    return {
      animation: false, grid: grids, xAxis: xs, yAxis: ys, series: series,
      legend: { type: 'scroll', top: 0, selected: sel },
      tooltip: { trigger: 'axis' }, axisPointer: { link: [{ xAxisIndex: 'all' }] },
      dataZoom: [{ type: 'inside', xAxisIndex: xs.map(function (_, i) { return i; }) },
                 { type: 'slider', xAxisIndex: xs.map(function (_, i) { return i; }), bottom: 0, height: 18 }]
    };
  });

  // ---- Per pair: lag map, lag distribution and verdict, rapport ------------------------------
  S.pairs.forEach(function (pr) {
    var key = pairKey(pr), sid = safeId(pr.a + '-' + pr.b);
    var sec = section('pair-' + sid, pr.a + ' & ' + pr.b + ': synchrony and lead');
    var lm = D.lagmaps[key];
    sec.appendChild(el('p', { 'class': 'note', text: 'Windowed lagged cross-correlation (' + S.parameters.mimicry_window.window_s + '-s windows every ' +
      S.parameters.mimicry_window.step_s + ' s), ' + (S.parameters.series ? 'of the series' : 'averaged over the expressive channels') + '. Lag > 0: ' + pr.b + ' follows ' + pr.a +
      '. The line is the peak-picked lag of each window.' }));
    if (lm) chart(sec, 'lagmap-' + key, '', function () {
      return {
        animation: false, tooltip: { position: 'top', formatter: function (q) {
          if (q.seriesType === 'heatmap') return 't ' + lm.times[q.data[0]] + ' s, lag ' + lm.lags[q.data[1]] + ' s: r ' + fmt(q.data[2]);
          return 'peak lag ' + lm.lags[q.data] + ' s'; } },
        grid: { left: 60, right: 90, top: 20, bottom: 60 },
        xAxis: { type: 'category', data: lm.times, name: 'window start (s)', nameLocation: 'middle', nameGap: 28 },
        yAxis: { type: 'category', data: lm.lags, name: 'lag (s)' },
        visualMap: { min: -1, max: 1, calculable: true, orient: 'vertical', right: 5, top: 'middle', precision: 2,
                     inRange: { color: ['#2563eb', '#f8fafc', '#c2410c'] } },
        dataZoom: [{ type: 'inside', xAxisIndex: 0 }, { type: 'slider', xAxisIndex: 0, bottom: 0, height: 16 }],
        series: [{ type: 'heatmap', name: 'r', data: lm.cells, progressive: 0 },
                 { type: 'line', name: 'peak', data: lm.path.map(function (p) { return p[1] === null ? '-' : p[1]; }),
                   showSymbol: false, lineStyle: { color: '#111827', width: 1.5 } }]
      };
    });
    var L = pr.leader, ld = D.lag_distributions[key];
    var verdict = !L.tested ? 'Leader: not tested: ' + L.not_tested + '.' : L.id === null ? 'No direction.' :
      (sig(L.p) ? L.id + ' leads: ' + L.follower + ' follows after ' + fmt(L.lag_s) + ' s (p ' + fmtP(L.p) + ').'
                : 'No clear leader (p ' + fmtP(L.p) + '); the larger side is ' + L.id + ' at ' + fmt(L.lag_s) + ' s.');
    var ev = L.from_events;
    var row = el('div', { 'class': 'row2' });
    sec.appendChild(row);
    var left = el('div'), right = el('div');
    row.appendChild(left); row.appendChild(right);
    if (ld) chart(left, 'lagdist-' + key, '', function () {
      return {
        animation: false, title: { text: 'Peak lags of all windows', left: 'center', textStyle: { fontSize: 13 } },
        tooltip: { trigger: 'axis' }, grid: { left: 50, right: 20, top: 40, bottom: 45 },
        xAxis: { type: 'category', data: ld.lags, name: 'lag (s)', nameLocation: 'middle', nameGap: 28 },
        yAxis: { type: 'value', name: 'windows' },
        series: [{ type: 'bar', name: 'windows', data: ld.counts, itemStyle: { color: '#64748b' },
                   markLine: (L.id === null || L.lag_s === null) ? undefined : { symbol: 'none', label: { formatter: 'leader lag' },
                     data: [{ xAxis: String(Math.round((L.id === pr.a ? 1 : -1) * L.lag_s * 10) / 10) }] } }]
      };
    });
    right.appendChild(el('p', { 'class': 'verdict', text: verdict }));
    right.appendChild(el('p', { text: 'The lag is the ' + L.lag_source + ' (' + fmt(L.lag_s) + ' s; the pooled cross-correlation peaks at ' + fmt(L.coupling_lag_s) +
      ' s). p compares the asymmetry of the cross-correlation (mean r at positive minus negative lags) with ' + pr.synchrony.method + '; chance asymmetry ' + chanceText(L.chance_asym, 3) + '.' }));
    if (ev) right.appendChild(el('p', { text: 'By events: answers beyond chance ' + pr.a + ' → ' + pr.b + ' ' + fmt(ev.excess_a_to_b, 1) + ', ' + pr.b + ' → ' + pr.a + ' ' +
      fmt(ev.excess_b_to_a, 1) + (ev.id ? '; more from ' + ev.id + ' (p ' + fmtP(ev.p) + ').' : '.') }));
    if (S.parameters.series) return;  // no faces: no rapport
    var rp = D.rapport[key];
    sec.appendChild(el('h3', { text: 'Rapport over time (heuristic)' }));
    sec.appendChild(el('p', { 'class': 'note', text: 'Per window (grey) and its mean over ±10 s with a 95% interval (band). Session: ' +
      fmt(pr.rapport.index, 0) + ' [' + fmt(pr.rapport.ci95[0], 0) + ', ' + fmt(pr.rapport.ci95[1], 0) + '].' }));
    function bandRuns(t, lo, hi) {
      var runs = [], start = -1;
      for (var k = 0; k <= t.length; ++k) {
        var ok = k < t.length && lo[k] !== null && hi[k] !== null;
        if (ok && start < 0) start = k;
        if (!ok && start >= 0) { runs.push([start, k - 1]); start = -1; }
      }
      return runs;
    }
    if (rp) chart(sec, 'rapport-' + key, '', function () {
      var t = rp.t_start_s, lo = rp.local_lo95, hi = rp.local_hi95;
      function xy(a) { return t.map(function (x, k) { return [x, a[k] === null ? '-' : a[k]]; }); }
      return {
        animation: false, tooltip: { trigger: 'axis' }, legend: { top: 0 },
        grid: { left: 50, right: 20, top: 30, bottom: 50 },
        xAxis: { type: 'value', min: 0, max: S.clock.duration_s, name: 's', nameLocation: 'middle', nameGap: 26 },
        yAxis: { type: 'value', min: 0, max: 100 },
        dataZoom: [{ type: 'inside' }, { type: 'slider', bottom: 0, height: 16 }],
        series: [
          // The 95% band: one polygon per run of defined values (gaps stay gaps).
          { type: 'custom', name: '95% interval', silent: true, z: 1,
            data: bandRuns(t, lo, hi).map(function (r) { return [t[r[0]], lo[r[0]]]; }),
            itemStyle: { color: 'rgba(37,99,235,0.18)' },
            renderItem: function (params, api) {
              var run = bandRuns(t, lo, hi)[params.dataIndex], pts = [];
              for (var k = run[0]; k <= run[1]; ++k) pts.push(api.coord([t[k], hi[k]]));
              for (var k2 = run[1]; k2 >= run[0]; --k2) pts.push(api.coord([t[k2], lo[k2]]));
              return { type: 'polygon', shape: { points: pts }, style: { fill: 'rgba(37,99,235,0.18)' } };
            } },
          { type: 'line', name: 'per window', data: xy(rp.rapport), showSymbol: false, lineStyle: { color: '#9ca3af', width: 1 }, itemStyle: { color: '#9ca3af' } },
          { type: 'line', name: 'local mean', data: xy(rp.local_mean), showSymbol: false, lineStyle: { color: '#2563eb', width: 2 }, itemStyle: { color: '#2563eb' } }]
      };
    });
  });

  // ---- Mimicry events ----------------------------------------------------------------------
  var es = section('events', 'Mimicry events');
  es.appendChild(el('p', { 'class': 'note', text: S.parameters.series
    ? 'Each dot is a movement event (a rise of the series) at its onset. Links join an event to its answer within ' + S.parameters.answer_latency_s[0] + '–' +
      S.parameters.answer_latency_s[1] + ' s. Hover for details.'
    : 'Each dot is an expression event at its onset (size: intensity; colour: affect). Links join an event to its answer: ' +
    'strict (same action, orange) or broad (another action of the same affect, blue), within ' + S.parameters.answer_latency_s[0] + '–' +
    S.parameters.answer_latency_s[1] + ' s. Hover for details.' }));
  chart(es, 'events', '', function () {
    var idx = {};
    P.forEach(function (p, i) { idx[p] = i; });
    var byKey = {};
    D.events.forEach(function (e) { byKey[e.p + '#' + e.event] = e; });
    var dots = D.events.map(function (e) {
      return { value: [e.onset_s, idx[e.p], e.intensity], ev: e,
               itemStyle: { color: COLORS[e.affect] || COLORS.other } };
    });
    var links = { strict: [], broad: [] };
    D.events.forEach(function (e) {
      if (!e.answer_to) return;
      var src = byKey[e.answer_to + '#' + e.answer_event];
      if (!src || !(e.mode in links)) return;
      links[e.mode].push({ coords: [[src.onset_s, idx[src.p]], [e.onset_s, idx[e.p]]], from: src, to: e });
    });
    function describe(e) { return e.p + ' #' + e.event + ': ' + e.actions + ' (' + e.affect + '), onset ' + fmt(e.onset_s) + ' s, apex ' + fmt(e.apex_s) +
      ' s, intensity ' + fmt(e.intensity); }
    return {
      animation: false,
      tooltip: { trigger: 'item', formatter: function (q) {
        if (q.seriesType === 'lines') return q.seriesName + ' answer, latency ' + fmt(q.data.to.latency_s) + ' s<br>' + describe(q.data.from) + '<br>→ ' + describe(q.data.to);
        return describe(q.data.ev) + (q.data.ev.answer_to ? '<br>answers ' + q.data.ev.answer_to + ' #' + q.data.ev.answer_event + ' (' + q.data.ev.mode + ', ' + fmt(q.data.ev.latency_s) + ' s)' : '');
      } },
      legend: { top: 0, data: ['events', 'strict', 'broad'] },
      grid: { left: 60, right: 20, top: 30, bottom: 55 },
      xAxis: { type: 'value', min: 0, max: S.clock.duration_s, name: 'onset (s)', nameLocation: 'middle', nameGap: 26 },
      yAxis: { type: 'value', min: -0.5, max: P.length - 0.5, interval: 1, axisLabel: { formatter: function (v) { return P[Math.round(v)] || ''; } } },
      dataZoom: [{ type: 'inside' }, { type: 'slider', bottom: 0, height: 16 }],
      series: [
        { type: 'scatter', name: 'events', data: dots, symbolSize: function (v) { return 6 + 3 * Math.min(5, v[2] || 0); } },
        { type: 'lines', name: 'strict', coordinateSystem: 'cartesian2d', data: links.strict, lineStyle: { color: COLORS.strict, width: 2, opacity: 0.8, curveness: 0.15 } },
        { type: 'lines', name: 'broad', coordinateSystem: 'cartesian2d', data: links.broad, lineStyle: { color: COLORS.broad, width: 2, opacity: 0.8, type: 'dashed', curveness: 0.15 } }]
    };
  });

  // ---- Group matrix ------------------------------------------------------------------------
  if (P.length > 2) {
    var gs = section('group', 'Group');
    gs.appendChild(el('p', { 'class': 'note', text: 'Synchrony (pooled r at the best lag) of every pair; group synchrony index ' + fmt(S.group ? S.group.synchrony_index : null) +
      (S.group && S.group.chance ? ', chance ' + chanceText(S.group.chance) : '') + '.' }));
    chart(gs, 'group', '', function () {
      var cells = [];
      S.pairs.forEach(function (pr) {
        var i = P.indexOf(pr.a), j = P.indexOf(pr.b), v = pr.synchrony.r;
        if (v === null) return;
        cells.push([i, j, Math.round(v * 1000) / 1000]); cells.push([j, i, Math.round(v * 1000) / 1000]);
      });
      return {
        animation: false, tooltip: { formatter: function (q) { return P[q.data[0]] + ' & ' + P[q.data[1]] + ': r ' + fmt(q.data[2]); } },
        grid: { left: 80, right: 90, top: 20, bottom: 60 },
        xAxis: { type: 'category', data: P }, yAxis: { type: 'category', data: P },
        visualMap: { min: 0, max: 1, calculable: true, right: 5, top: 'middle', inRange: { color: ['#f8fafc', '#c2410c'] } },
        series: [{ type: 'heatmap', data: cells, label: { show: true } }]
      };
    });
  }

  // ---- Methods -----------------------------------------------------------------------------
  var ms = section('methods', 'Methods');
  var pm = S.parameters;
  ms.appendChild(el('p', { text: 'Every recording is put on one clock from its own timestamps (' + pm.rate_hz + ' Hz; gaps longer than ' + pm.max_gap_s +
    ' s stay gaps). Channels are cleaned, baseline-corrected and standardised per person. Synchrony is windowed lagged cross-correlation with peak picking (' +
    pm.mimicry_window.window_s + '-s windows every ' + pm.mimicry_window.step_s + ' s, lags ±' + pm.mimicry_window.max_lag_s + ' s; session scale ' +
    pm.session_window.window_s + ' s). Its p values compare the pooled local cross-correlation with ' + pm.surrogates + ' ' + pm.correlation_surrogate +
    ' surrogates (a block bootstrap of one person\'s time line up to 15 min, circular shifts of at least ' + pm.min_shift_s + ' s beyond; each pair says which it used), which keep each person\'s own dynamics and break only their alignment. A test a recording is too short for is reported as not tested, with the reason. Expression events are detected per person; an event of the other person ' +
    pm.answer_latency_s[0] + '–' + pm.answer_latency_s[1] + ' s later is an answer, strict when the action is the same, broad when only the affect is. Chance counts come from ' +
    pm.surrogates + ' ' + pm.event_surrogate + ' event surrogates.' }));
  ms.appendChild(el('h3', { text: 'How to read p and the indices' }));
  ms.appendChild(el('ul', {}, [
    el('li', { text: 'p is the share of surrogates (plus one) at least as extreme as the observed value: with ' + pm.surrogates + ' surrogates no p is smaller than ' + fmtP(1 / (pm.surrogates + 1)) + '. p < 0.05 says the two people are more aligned than the same recordings shifted in time; it says nothing about why.' }),
    el('li', { text: 'Per-channel p values in pairs.csv are corrected for multiple channels (Benjamini–Hochberg q). The headline p values here are single pooled tests.' }),
    el('li', { text: 'Peak r is a correlation within short windows and is biased upward by peak picking; compare it with the surrogates, not with zero.' }),
    el('li', { text: 'Answer counts include coincidences; the chance counts estimate how many, and the mimicry index is observed minus chance.' }),
    el('li', { text: 'Rapport is a heuristic blend (0.4 smile synchrony, 0.3 valence synchrony, 0.3 answered expressions); it is not a validated rapport scale.' }),
    el('li', { text: 'Action units come from facial landmarks and appearance; their accuracy on the given footage should be checked before strong claims (docs/action_units.md).' })]));
  ms.appendChild(el('h3', { text: 'Parameters' }));
  var prow = [el('tr', {}, [el('th', { text: 'Parameter' }), el('th', { text: 'Value' })])];
  (function flat(obj, pre) {
    Object.keys(obj).forEach(function (k) {
      var v = obj[k];
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) flat(v, pre + k + '.');
      else prow.push(el('tr', {}, [el('td', { text: pre + k }), el('td', { text: JSON.stringify(v) })]));
    });
  })(pm, '');
  prow.push(el('tr', {}, [el('td', { text: 'software' }), el('td', { text: S.tool + ' ' + S.version })]));
  prow.push(el('tr', {}, [el('td', { text: 'command line' }), el('td', { text: S.command_line || '' })]));
  ms.appendChild(el('table', {}, prow));

  document.getElementById('foot').appendChild(el('p', { 'class': 'note', text: 'Made by mimicry ' + S.version + '. This page works offline; it contains ' +
    (Object.keys(D.thumbnails || {}).length ? 'face crops (--thumbnails).' : 'no face images.') }));
  finish();
})();
