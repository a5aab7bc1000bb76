/*
 * Marvec client-side callbacks (served from /assets, no inline script, works offline).
 *
 * marvec.tick runs every second in the browser, server or no server:
 *  - the clock, on the war room's time zone (WITA), whatever the browser's zone is;
 *  - a watchdog: when the page's data callback has not come back for a while, a red
 *    strip says so (old numbers must never look live); after 5 minutes without an
 *    answer the page reloads itself, but only once the server answers again, so an
 *    unattended wall recovers by itself;
 *  - the screen scale (window height / 1080, at least 1) used to size map markers.
 * marvec.setLang keeps <html lang> on the language the toggle chose.
 * Push: while a page with a push hook ([data-push-store]) is shown, one EventSource on
 * /_marvec/push (dashboard/push.py) writes each event into the page's push store, which
 * runs the page's data callback. While the stream is down (refused, broken, silent) the
 * script writes into the store itself every refresh period instead (polling), and tries
 * the stream again later; the page's dcc.Interval stays as the last, slow fallback.
 * A delegated click handler makes taps on [data-select] choose the mayor's kecamatan.
 * Arrow keys and Space step and pause the wall's replay.
 */
(function () {
  "use strict";
  var LOST_AFTER_MS = 10000;
  var RELOAD_AFTER_MS = 300000;
  var state = { seq: null, at: Date.now(), scale: null, reloadTried: 0 };

  function fmt(lang, date, withSeconds) {
    var opts = { timeZone: "Asia/Makassar", hour: "2-digit", minute: "2-digit", hour12: false };
    if (withSeconds) { opts.second = "2-digit"; }
    try {
      return new Intl.DateTimeFormat(lang === "en" ? "en-GB" : "id-ID", opts).format(date).replace(/\./g, ":");
    } catch (e) {
      return date.toISOString().substring(11, withSeconds ? 19 : 16) + " UTC";
    }
  }

  function tryReload(now) {
    if (now - state.reloadTried < 60000) { return; }
    state.reloadTried = now;
    fetch(window.location.href, { cache: "no-store", credentials: "same-origin" })
      .then(function (r) { if (r.ok) { window.location.reload(); } })
      .catch(function () { /* still down: try again in a minute */ });
  }

  // The wall's chime (MARVEC_WALL_SOUND): once per new critical alert, named by the strip's
  // data-critical-new; silent where the browser allows no audio without a tap.
  var chimed = {};
  var audio = null;
  function chime() {
    var box = document.querySelector(".wall-ops[data-sound=on]");
    var strip = box && box.querySelector(".alert-strip");
    var fps = strip ? (strip.getAttribute("data-critical-new") || "").split(" ") : [];
    var fresh = fps.filter(function (fp) { return fp && !chimed[fp]; });
    if (!fresh.length) { return; }
    fresh.forEach(function (fp) { chimed[fp] = true; });
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      [0, 0.35].forEach(function (at) {
        var osc = audio.createOscillator(), gain = audio.createGain();
        osc.frequency.value = 880; gain.gain.value = 0.2;
        osc.connect(gain); gain.connect(audio.destination);
        osc.start(audio.currentTime + at); osc.stop(audio.currentTime + at + 0.25);
      });
    } catch (e) { /* no audio here: the strip still pulses */ }
  }

  function tick(n, heartbeat, lang) {
    var now = Date.now();
    chime();
    if (heartbeat && heartbeat.seq !== state.seq) {
      state.seq = heartbeat.seq;
      state.at = now;
    }
    var refresh = (heartbeat && heartbeat.refresh) || 1000;
    var silent = now - state.at;
    var lost = silent > Math.max(3 * refresh, LOST_AFTER_MS);
    if (silent > Math.max(RELOAD_AFTER_MS, 10 * refresh)) { tryReload(now); }
    // Only ever grow: a tablet is read from arm's length, a 4K wall from metres away.
    var scale = Math.round(Math.min(3, Math.max(1, window.innerHeight / 1080)) * 100) / 100;
    var scaleOut = window.dash_clientside.no_update;
    if (scale !== state.scale) { state.scale = scale; scaleOut = scale; }
    return [
      fmt(lang, new Date(now), true) + " WITA",
      lost ? "watchdog" : "watchdog hidden",
      fmt(lang, new Date(state.at), false),
      scaleOut
    ];
  }

  // <html lang> follows the language toggle (the page is served with the default one).
  function setLang(lang) {
    var code = lang === "en" ? "en" : "id";
    document.documentElement.lang = code;
    return code;
  }

  // A tap on anything with data-select (a hotspot row: its kecamatan; the sheet's close
  // button, the dimmed page around it: none) sets the selection store named by the page's
  // data-select-store. Dash replaces an output's whole DOM subtree each time it re-sends
  // it, so on a screen updated every second a row can be swapped between finger-down and
  // finger-up, and the browser's click would land on no row at all. The choice is taken
  // at pointerdown and made at pointerup (unless the finger moved: a scroll).
  var pressed = null;

  function selectable(ev) {
    var el = ev.target && ev.target.closest ? ev.target.closest("[data-select]") : null;
    var page = el ? el.closest("[data-select-store]") : null;
    return page ? { store: page.getAttribute("data-select-store"), value: el.getAttribute("data-select") || null } : null;
  }

  function choose(target) {
    var dc = window.dash_clientside;
    if (target && dc && dc.set_props) { dc.set_props(target.store, { data: target.value }); }
  }

  document.addEventListener("pointerdown", function (ev) {
    var target = selectable(ev);
    pressed = target ? { target: target, x: ev.clientX, y: ev.clientY } : null;
  });
  document.addEventListener("pointercancel", function () { pressed = null; });
  document.addEventListener("pointerup", function (ev) {
    var p = pressed;
    pressed = null;
    if (p && Math.abs(ev.clientX - p.x) < 12 && Math.abs(ev.clientY - p.y) < 12) { choose(p.target); }
  });
  document.addEventListener("click", function (ev) {
    if (ev.detail === 0) { choose(selectable(ev)); }  // Enter or Space on a focused row
  });


  // The wall's replay (/wall/replay) from a keyboard: -> or PageDown the next hour, <- or
  // PageUp the one before, Space pauses and resumes. The page names its offset store and
  // step interval ([data-replay-offset], [data-replay-step]); a new page starts again.
  var replay = { root: null, offset: 0, paused: false };
  document.addEventListener("keydown", function (ev) {
    var root = document.querySelector("[data-replay-offset]");
    var dc = window.dash_clientside;
    if (!root || !dc || !dc.set_props || ev.altKey || ev.ctrlKey || ev.metaKey) { return; }
    if (replay.root !== root) { replay = { root: root, offset: 0, paused: false }; }
    var k = ev.key;
    var step = k === "ArrowRight" || k === "PageDown" ? 1 : k === "ArrowLeft" || k === "PageUp" ? -1 : 0;
    if (step) {
      replay.offset += step;
      dc.set_props(root.getAttribute("data-replay-offset"), { data: replay.offset });
    } else if (k === " " || k === "Spacebar") {
      replay.paused = !replay.paused;
      dc.set_props(root.getAttribute("data-replay-step"), { disabled: replay.paused });
      root.classList.toggle("paused", replay.paused);
    } else {
      return;
    }
    ev.preventDefault();
  });

  // -- push stream, with polling while it is down --------------------------------------
  var STREAM_SILENT_MS = 3500;  // the server sends at least one event per refresh period
  var push = { es: null, url: null, live: false, lastEvent: 0, lastPoll: 0, retryAt: 0, failures: 0 };

  function hook() {
    var el = document.querySelector("[data-push-store]");
    if (!el) { return null; }
    return { store: el.getAttribute("data-push-store"), url: el.getAttribute("data-push-url"),
             refresh: parseInt(el.getAttribute("data-refresh"), 10) || 1000 };
  }

  function fire(value) {
    var target = hook();
    var dc = window.dash_clientside;
    if (target && dc && dc.set_props) { dc.set_props(target.store, { data: value }); }
  }

  function dropStream(now, delay) {
    if (push.es) { push.es.close(); }
    push.es = null;
    push.live = false;
    push.retryAt = now + delay;
  }

  function openStream(url, now) {
    var es = new EventSource(url);
    push.es = es;
    push.url = url;
    push.lastEvent = now;
    es.onmessage = function (ev) {
      push.live = true;
      push.failures = 0;
      push.lastEvent = Date.now();
      fire("s" + ev.data);
    };
    es.addEventListener("poll", function (ev) {  // refused (worker busy, no push here): poll, retry later
      push.failures += 1;
      dropStream(Date.now(), (parseInt(ev.data, 10) || 30000) * (0.75 + Math.random() / 2));
    });
    es.onerror = function () {
      push.live = false;
      if (es.readyState === 2) {  // CLOSED: an error status (e.g. logged out) - poll, retry later
        push.failures += 1;
        dropStream(Date.now(), Math.min(60000, 5000 * push.failures) + Math.random() * 10000);
      }  // else the browser reconnects by itself (the server ends each stream after a minute)
    };
  }

  function pushLoop() {
    var now = Date.now();
    var target = hook();
    if (!target || !window.EventSource) {
      if (push.es) { dropStream(now, 0); }
      if (target && now - push.lastPoll >= target.refresh) { push.lastPoll = now; fire("p" + now); }
      return;
    }
    if (push.es && push.live && now - push.lastEvent > STREAM_SILENT_MS) { dropStream(now, 5000); }
    if (!push.es && now >= push.retryAt) { openStream(target.url, now); }
    if (!push.live && now - push.lastPoll >= target.refresh) { push.lastPoll = now; fire("p" + now); }
  }

  window.setInterval(pushLoop, 100);

  window.dash_clientside = Object.assign({}, window.dash_clientside, { marvec: { tick: tick, setLang: setLang } });
})();
