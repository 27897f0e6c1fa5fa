/*! eventflow loader: defines window.voiceflow.chat, queues every call (and every click) until the widget is ready,
 * and loads the wasm module the config needs from pkg/ next to this file. It holds no conversation or rendering
 * logic: every call is handed, in order, to the Chat object of the wasm module (src/web/api.rs), which does the
 * work. */
// Pages do not download this file as it is: `./build.sh` puts wasm-bindgen's JS glue in the same script, ahead of
// it, and minifies both into eventflow.min.js (tools/bundle.mjs), one classic script that works where seed 000
// inserts the Voiceflow bundle. The bundle passes in `glue`: the wasm module's `Chat` class and `init(response)`,
// which instantiates a module from the fetch of its `.wasm`. One crate builds two modules with the same glue
// (build.sh): pkg/local.wasm (the engine runs the agent in the page) and pkg/remote.wasm (turns go to a Dialog API
// runtime; no engine). The first load() picks one: `agent` in the config means local mode.
(function (glue) {
  'use strict';

  // The URL of this script (it works from any path or CDN): pkg/ sits next to it.
  var script = document.currentScript;
  var base = new URL('.', (script && script.src) || location.href).href;

  // `window.voiceflow ??= {}; window.voiceflow.chat ??= ...`: never clobber what the page already has.
  var vf = window.voiceflow;
  if (vf === undefined || vf === null) vf = window.voiceflow = {};
  if (vf.chat !== undefined && vf.chat !== null) return;

  var chat = null;      // the wasm Chat, once the module is ready
  var mode = null;      // 'local' or 'remote', once load() was called
  var failure = null;   // why the module could not load
  var queue = [];       // [method, args, resolve, reject] made before the module was ready
  var clicks = 0;       // clicks kept in the queue (at most 100)

  // A click before the module is ready is kept, in order with the calls: the module decides what it means
  // (a data-vf-event element, a listeners target) once loaded.
  function early(e) {
    if (clicks < 100 && e.target && e.target.nodeType === 1) {
      clicks++;
      queue.push(['click', [e.target]]);
    }
  }
  document.addEventListener('click', early, true);

  function loadError(cause) {
    var e = new Error('eventflow: the chat module could not be loaded from ' + base + 'pkg/: ' +
      (cause && cause.message ? cause.message : String(cause)));
    e.name = 'EventflowError';
    e.code = 'load_failed';
    return e;
  }

  // Call the wasm Chat. After a Rust panic the module is unusable: report it instead of throwing into page code
  // (the widget itself already shows "Chat unavailable").
  function invoke(method, args) {
    try {
      return chat[method].apply(chat, args);
    } catch (e) {
      console.error('eventflow: chat.' + method + '() failed', e);
      return PROMISED[method] ? Promise.reject(e) : undefined;
    }
  }

  var PROMISED = { load: true, interact: true };

  function call(method, args) {
    if (method === 'load') {
      var wanted = args[0] && args[0].agent != null ? 'local' : 'remote';
      if (mode && mode !== wanted) {
        var e = new Error('agent: this page runs the chat in ' + mode + ' mode; ' + wanted +
          ' mode needs a page of its own (or a reload)');
        e.name = 'EventflowError';
        e.code = 'invalid_config';
        return Promise.reject(e);
      }
      if (!mode) start(wanted);
    }
    if (chat) return invoke(method, args);
    if (failure) {
      console.error(failure);
      return PROMISED[method] ? Promise.reject(failure) : undefined;
    }
    if (PROMISED[method]) {
      return new Promise(function (resolve, reject) { queue.push([method, args, resolve, reject]); });
    }
    queue.push([method, args]);
    if (method === 'on') {
      var type = args[0], handler = args[1];
      return function () { api.off(type, handler); };
    }
    return undefined;
  }

  // Fetch and instantiate the module of this mode.
  function start(name) {
    mode = name;
    glue.init(fetch(base + 'pkg/' + name + '.wasm')).then(ready, fail);
  }

  function ready() {
    document.removeEventListener('click', early, true);
    chat = new glue.Chat();
    var pending = queue;
    queue = [];
    pending.forEach(function (q) {
      var result = invoke(q[0], q[1]);
      if (q[2]) Promise.resolve(result).then(q[2], q[3]);
    });
  }

  function fail(cause) {
    document.removeEventListener('click', early, true);
    failure = loadError(cause);
    console.error(failure);
    var pending = queue;
    queue = [];
    pending.forEach(function (q) { if (q[3]) q[3](failure); });
  }

  function method(name) {
    return function () { return call(name, Array.prototype.slice.call(arguments)); };
  }

  var api = {
    load: function (config) {
      return call('load', [config]).then(function (value) {
        // A mark for measuring the time from navigation to ready (docs/PERFORMANCE.md).
        if (window.performance && performance.mark) performance.mark('eventflow:loaded');
        return value;
      });
    },
    open: method('open'),
    close: method('close'),
    hide: method('hide'),
    show: method('show'),
    interact: method('interact'),
    destroy: method('destroy'),
    on: method('on'),
    off: method('off'),
    proactive: {
      push: function () { return call('proactivePush', [Array.prototype.slice.call(arguments)]); },
      clear: method('proactiveClear'),
    },
  };
  vf.chat = api;
})(glue);
