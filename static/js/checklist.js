// A checklist on a phone (a pickup day, a stop of the van: the page says which through its
// data attributes): one tap ticks a household, taps are queued on the phone (localStorage,
// one queue per list) with their own ids and sent to the server when the network allows; the
// server's list then replaces the local view. Sending a tap twice changes nothing server-side.
(function () {
  "use strict";

  var root = document.getElementById("checklist");
  if (!root) return;
  var data = root.dataset;
  // A day's queue keeps its first name ("checklist-queue-<day id>"): taps waiting on a phone
  // from before stops had lists are still sent.
  var queueKey = "checklist-queue-" + data.listId;
  // The last list the server sent, and how new the one shown is (µs, the server's clock): a
  // page reloaded offline comes from the service worker's copy, older than what was synced
  // since; the newest copy the phone holds wins, with the queued taps laid over it.
  var lastKey = "checklist-last-" + data.listId;
  var shownAsOf = Number(data.asOf || 0);
  var csrf = data.csrf;
  var closed = data.closed === "true";
  var syncing = false;
  var statusBox = document.getElementById("sync-status");
  var lastProblem = "";
  var numbers = new Intl.NumberFormat(document.documentElement.lang || "fr", {
    maximumFractionDigits: 3,
  });

  // --- The phone's queue of taps not yet acknowledged by the server ---------------------------

  function readQueue() {
    try {
      return JSON.parse(localStorage.getItem(queueKey) || "[]");
    } catch (error) {
      return [];
    }
  }

  function writeQueue(queue) {
    localStorage.setItem(queueKey, JSON.stringify(queue));
  }

  var newId = window.offlineIds.newId;
  var deviceId = window.offlineIds.deviceId;

  // --- Showing states -------------------------------------------------------------------------

  function lines() {
    return Array.prototype.slice.call(root.querySelectorAll(".checklist-line"));
  }

  function items(line) {
    return Array.prototype.slice.call(line.querySelectorAll("[data-target]"));
  }

  function lineState(line) {
    var states = {};
    items(line).forEach(function (item) { states[item.dataset.state] = true; });
    var keys = Object.keys(states);
    if (keys.length === 0 || (keys.length === 1 && keys[0] === "pending")) return "to_hand_over";
    if (keys.length === 1) return keys[0];
    return "partly";
  }

  function paintLine(line) {
    var state = lineState(line);
    line.className = line.className.replace(/\bstate-\S+/g, "").trim() + " state-" + state;
    line.querySelector("[data-line-state]").textContent = data["label" + state.charAt(0).toUpperCase() + state.slice(1)] || state;
  }

  function paintNote(line, note) {
    var box = line.querySelector("[data-line-note]");
    box.textContent = note;
    box.hidden = !note;
  }

  function recount() {
    var collected = {};
    var done = 0;
    lines().forEach(function (line) {
      var pending = false;
      items(line).forEach(function (item) {
        if (item.dataset.state === "pending") pending = true;
        if (item.dataset.state !== "collected") return;
        var key = item.dataset.countKey;
        collected[key] = (collected[key] || 0) + Number(item.dataset.qty);
      });
      if (!pending) done += 1;
    });
    root.querySelectorAll("[data-count-row]").forEach(function (row) {
      var amount = collected[row.dataset.countRow] || 0;
      var unit = row.dataset.unit;
      var text = unit ? (amount ? numbers.format(amount / 1000) + " " + unit : "0") : String(amount);
      row.querySelector("[data-collected]").textContent = text;
    });
    var doneBox = root.querySelector("[data-households-done]");
    if (doneBox) doneBox.textContent = String(done);
  }

  // A tap as the phone sees it right away (the server will say the same after sync).
  function applyLocally(tap) {
    var item = root.querySelector('[data-target="' + tap.target_kind + ":" + tap.target_id + '"]');
    if (!item) return;
    var line = item.closest(".checklist-line");
    if (tap.action === "note") {
      paintNote(line, tap.note);
      return;
    }
    items(line).forEach(function (other) {
      if (other.dataset.target === item.dataset.target) other.dataset.state = tap.action;
    });
    paintLine(line);
  }

  function showStatus() {
    var waiting = readQueue().length;
    var text = navigator.onLine ? data.labelOnline : data.labelOffline;
    if (waiting) {
      var pending = window.offlineIds.countText(waiting, data.labelPendingOne, data.labelPendingOther);
      text = (navigator.onLine ? "" : text + " ") + pending;
    }
    if (lastProblem) text += " " + lastProblem;
    statusBox.textContent = text;
  }

  // --- The lines, built from the page's compact data (pickup/checklist.py rows_json) ---------

  function element(tag, attributes, text) {
    var node = document.createElement(tag);
    Object.keys(attributes).forEach(function (name) { node.setAttribute(name, attributes[name]); });
    if (text) node.textContent = text;
    return node;
  }

  function withMeta(node, meta) {
    if (meta) {
      node.appendChild(document.createTextNode(" "));
      node.appendChild(element("span", { class: "meta" }, meta));
    }
    return node;
  }

  function actionButton(kind, action, text) {
    return element("button", { type: "button", class: kind, "data-action": action }, text);
  }

  // row: [key, name, meta, note, items]; item: [target, state, label index, quantity];
  // label: [text, meta, count key].
  function buildLine(row, labels) {
    var key = row[0];
    var note = row[3];
    var line = element("li", {
      class: "checklist-line",
      id: "line-" + key,
      "data-key": key,
      "data-search": fold(row[1] + " " + row[2]),
    });
    var head = element("div", { class: "line-head" });
    head.appendChild(withMeta(element("h2", { class: "line-name" }, row[1]), row[2]));
    head.appendChild(element("span", { class: "badge line-state", "data-line-state": "" }));
    line.appendChild(head);
    var list = element("ul", { class: "line-items" });
    row[4].forEach(function (item) {
      var label = labels[item[2]];
      list.appendChild(withMeta(element("li", {
        "data-target": item[0],
        "data-state": item[1],
        "data-count-key": label[2],
        "data-qty": String(item[3]),
      }, label[0]), label[1]));
    });
    line.appendChild(list);
    var noteBox = element("p", { class: "line-note", "data-line-note": "" }, note);
    noteBox.hidden = !note;
    line.appendChild(noteBox);
    if (!closed) {
      var actions = element("div", { class: "line-actions" });
      actions.appendChild(actionButton("primary", "collected", data.labelCollected));
      actions.appendChild(actionButton("secondary", "not_collected", data.labelNot_collected));
      actions.appendChild(actionButton("link-button", "pending", data.textUndo));
      line.appendChild(actions);
      var form = element("details", { class: "line-note-form" });
      form.appendChild(element("summary", {}, data.textAddNote));
      form.appendChild(element("label", { for: "note-" + key }, data.textNoteLabel));
      var area = element("textarea", { id: "note-" + key, maxlength: "300" });
      area.value = note;
      form.appendChild(area);
      form.appendChild(actionButton("secondary", "note", data.textSaveNote));
      line.appendChild(form);
    }
    paintLine(line);
    return line;
  }

  function buildLines() {
    var source = document.getElementById("checklist-rows");
    var box = document.getElementById("checklist-lines");
    if (!source || !box) return;
    var rows = JSON.parse(source.textContent);
    var fragment = document.createDocumentFragment();
    rows.lines.forEach(function (row) { fragment.appendChild(buildLine(row, rows.labels)); });
    box.appendChild(fragment);
  }

  // --- Taps -----------------------------------------------------------------------------------

  function targetsOf(line) {
    var seen = {};
    return items(line)
      .map(function (item) { return item.dataset.target; })
      .filter(function (target) {
        if (seen[target]) return false;
        seen[target] = true;
        return true;
      });
  }

  function tap(line, action, note) {
    var now = new Date().toISOString();
    var targets = targetsOf(line);
    if (action === "note") targets = targets.slice(0, 1);
    var queue = readQueue();
    targets.forEach(function (target) {
      var parts = target.split(":");
      var entry = {
        tap_id: newId(),
        target_kind: parts[0],
        target_id: Number(parts[1]),
        action: action,
        note: note || "",
        tapped_at: now,
        device_id: deviceId(),
      };
      queue.push(entry);
      applyLocally(entry);
    });
    writeQueue(queue);
    recount();
    showStatus();
    sync();
  }

  root.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-action]");
    if (!button || closed) return;
    var line = button.closest(".checklist-line");
    if (!line) return;
    var action = button.dataset.action;
    if (action === "note") {
      tap(line, "note", line.querySelector("textarea").value.trim());
      button.closest("details").open = false;
    } else {
      tap(line, action);
    }
  });

  // --- Talking to the server ------------------------------------------------------------------

  function sync(retried) {
    if (syncing || !navigator.onLine) {
      showStatus();
      return Promise.resolve();
    }
    var queue = readQueue();
    if (!queue.length) return refresh();
    syncing = true;
    var batch = queue.slice(0, 200);
    return fetch(data.tapsUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, Accept: "application/json" },
      body: JSON.stringify({ taps: batch }),
    })
      .then(function (response) {
        return response.json().then(
          function (body) { return { status: response.status, body: body }; },
          function () { return { status: response.status, body: {} }; }
        );
      })
      .then(function (answer) {
        syncing = false;
        if (answer.status === 400 && !retried) {
          // An expired CSRF token (a page kept offline for long): a fresh one, then again.
          return refresh().then(function () { return sync(true); });
        }
        if (answer.status === 401 || answer.status === 403 || answer.status === 400) {
          lastProblem = data.labelDenied;
          showStatus();
          return;
        }
        if (answer.status >= 500) return;
        // 200, 409 (closed day) and 422 (malformed): the server has answered for these taps.
        var sent = {};
        batch.forEach(function (entry) { sent[entry.tap_id] = true; });
        writeQueue(readQueue().filter(function (entry) { return !sent[entry.tap_id]; }));
        var results = answer.body.results || (answer.body.errors && answer.body.errors.results) || [];
        var refused = results.filter(function (result) { return result.status === "refused"; });
        lastProblem = refused.length ? data.labelRefused + " " + refused[0].message : answer.body.message || "";
        return sync();
      })
      .catch(function () {
        // No answer (a network that says it is up but is not): the newest copy at hand.
        syncing = false;
        return refresh();
      });
  }

  // The server's list replaces the local view; queued taps are laid over it. Offline, the
  // service worker answers its last copy; the phone's own last copy may be newer still.
  function refresh() {
    return fetch(data.listUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      })
      .catch(function () { return null; })
      .then(function (list) {
        var kept = window.offlineIds.remembered(lastKey);
        if (list && (!kept || asOf(list) >= asOf(kept))) {
          window.offlineIds.remember(lastKey, list);
        } else {
          list = kept;
        }
        if (list && asOf(list) >= shownAsOf) {
          if (list.csrf_token) csrf = list.csrf_token;
          showServerList(list);
        }
      })
      .then(showStatus);
  }

  function asOf(list) {
    return Number(list.as_of_us || 0);
  }

  function showServerList(list) {
    var byKey = {};
    list.lines.forEach(function (line) { byKey[line.key] = line; });
    var known = lines();
    var sameLines =
      known.length === list.lines.length &&
      known.every(function (line) { return byKey[line.dataset.key]; });
    if (!sameLines) {
      lastProblem = data.labelChanged;
      return;
    }
    known.forEach(function (element) {
      var line = byKey[element.dataset.key];
      var states = {};
      line.baskets.forEach(function (b) { states["delivery:" + b.delivery_id] = b.state; });
      line.extras.forEach(function (e) { states[e.target.kind + ":" + e.target.id] = e.state; });
      items(element).forEach(function (item) {
        if (states[item.dataset.target]) item.dataset.state = states[item.dataset.target];
      });
      paintLine(element);
      paintNote(element, line.note);
    });
    readQueue().forEach(applyLocally);
    recount();
    data.version = list.version;
    shownAsOf = asOf(list);
  }

  // --- Search ---------------------------------------------------------------------------------

  function fold(text) {
    return text.toLowerCase().normalize("NFKD").replace(/[\u0300-\u036f]/g, "");
  }

  var search = document.getElementById("checklist-search");
  search.addEventListener("input", function () {
    var wanted = fold(search.value.trim());
    lines().forEach(function (line) {
      line.hidden = wanted !== "" && line.dataset.search.indexOf(wanted) === -1;
    });
  });

  // --- Offline: service worker, manifest, cached copies ---------------------------------------

  // Once the service worker controls the page and the copies are kept,
  // <html data-offline-ready="true"> (the browser tests wait for it).
  function prepareOffline() {
    if (!("serviceWorker" in navigator) || !window.caches) return;
    navigator.serviceWorker.register(data.swUrl).catch(function () {});
    var urls = [location.pathname, data.listUrl, data.offlineUrl].concat(data.assets.split(" "));
    caches.open("checklist-v4").then(function (cache) {
      return cache.addAll(urls);
    }).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function () {
      if (navigator.serviceWorker.controller) return;
      return new Promise(function (resolve) {
        navigator.serviceWorker.addEventListener("controllerchange", resolve);
      });
    }).then(function () {
      document.documentElement.dataset.offlineReady = "true";
    }).catch(function () {});
  }

  window.addEventListener("online", function () { sync(); });
  window.addEventListener("offline", showStatus);
  setInterval(function () { sync(); }, 15000);

  buildLines();
  readQueue().forEach(applyLocally);
  recount();
  showStatus();
  prepareOffline();
  // Online: send the queue, then the server's list. Offline: the newest copy the phone holds.
  if (navigator.onLine) sync();
  else refresh();
})();
