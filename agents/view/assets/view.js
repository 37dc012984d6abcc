/* satcoop episode viewer: globe / map on a 2-D canvas, plots with plotly. Reads the JSON embedded in the page
   (agents/view/data.py documents every field). No network: everything is in this file's page. */
(function () {
  'use strict';
  const D = JSON.parse(document.getElementById('satcoop-data').textContent);
  const LAND = JSON.parse(document.getElementById('satcoop-land').textContent).rings;
  const R_E = 6371.0;                 // km, the drawn sphere (mean radius)
  const WGS_A = 6378.137, WGS_E2 = 6.69437999014e-3;
  const DEG = Math.PI / 180;
  const PALETTE = ['#4e9cff', '#ff9f40', '#4cd07d', '#ff5c6c', '#b48cff', '#c89a6a', '#ff7fd1', '#a9b4c4',
                   '#d8d84a', '#3fd6e0'];
  const MSG_COLOURS = { SSI: '#3fd6e0', SCSIReport: '#ffb020', PrecoderBundle: '#e070ff' };
  const EVENT_STYLE = {
    election: ['star', '#ffd24a'], handover: ['diamond', '#4cd07d'], join: ['triangle-up', '#7fe0a0'],
    leave: ['triangle-down', '#e0a07f'], timeout: ['x', '#ff5c6c'], restart: ['circle-open', '#ff9f40'],
    kill: ['x-thin-open', '#ff3030'], compute: ['line-ns-open', '#b48cff'], selection_short: ['square', '#a9b4c4'],
    subround_limit: ['square-open', '#a9b4c4'] };

  function unpack(p) {
    const bin = atob(p.b64);
    const buf = new ArrayBuffer(bin.length);
    const u8 = new Uint8Array(buf);
    for (let i = 0; i < bin.length; i++) u8[i] = bin.charCodeAt(i);
    const T = { float32: Float32Array, float64: Float64Array, int32: Int32Array, int16: Int16Array, uint8: Uint8Array }[p.dtype];
    return new T(buf);
  }

  // ------------------------------------------------------------------ data
  const meta = D.meta;
  const T_END = meta.duration_s;
  const frames = unpack(D.frames_t_s);
  const F = frames.length;
  const FDT = F > 1 ? frames[1] - frames[0] : 1;
  const pos = unpack(D.positions_km);
  const NS = D.sats.ids.length;
  const links = unpack(D.links);
  const NL = links.length / 2;
  const linkUp = unpack(D.link_up);
  const linkIndex = new Map();
  for (let l = 0; l < NL; l++) linkIndex.set(links[2 * l] * NS + links[2 * l + 1], l);
  const linkFaults = unpack(D.link_faults), satFaults = unpack(D.sat_faults);
  const faultsOfLink = new Map(), faultsOfSat = new Map();
  for (let q = 0; q < linkFaults.length / 3; q++) {
    const l = linkFaults[3 * q];
    if (!faultsOfLink.has(l)) faultsOfLink.set(l, []);
    faultsOfLink.get(l).push([linkFaults[3 * q + 1], linkFaults[3 * q + 2]]);
  }
  for (let q = 0; q < satFaults.length / 3; q++) {
    const s = satFaults[3 * q];
    if (!faultsOfSat.has(s)) faultsOfSat.set(s, []);
    faultsOfSat.get(s).push([satFaults[3 * q + 1], satFaults[3 * q + 2]]);
  }
  const M = {};
  for (const k of Object.keys(D.messages)) {
    const v = D.messages[k];
    M[k] = (v && v.b64 !== undefined) ? unpack(v) : v;
  }
  const NM = M.msg_id.length;
  let maxFlight = 0;
  for (let i = 0; i < NM; i++) {
    const e = isFinite(M.end_s[i]) ? M.end_s[i] : T_END;
    maxFlight = Math.max(maxFlight, e - M.sent_s[i]);
  }
  const H = {};
  for (const k of Object.keys(D.hops)) H[k] = unpack(D.hops[k]);
  const schemes = D.schemes.map(s => s.scheme);
  const schemeColour = {};
  schemes.forEach((s, i) => { schemeColour[s] = PALETTE[i % PALETTE.length]; });
  const regions = D.regions.map(r => Object.assign({}, r, { utLat: unpack(r.ut_lat_deg), utLon: unpack(r.ut_lon_deg) }));

  // ------------------------------------------------------------------ state
  const S = { t: 0, region: 0, mode: 'globe', playing: false, speed: 1, lat0: regions[0].center_lat_deg,
              lon0: regions[0].center_lon_deg, zoom: 1.7, mapZoom: 1.0, mapLat: regions[0].center_lat_deg,
              mapLon: regions[0].center_lon_deg, drawn: [], routesUpdate: true, allLinks: true };
  const canvas = document.getElementById('globe');
  const ctx = canvas.getContext('2d');

  // ------------------------------------------------------------------ geometry
  function satXYZ(i, t) {            // ITRS km, linear between frames; null when absent
    let f = (t - frames[0]) / FDT;
    f = Math.max(0, Math.min(F - 1, f));
    const a = Math.min(F - 2, Math.floor(f)), w = f - a;
    const b = a + 1 < F ? a + 1 : a;
    const o1 = (a * NS + i) * 3, o2 = (b * NS + i) * 3;
    const x = pos[o1] * (1 - w) + pos[o2] * w, y = pos[o1 + 1] * (1 - w) + pos[o2 + 1] * w,
          z = pos[o1 + 2] * (1 - w) + pos[o2 + 2] * w;
    if (!(isFinite(x) && isFinite(y) && isFinite(z))) return null;
    return [x, y, z];
  }
  function geodetic(x, y, z) {        // WGS84 (lat rad, lon rad, h km) of ITRS km
    const p = Math.hypot(x, y);
    let lat = Math.atan2(z, p * (1 - WGS_E2)), h = 0;
    for (let k = 0; k < 4; k++) {
      const s = Math.sin(lat), N = WGS_A / Math.sqrt(1 - WGS_E2 * s * s);
      h = p / Math.cos(lat) - N;
      lat = Math.atan2(z, p * (1 - WGS_E2 * N / (N + h)));
    }
    return [lat, Math.atan2(y, x), h];
  }
  // a satellite is drawn at its geodetic latitude / longitude and height above the drawn sphere, so that
  // it sits over the right ground point (coastlines and UTs are at their geodetic coordinates on the sphere)
  function satGeo(i, t) {
    const p = satXYZ(i, t);
    return p ? geodetic(p[0], p[1], p[2]) : null;
  }
  function sphere(lat, lon, r) {
    const c = Math.cos(lat);
    return [r * c * Math.cos(lon), r * c * Math.sin(lon), r * Math.sin(lat)];
  }
  function viewBasis() {
    const la = S.lat0 * DEG, lo = S.lon0 * DEG;
    const sl = Math.sin(la), cl = Math.cos(la), so = Math.sin(lo), co = Math.cos(lo);
    return { e: [-so, co, 0], n: [-sl * co, -sl * so, cl], u: [cl * co, cl * so, sl] };
  }
  let VB = viewBasis();
  function size() { return [canvas.clientWidth, canvas.clientHeight]; }
  // project (lat rad, lon rad, height km) -> [X, Y, visible]
  function project(lat, lon, h) {
    const [w, hh] = size();
    if (S.mode === 'globe') {
      const p = sphere(lat, lon, R_E + h);
      const x = p[0] * VB.e[0] + p[1] * VB.e[1] + p[2] * VB.e[2];
      const y = p[0] * VB.n[0] + p[1] * VB.n[1] + p[2] * VB.n[2];
      const z = p[0] * VB.u[0] + p[1] * VB.u[1] + p[2] * VB.u[2];
      const s = S.zoom * Math.min(w, hh) / 2 / (R_E * 1.12);
      const vis = z >= 0 || (x * x + y * y) > R_E * R_E;
      return [w / 2 + s * x, hh / 2 - s * y, vis];
    }
    let dl = lon / DEG - S.mapLon;
    dl = ((dl + 540) % 360) - 180;
    const s = S.mapZoom * w / 360;
    return [w / 2 + s * dl, hh / 2 - s * (lat / DEG - S.mapLat), true];
  }

  // ------------------------------------------------------------------ roles and state at t
  function lastAtOrBefore(list, t) {          // list of [t_s, value], sorted by t_s
    let v = null;
    for (const e of list) { if (e[0] <= t + 1e-9) v = e[1]; else break; }
    return v;
  }
  function idIndex(satId) {                   // constellation id -> displayed index
    let lo = 0, hi = NS - 1;
    while (lo <= hi) {
      const m = (lo + hi) >> 1, v = D.sats.ids[m];
      if (v === satId) return m;
      if (v < satId) lo = m + 1; else hi = m - 1;
    }
    return -1;
  }
  function roles(t) {
    const member = new Map(), central = new Map();
    regions.forEach(r => {
      for (const s of (lastAtOrBefore(r.members, t) || [])) member.set(s, (member.get(s) || []).concat([r.index]));
      const c = lastAtOrBefore(r.centrals, t);
      if (c !== null) central.set(c, (central.get(c) || []).concat([r.index]));
    });
    return { member, central };
  }
  function down(intervals, t) {
    if (!intervals) return false;
    for (const iv of intervals) if (iv[0] <= t && t < iv[1]) return true;
    return false;
  }
  function linkDown(l, t) {
    return down(faultsOfLink.get(l), t) || down(faultsOfSat.get(links[2 * l]), t) || down(faultsOfSat.get(links[2 * l + 1]), t);
  }
  function firstSentAfter(t) {               // first message index with sent_s >= t (sent_s ascending)
    let lo = 0, hi = NM;
    while (lo < hi) { const m = (lo + hi) >> 1; if (M.sent_s[m] < t) lo = m + 1; else hi = m; }
    return lo;
  }
  function messagesAt(t) {                    // in flight at t, and (optionally) sent since the update began
    const inFlight = [], recent = [];
    const u0 = Math.floor(t / meta.update_period_s + 1e-9) * meta.update_period_s;
    const from = firstSentAfter(Math.min(t - maxFlight, u0) - 1e-9), to = firstSentAfter(t + 1e-12);
    for (let i = from; i < to; i++) {
      const end = isFinite(M.end_s[i]) ? M.end_s[i] : T_END;
      if (M.sent_s[i] <= t && t < end) inFlight.push(i);
      else if (M.sent_s[i] >= u0 - 1e-9) recent.push(i);
    }
    return { inFlight, recent, u0 };
  }
  function msgName(i) {
    const s = M.scheme[i] >= 0 ? M.schemes[M.scheme[i]] : 'shared';
    return `${M.types[M.type[i]]} #${M.msg_id[i]} (${s}, update ${M.update[i]})`;
  }

  // ------------------------------------------------------------------ drawing
  function resize() {
    const dpr = window.devicePixelRatio || 1;
    const [w, h] = size();
    canvas.width = Math.round(w * dpr); canvas.height = Math.round(h * dpr);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  }
  function polyline(pts, close) {             // pts: [X, Y, vis]; breaks at hidden points / map wrap
    let open = false, prev = null;
    ctx.beginPath();
    for (const p of pts) {
      const jump = prev && S.mode === 'map' && Math.abs(p[0] - prev[0]) > size()[0] / 2;
      if (!p[2] || jump) { open = false; prev = p; if (!p[2]) continue; }
      if (!open) { ctx.moveTo(p[0], p[1]); open = true; } else ctx.lineTo(p[0], p[1]);
      prev = p;
    }
    if (close) ctx.closePath();
  }
  function drawEarth() {
    const [w, h] = size();
    ctx.fillStyle = '#070b16'; ctx.fillRect(0, 0, w, h);
    if (S.mode === 'globe') {
      const s = S.zoom * Math.min(w, h) / 2 / (R_E * 1.12);
      const g = ctx.createRadialGradient(w / 2 - 0.3 * s * R_E, h / 2 - 0.3 * s * R_E, 0.1 * s * R_E, w / 2, h / 2, s * R_E);
      g.addColorStop(0, '#1d4a7a'); g.addColorStop(1, '#0c2442');
      ctx.fillStyle = g;
      ctx.beginPath(); ctx.arc(w / 2, h / 2, s * R_E, 0, 2 * Math.PI); ctx.fill();
    } else {
      const s = S.mapZoom * w / 360;          // the whole map: 360 deg of longitude around the centre
      ctx.fillStyle = '#0c2442';
      ctx.fillRect(w / 2 - 180 * s, h / 2 - s * (90 - S.mapLat), 360 * s, 180 * s);
    }
    // graticule every 15 deg
    ctx.strokeStyle = 'rgba(120,150,200,0.16)'; ctx.lineWidth = 0.7;
    for (let la = -75; la <= 75; la += 15) {
      const pts = []; for (let lo = -180; lo <= 180; lo += 3) pts.push(project(la * DEG, lo * DEG, 0));
      polyline(pts); ctx.stroke();
    }
    for (let lo = -180; lo < 180; lo += 15) {
      const pts = []; for (let la = -90; la <= 90; la += 3) pts.push(project(la * DEG, lo * DEG, 0));
      polyline(pts); ctx.stroke();
    }
    ctx.strokeStyle = '#7fa3c8'; ctx.lineWidth = 0.9;
    ctx.fillStyle = 'rgba(64,96,80,0.55)';
    for (const ring of LAND) {
      const pts = [];
      for (let k = 0; k < ring.length; k += 2) pts.push(project(ring[k + 1] * DEG, ring[k] * DEG, 0));
      polyline(pts, false);
      ctx.stroke();
    }
  }
  function drawRegions(t, rl) {
    regions.forEach(r => {
      const sel = r.index === S.region;
      const pts = r.outline_deg.map(p => project(p[0] * DEG, p[1] * DEG, 0));
      ctx.setLineDash(sel ? [] : [4, 4]);
      ctx.strokeStyle = sel ? '#ffd24a' : 'rgba(255,210,74,0.55)'; ctx.lineWidth = sel ? 1.8 : 1.0;
      polyline(pts); ctx.stroke(); ctx.setLineDash([]);
      let f = Math.round((t - frames[0]) / FDT); f = Math.max(0, Math.min(F - 1, f));
      const K = r.utLat.length / F;
      ctx.fillStyle = sel ? '#ffffff' : 'rgba(255,255,255,0.6)';
      for (let k = 0; k < K; k++) {
        const p = project(r.utLat[f * K + k] * DEG, r.utLon[f * K + k] * DEG, 0);
        if (p[2]) { ctx.beginPath(); ctx.arc(p[0], p[1], 1.8, 0, 2 * Math.PI); ctx.fill(); }
      }
      const south = r.outline_deg[Math.floor(r.outline_deg.length / 2)];      // the label under the region
      const c = project(south[0] * DEG, south[1] * DEG, 0);
      if (c[2]) {
        ctx.fillStyle = sel ? '#ffd24a' : 'rgba(255,210,74,0.7)'; ctx.font = '12px system-ui'; ctx.textAlign = 'center';
        ctx.fillText(`region ${r.index}`, c[0], c[1] + 14); ctx.textAlign = 'start';
      }
    });
  }
  function drawSegment(a, b, colour, width, dash) {
    if (!a || !b || !(a[2] && b[2])) return;
    if (S.mode === 'map' && Math.abs(a[0] - b[0]) > size()[0] / 2) return;
    ctx.strokeStyle = colour; ctx.lineWidth = width; ctx.setLineDash(dash || []);
    ctx.beginPath(); ctx.moveTo(a[0], a[1]); ctx.lineTo(b[0], b[1]); ctx.stroke();
    ctx.setLineDash([]);
  }
  function segVisible(ga, gb) {            // a chord is hidden if its middle is behind the Earth
    if (S.mode !== 'globe') return true;
    const pa = sphere(ga[0], ga[1], R_E + ga[2]), pb = sphere(gb[0], gb[1], R_E + gb[2]);
    const m = [(pa[0] + pb[0]) / 2, (pa[1] + pb[1]) / 2, (pa[2] + pb[2]) / 2];
    const x = m[0] * VB.e[0] + m[1] * VB.e[1] + m[2] * VB.e[2], y = m[0] * VB.n[0] + m[1] * VB.n[1] + m[2] * VB.n[2],
          z = m[0] * VB.u[0] + m[1] * VB.u[1] + m[2] * VB.u[2];
    return z >= 0 || x * x + y * y > R_E * R_E;
  }
  function render() {
    const t = S.t;
    VB = viewBasis();
    drawEarth();
    drawRegions(t);
    const geo = new Array(NS), scr = new Array(NS);
    for (let i = 0; i < NS; i++) {
      geo[i] = satGeo(i, t);
      scr[i] = geo[i] ? project(geo[i][0], geo[i][1], geo[i][2]) : null;
    }
    let f = Math.round((t - frames[0]) / FDT); f = Math.max(0, Math.min(F - 1, f));
    // ISLs: up (grey), down in the fault timeline (red, dashed); carrying a message: overdrawn below
    let nDown = 0, nUp = 0;
    for (let l = 0; l < NL; l++) {
      if (!linkUp[f * NL + l]) continue;
      const a = links[2 * l], b = links[2 * l + 1];
      if (!geo[a] || !geo[b] || !segVisible(geo[a], geo[b])) continue;
      if (linkDown(l, t)) { nDown++; drawSegment(scr[a], scr[b], '#ff4d5e', 1.6, [5, 3]); }
      else { nUp++; if (S.allLinks) drawSegment(scr[a], scr[b], 'rgba(150,170,200,0.35)', 0.8); }
    }
    // messages: routes of this update (faint), in flight (bright, with a dot where the message is now)
    const ms = messagesAt(t);
    const carrying = new Set();
    const relays = new Set();
    const drawRoute = (i, alpha, upTo) => {
      const col = MSG_COLOURS[M.types[M.type[i]]] || '#ffffff';
      for (let h = M.hop_start[i]; h >= 0 && h < M.hop_start[i] + M.hop_count[i]; h++) {
        if (upTo !== undefined && H.t_depart_s[h] > upTo) break;
        const a = H.u[h], b = H.v[h];
        if (!geo[a] || !geo[b] || !segVisible(geo[a], geo[b])) continue;
        if (!H.ok[h]) {
          drawSegment(scr[a], scr[b], `rgba(255,77,94,${alpha})`, 2.2);
          const mx = (scr[a][0] + scr[b][0]) / 2, my = (scr[a][1] + scr[b][1]) / 2;
          ctx.strokeStyle = '#ff4d5e'; ctx.lineWidth = 2; ctx.beginPath();
          ctx.moveTo(mx - 5, my - 5); ctx.lineTo(mx + 5, my + 5); ctx.moveTo(mx + 5, my - 5); ctx.lineTo(mx - 5, my + 5); ctx.stroke();
        } else {
          ctx.globalAlpha = alpha; drawSegment(scr[a], scr[b], col, 1.6); ctx.globalAlpha = 1;
        }
      }
    };
    if (S.routesUpdate) for (const i of ms.recent) drawRoute(i, 0.45);
    const dots = [];
    for (const i of ms.inFlight) {
      drawRoute(i, 0.75);
      for (let h = M.hop_start[i]; h >= 0 && h < M.hop_start[i] + M.hop_count[i]; h++) {
        if (H.t_depart_s[h] <= t && t < H.t_arrive_s[h]) {
          const a = H.u[h], b = H.v[h];
          const l = linkIndex.get(Math.min(a, b) * NS + Math.max(a, b));
          if (l !== undefined) carrying.add(l);
          if (geo[a] && geo[b]) {
            const w = (t - H.t_depart_s[h]) / (H.t_arrive_s[h] - H.t_depart_s[h]);
            const pa = satXYZ(a, t), pb = satXYZ(b, t);
            const g = geodetic(pa[0] + w * (pb[0] - pa[0]), pa[1] + w * (pb[1] - pa[1]), pa[2] + w * (pb[2] - pa[2]));
            dots.push([project(g[0], g[1], g[2]), MSG_COLOURS[M.types[M.type[i]]] || '#fff']);
          }
          relays.add(a); relays.add(b);
        } else if (H.t_arrive_s[h] <= t) relays.add(H.v[h]);
      }
    }
    for (const l of carrying) {
      const a = links[2 * l], b = links[2 * l + 1];
      if (geo[a] && geo[b] && segVisible(geo[a], geo[b])) drawSegment(scr[a], scr[b], '#ffffff', 2.6);
    }
    // satellites
    const rl = roles(t);
    const drawn = [];
    const order = [];
    for (let i = 0; i < NS; i++) if (scr[i] && scr[i][2]) order.push(i);
    const rank = i => { const id = D.sats.ids[i]; return rl.central.has(id) ? 3 : rl.member.has(id) ? 2 : relays.has(i) ? 1 : 0; };
    order.sort((a, b) => rank(a) - rank(b));
    for (const i of order) {
      const id = D.sats.ids[i], p = scr[i];
      const isC = rl.central.has(id), isM = rl.member.has(id);
      const inSel = isM && rl.member.get(id).includes(S.region);
      let r = 2.3, col = 'rgba(190,200,215,0.75)';
      if (relays.has(i)) { r = 3; col = '#ffffff'; }
      if (isM) { r = inSel ? 5.5 : 4.5; col = inSel ? '#4cd07d' : '#2fa7a0'; }
      if (isC) { r = 6.5; col = '#ffd24a'; }
      ctx.fillStyle = col; ctx.beginPath(); ctx.arc(p[0], p[1], r, 0, 2 * Math.PI); ctx.fill();
      if (isC) { ctx.strokeStyle = '#ffd24a'; ctx.lineWidth = 1.5; ctx.beginPath(); ctx.arc(p[0], p[1], r + 3.5, 0, 2 * Math.PI); ctx.stroke(); }
      if (isM || isC) {             // labelled by constellation index, as in the panels (name in the tooltip)
        ctx.fillStyle = isC ? '#ffd24a' : '#e8eef8'; ctx.font = '11px system-ui';
        ctx.fillText(String(id) + (isC ? ' central' : ''), p[0] + r + 4, p[1] - r);
      }
      drawn.push([i, p[0], p[1]]);
    }
    for (const [p, col] of dots) {
      if (!p[2]) continue;
      ctx.fillStyle = col; ctx.strokeStyle = '#000'; ctx.lineWidth = 1;
      ctx.beginPath(); ctx.arc(p[0], p[1], 4, 0, 2 * Math.PI); ctx.fill(); ctx.stroke();
    }
    S.drawn = drawn;
    S.counts = { up: nUp, down: nDown, inFlight: ms.inFlight.length, carrying: carrying.size };
    updateNow(t, rl, ms);
  }

  // ------------------------------------------------------------------ panels
  function fmt(v, d) { return (v === null || v === undefined || !isFinite(v)) ? 'n/a' : Number(v).toFixed(d); }
  function utcAt(t) {
    const ms = Date.parse(meta.t0_utc) + t * 1000;
    return isFinite(ms) ? new Date(ms).toISOString().replace('T', ' ').replace('Z', ' UTC') : '';
  }
  function updateNow(t, rl, ms) {
    const r = regions[S.region];
    const mem = lastAtOrBefore(r.members, t) || [];
    const cen = lastAtOrBefore(r.centrals, t);
    const kinds = {};
    let unrouted = 0;
    for (const i of ms.inFlight) { const k = M.types[M.type[i]]; kinds[k] = (kinds[k] || 0) + 1; if (M.hop_count[i] === 0) unrouted++; }
    let lost = 0;
    for (const i of ms.recent.concat(ms.inFlight)) if (M.status_names[M.status[i]] === 'lost' && M.end_s[i] <= t) lost++;
    const rows = [
      ['time', `${t.toFixed(3)} s`], ['update', `${Math.floor(t / meta.update_period_s + 1e-9)} (since ${ms.u0.toFixed(1)} s)`],
      ['members', mem.join(', ') || 'none'], ['central', cen === null ? (Object.values(meta.architectures).includes('centralized') ? 'not elected' : 'no centralized scheme') : String(cen)],
      ['in flight', (Object.keys(kinds).length ? Object.entries(kinds).map(([k, v]) => `${v} ${k}`).join(', ') : 'none') +
                    (unrouted ? ` (${unrouted} without a route: not kept, see the footer)` : '')],
      ['lost this update', String(lost)],
      ['ISLs drawn', `${S.counts ? S.counts.up : 0} up, ${S.counts ? S.counts.down : 0} down`]];
    document.getElementById('now').innerHTML = rows.map(([k, v]) => `<div><span class="k">${k}:</span> ${v}</div>`).join('');
    document.getElementById('tlabel').textContent = `t = ${t.toFixed(3)} s / ${T_END.toFixed(1)} s   ${utcAt(t)}`;
  }
  function buildStatic() {
    document.getElementById('run-name').textContent = meta.run_dir;
    const c = meta.constellation;
    const shells = (c.shells || []).map(s => `${s.satellites} sat ${fmt(s.inclination_deg, 1)} deg ${fmt(s.altitude_km, 0)} km`).join(' + ');
    document.getElementById('meta').textContent =
      `seed ${meta.seed} | S=${meta.S}, K=${meta.K}, ${meta.power_dbw} dBW | ${meta.duration_s} s at ${meta.tick_s} s ticks, updates every ${meta.update_period_s} s | ` +
      `faults ${meta.faults}${meta.faults === 'none' ? '' : ' p=' + meta.outage_prob} | ISL ${meta.topology}, on failure ${meta.on_failure} | ` +
      `${c.kind} constellation, ${c.satellites} satellites (${shells}) | runtime ${meta.runtime}`;
    const w = document.getElementById('warnings');
    w.innerHTML = (D.warnings || []).map(x => `<div>${x}</div>`).join('');
    const sel = document.getElementById('region');
    sel.innerHTML = regions.map(r => `<option value="${r.index}">${r.index}: ${fmt(r.center_lat_deg, 2)}, ${fmt(r.center_lon_deg, 2)} deg</option>`).join('');
    const lg = [
      ['dot', '#ffd24a', 'central (ring)'], ['dot', '#4cd07d', 'member, selected region'], ['dot', '#2fa7a0', 'member, other region'],
      ['dot', '#ffffff', 'relaying a message'], ['dot', 'rgba(190,200,215,0.75)', `other, in view of a region`],
      ['sw', 'rgba(150,170,200,0.6)', 'ISL up'], ['sw', '#ff4d5e', 'ISL down (fault)'], ['sw', '#ffffff', 'ISL carrying a message'],
      ['sw', MSG_COLOURS.SSI, 'SSI route'], ['sw', MSG_COLOURS.SCSIReport, 'sCSI report route'], ['sw', MSG_COLOURS.PrecoderBundle, 'precoder bundle route'],
      ['x', '#ff4d5e', 'hop where a message was lost'], ['sw', '#ffd24a', 'region edge'], ['dot', '#ffffff', 'UT (small white dot)']];
    document.getElementById('legend').innerHTML = lg.map(([k, c, t]) => k === 'x'
      ? `<div class="row"><span style="color:${c};width:16px;flex:none;text-align:center;font-weight:bold">&#10005;</span>${t}</div>`
      : `<div class="row"><span class="${k}" style="background:${c}"></span>${t}</div>`).join('');
    const rows = meta.summary || [];
    document.getElementById('summary').innerHTML = rows.length ? '<table class="sum"><tr><th>scheme</th><th>bit/s/Hz</th><th>age s</th><th>missed</th><th>ISL kbit/s</th></tr>' +
      rows.map(r => `<tr><td style="color:${schemeColour[r.scheme] || '#fff'}">${r.scheme}</td><td>${fmt(r.sum_rate_mean_bps_hz, 2)}</td><td>${fmt(r.precoder_age_mean_s, 3)}</td><td>${fmt(r.missed_update_share, 3)}</td><td>${fmt(r.isl_bits_per_s / 1e3, 1)}</td></tr>`).join('') + '</table>' : 'summary.json absent';
    const d = meta.decimation;
    document.getElementById('footer').textContent =
      `Positions: SGP4 (ITRS) at ${d.frames} frames every ${fmt(d.frame_step_s, 3)} s, linear in between; plots: bins of ${d.plot_bin_ticks} tick(s), ISL rate per ${fmt(d.isl_bin_s, 3)} s; ` +
      `routes: ${d.routed_messages} of ${d.messages} messages replayed on the bus (${d.route_replay_matched} equal to messages.parquet)` +
      (d.route_every_kth_update > 1 ? `; routes kept for every lost message and for one update period in ${d.route_every_kth_update}` : '') +
      `. Start ${meta.t0_utc} (constellation epoch ${meta.epoch_utc}). The globe is a sphere of radius ${R_E} km; satellites at their geodetic position and height.`;
  }

  // ------------------------------------------------------------------ plots
  const gd = document.getElementById('plots');
  function plotFigure() {
    const r = regions[S.region];
    const traces = [];
    schemes.forEach(s => {
      traces.push({ x: r.plot_t_s, y: r.sum_rate[s], name: s, legendgroup: s, type: 'scatter', mode: 'lines',
                    line: { color: schemeColour[s], width: 1.6 }, xaxis: 'x', yaxis: 'y',
                    hovertemplate: `${s}<br>t=%{x:.2f} s<br>%{y:.2f} bit/s/Hz<extra></extra>` });
    });
    schemes.forEach(s => {
      const per = r.age[s] || {};
      Object.keys(per).forEach((sat, k) => {
        traces.push({ x: r.plot_t_s, y: per[sat], name: `${s} sat ${sat}`, legendgroup: s, showlegend: false,
                      type: 'scatter', mode: 'lines', line: { color: schemeColour[s], width: 1.1, dash: ['solid', 'dot', 'dash', 'dashdot'][k % 4] },
                      xaxis: 'x', yaxis: 'y2', connectgaps: false,
                      hovertemplate: `${s}, satellite ${sat}<br>t=%{x:.2f} s<br>precoder age %{y:.3f} s<extra></extra>` });
      });
    });
    const kb = v => v.map(x => (x === null || x <= 0) ? null : x / 1e3);
    const hx = r.isl_t_s.map(x => x + r.isl_width_s / 2);
    schemes.forEach(s => {
      traces.push({ x: hx, y: kb(r.isl_bits_per_s[s]), name: `${s} ISL`, legendgroup: s, showlegend: false, type: 'scatter',
                    mode: 'lines+markers', marker: { size: 4 }, line: { color: schemeColour[s], width: 1.2, shape: 'hvh' },
                    xaxis: 'x', yaxis: 'y3',
                    hovertemplate: `${s}<br>%{x:.1f} s: %{y:.1f} kbit/s of link bits<extra></extra>` });
    });
    traces.push({ x: hx, y: kb(r.isl_bits_per_s['SSI (shared)']), name: 'SSI (shared)', type: 'scatter', mode: 'lines',
                  line: { color: '#8896ad', width: 1, dash: 'dot' }, xaxis: 'x', yaxis: 'y3',
                  hovertemplate: 'SSI broadcast<br>%{x:.1f} s: %{y:.1f} kbit/s<extra></extra>' });
    const evs = D.events.filter(e => e.region === undefined || e.region === null || e.region === r.index);
    const byType = {};
    evs.forEach(e => { (byType[e.type] = byType[e.type] || []).push(e); });
    Object.keys(byType).forEach(ty => {
      const st = EVENT_STYLE[ty] || ['circle', '#ffffff'];
      const list = byType[ty];
      traces.push({ x: list.map(e => e.t_s), y: list.map(() => ty), name: ty, type: 'scatter', mode: 'markers', showlegend: false,
                    marker: { symbol: st[0], color: st[1], size: 10, line: { color: st[1], width: 1.5 } }, xaxis: 'x', yaxis: 'y4',
                    text: list.map(e => eventText(e)), hovertemplate: '%{text}<extra></extra>' });
    });
    const shapes = r.outages.map(o => ({ type: 'rect', xref: 'x', yref: 'y domain', x0: o[0], x1: o[1], y0: 0, y1: 1,
                                          fillcolor: 'rgba(255,77,94,0.16)', line: { width: 0 }, layer: 'below' }));
    const axis = (title, domain, extra) => Object.assign({ domain, title: { text: title, font: { size: 11 } }, gridcolor: '#22304a',
                                                            zerolinecolor: '#22304a', anchor: 'x' }, extra || {});
    const layout = {
      paper_bgcolor: '#0b1020', plot_bgcolor: '#0e1628', font: { color: '#d5deec', size: 11 },
      margin: { l: 84, r: 16, t: 26, b: 40 }, hovermode: 'closest', showlegend: true,
      legend: { orientation: 'h', x: 0, y: 1.06, font: { size: 11 } },
      xaxis: { title: { text: 'episode time (s)' }, range: [-0.01 * T_END, T_END * 1.005], gridcolor: '#22304a', anchor: 'y4', zeroline: false },
      yaxis: axis('sum rate<br>(bit/s/Hz)', [0.71, 1.0], { rangemode: 'tozero' }),
      yaxis2: axis('precoder age<br>per satellite (s)', [0.46, 0.67], { rangemode: 'tozero' }),
      yaxis3: axis('ISL link bits<br>(kbit/s, log)', [0.24, 0.42], { type: 'log', dtick: 1, exponentformat: 'none' }),
      yaxis4: axis('events', [0.0, 0.20], { type: 'category', tickmode: 'array', tickvals: Object.keys(byType),
                                             ticktext: Object.keys(byType), tickfont: { size: 10 } }),
      shapes,
      annotations: r.outages.length ? [{ xref: 'paper', yref: 'paper', x: 1, y: 1.0, xanchor: 'right', yanchor: 'bottom',
                                         text: 'shaded: an ISL fault touches the cooperating set', showarrow: false, font: { size: 10, color: '#ff8a96' } }] : [] };
    return { traces, layout };
  }
  function eventText(e) {
    const bits = [`${e.type} at ${Number(e.t_s).toFixed(3)} s`];
    if (e.region !== undefined && e.region !== null) bits.push(`region ${e.region}`);
    if (e.central !== undefined) bits.push(`central ${e.central}`);
    if (e.sat !== undefined) bits.push(`sat ${e.sat}`);
    if (e.scheme) bits.push(e.scheme);
    if (e.from) bits.push(`from [${e.from}] to [${e.to}]`);
    if (e.detail) bits.push(String(e.detail));
    return bits.join('<br>');
  }
  function drawPlots() {
    const f = plotFigure();
    return Plotly.react(gd, f.traces, f.layout, { displaylogo: false, responsive: true,
                                                  modeBarButtonsToRemove: ['toImage', 'sendDataToCloud'] });
  }
  function placeCursor() {
    const fl = gd._fullLayout, el = document.getElementById('cursor');
    if (!fl || !fl.xaxis || !fl.xaxis.l2p) { el.style.display = 'none'; return; }
    const xa = fl.xaxis, x = xa._offset + xa.l2p(S.t);
    if (x < xa._offset - 1 || x > xa._offset + xa._length + 1) { el.style.display = 'none'; return; }
    el.style.display = 'block';
    el.style.left = `${14 + x - 1}px`;
    el.style.top = `${4 + fl._size.t}px`;
    el.style.height = `${fl.height - fl._size.t - fl._size.b}px`;
  }

  // ------------------------------------------------------------------ controls
  const slider = document.getElementById('slider');
  slider.max = String(T_END);
  function setTime(t) {
    S.t = Math.max(0, Math.min(T_END, t));
    slider.value = String(S.t);
    render(); placeCursor();
  }
  slider.addEventListener('input', () => { S.playing = false; playBtn(); setTime(parseFloat(slider.value)); });
  const play = document.getElementById('play');
  function playBtn() { play.innerHTML = S.playing ? '&#10074;&#10074; pause' : '&#9654; play'; }
  let last = null;
  function tick(now) {
    if (!S.playing) { last = null; return; }
    if (last !== null) {
      let t = S.t + (now - last) / 1000 * S.speed;
      if (t >= T_END) { t = T_END; S.playing = false; playBtn(); }
      setTime(t);
    }
    last = now;
    requestAnimationFrame(tick);
  }
  play.addEventListener('click', () => {
    S.playing = !S.playing;
    if (S.playing && S.t >= T_END) S.t = 0;
    playBtn();
    if (S.playing) requestAnimationFrame(tick);
  });
  document.addEventListener('keydown', e => { if (e.code === 'Space' && e.target === document.body) { e.preventDefault(); play.click(); } });
  document.getElementById('speed').addEventListener('change', e => { S.speed = parseFloat(e.target.value); });
  document.getElementById('region').addEventListener('change', e => {
    S.region = parseInt(e.target.value, 10);
    const r = regions[S.region];
    S.lat0 = r.center_lat_deg; S.lon0 = r.center_lon_deg; S.mapLat = r.center_lat_deg; S.mapLon = r.center_lon_deg;
    drawPlots().then(placeCursor); render();
  });
  const setMode = m => {
    S.mode = m;
    document.getElementById('mode-globe').classList.toggle('on', m === 'globe');
    document.getElementById('mode-map').classList.toggle('on', m === 'map');
    render();
  };
  document.getElementById('mode-globe').addEventListener('click', () => setMode('globe'));
  document.getElementById('mode-map').addEventListener('click', () => setMode('map'));
  document.getElementById('routes-update').addEventListener('change', e => { S.routesUpdate = e.target.checked; render(); });
  document.getElementById('show-all-links').addEventListener('change', e => { S.allLinks = e.target.checked; render(); });
  let drag = null;
  canvas.addEventListener('mousedown', e => { drag = [e.clientX, e.clientY, S.lat0, S.lon0, S.mapLat, S.mapLon]; canvas.style.cursor = 'grabbing'; });
  window.addEventListener('mouseup', () => { drag = null; canvas.style.cursor = 'grab'; });
  window.addEventListener('mousemove', e => {
    if (!drag) return;
    const [w, h] = size();
    const dx = e.clientX - drag[0], dy = e.clientY - drag[1];
    if (S.mode === 'globe') {
      const degPerPx = 180 / (S.zoom * Math.min(w, h)) * 1.12;
      S.lon0 = drag[3] - dx * degPerPx; S.lat0 = Math.max(-89, Math.min(89, drag[2] + dy * degPerPx));
    } else {
      const degPerPx = 360 / (S.mapZoom * w);
      S.mapLon = drag[5] - dx * degPerPx; S.mapLat = Math.max(-90, Math.min(90, drag[4] + dy * degPerPx));
    }
    render();
  });
  canvas.addEventListener('wheel', e => {
    e.preventDefault();
    const k = Math.exp(-e.deltaY * 0.0015);
    if (S.mode === 'globe') S.zoom = Math.max(0.5, Math.min(40, S.zoom * k)); else S.mapZoom = Math.max(0.8, Math.min(80, S.mapZoom * k));
    render();
  }, { passive: false });
  const tip = document.getElementById('tooltip');
  canvas.addEventListener('mousemove', e => {
    if (drag) { tip.style.display = 'none'; return; }
    const rect = canvas.getBoundingClientRect();
    const mx = e.clientX - rect.left, my = e.clientY - rect.top;
    let best = null, bd = 64;
    for (const [i, x, y] of S.drawn) { const d = (x - mx) ** 2 + (y - my) ** 2; if (d < bd) { bd = d; best = i; } }
    if (best === null) { tip.style.display = 'none'; return; }
    tip.textContent = satText(best, S.t);
    tip.style.display = 'block';
    tip.style.left = `${Math.min(mx + 14, rect.width - 260)}px`; tip.style.top = `${my + 12}px`;
  });
  canvas.addEventListener('mouseleave', () => { tip.style.display = 'none'; });
  function satText(i, t) {
    const id = D.sats.ids[i], rl = roles(t), g = satGeo(i, t);
    const role = [];
    if (rl.central.has(id)) role.push(`central of region ${rl.central.get(id).join(', ')}`);
    if (rl.member.has(id)) role.push(`member of region ${rl.member.get(id).join(', ')}`);
    const ms = messagesAt(t);
    for (const m of ms.inFlight) {
      for (let h = M.hop_start[m]; h >= 0 && h < M.hop_start[m] + M.hop_count[m]; h++)
        if ((H.u[h] === i || H.v[h] === i) && H.t_depart_s[h] <= t && t < H.t_arrive_s[h]) { role.push(`relaying ${msgName(m)}`); break; }
    }
    const shell = D.sats.shell[i];
    const pl = D.sats.plane[i] >= 0 ? `, plane ${D.sats.plane[i]}, slot ${D.sats.slot[i]}` : '';
    return `${D.sats.names[i]}  (index ${id}, NORAD ${D.sats.norad[i]})\n${D.sats.shell_text[String(shell)] || 'shell ' + shell}${pl}\n` +
           `role: ${role.length ? role.join('; ') : 'none (in view' + (D.sats.near[i] ? '' : ', on a route') + ')'}\n` +
           (g ? `${(g[0] / DEG).toFixed(2)} deg, ${(g[1] / DEG).toFixed(2)} deg, ${g[2].toFixed(0)} km` : 'absent');
  }
  window.addEventListener('resize', () => { resize(); render(); placeCursor(); });

  // ------------------------------------------------------------------ start
  buildStatic();
  resize();
  setTime(0);
  drawPlots().then(() => {
    placeCursor();
    gd.on('plotly_click', ev => { if (ev && ev.points && ev.points.length) { S.playing = false; playBtn(); setTime(Number(ev.points[0].x)); } });
    gd.on('plotly_relayout', placeCursor);
    gd.on('plotly_afterplot', placeCursor);
    document.body.dataset.ready = '1';
  });
  // for tests and the console: the state, the time, the satellites as drawn ([index, x, y] in CSS px)
  window.satcoopView = { setTime, getTime: () => S.t, drawn: () => S.drawn.map(d => [D.sats.ids[d[0]], d[1], d[2]]),
                         counts: () => Object.assign({}, S.counts), satText: id => satText(idIndex(id), S.t), state: S };
})();
