// Walk-in sales at a stop of the van, on the staff's phone: each sale gets its own id
// (crypto.randomUUID), is queued on the phone (localStorage, one queue per stop, apart from the
// checklist's taps) and shown at once; the queue goes to the server when the network allows
// (on load, when back online, every 15 s). Sending a sale twice records it once. The server's
// answer (its list of the stop's sales) then replaces the local view.
(function () {
  "use strict";

  var root = document.getElementById("walk-in-sales");
  if (!root) return;
  var data = root.dataset;
  var queueKey = "walk-in-queue-" + data.runStopId;
  // The last panel the server sent, and how new the one shown is (µs, the server's clock): a
  // page reloaded offline is the service worker's older copy; the newest copy wins.
  var lastKey = "walk-in-last-" + data.runStopId;
  var shownAsOf = Number(data.asOf || 0);
  var closed = data.closed === "true";
  var form = document.getElementById("walk-in-form");
  var list = document.getElementById("walk-in-list");
  var statusBox = document.getElementById("walk-in-status");
  var takingsBox = document.getElementById("walk-in-takings");
  var lang = document.documentElement.lang || "fr";
  var numbers = new Intl.NumberFormat(lang, { maximumFractionDigits: 3 });
  var euros = new Intl.NumberFormat(lang, { style: "currency", currency: "EUR" });
  var serverSales = null; // the last list the server sent (null: the page's own rows)
  var takingsCents = Number(data.takingsCents || 0);
  var refused = []; // {sale, message}: shown until the page is left
  var syncing = false;
  var lastProblem = "";

  // --- The queue ------------------------------------------------------------------------------

  function readQueue() {
    try {
      var queue = JSON.parse(localStorage.getItem(queueKey) || "{}");
      return { sales: queue.sales || [], voids: queue.voids || [] };
    } catch (error) {
      return { sales: [], voids: [] };
    }
  }

  function writeQueue(queue) {
    localStorage.setItem(queueKey, JSON.stringify(queue));
  }

  var newId = window.offlineIds.newId;
  var deviceId = window.offlineIds.deviceId;

  function csrfToken() {
    var checklist = document.getElementById("checklist");
    if (checklist && checklist.dataset.csrf) return checklist.dataset.csrf;
    var input = root.querySelector("input[name=csrf_token]");
    return input ? input.value : "";
  }

  function setCsrfToken(token) {
    if (!token) return;
    var checklist = document.getElementById("checklist");
    if (checklist) checklist.dataset.csrf = token;
    root.querySelectorAll("input[name=csrf_token]").forEach(function (input) { input.value = token; });
  }

  // --- Quantities and prices, computed as the server does -------------------------------------

  // "1,5" → 1500; null when it is not a number with at most three decimals.
  function parseMilli(text) {
    var cleaned = (text || "").replace(/[\s\u202f]/g, "").replace(",", ".");
    var match = /^(\d{1,6})(?:\.(\d{1,3}))?$/.exec(cleaned);
    if (!match) return null;
    return Number(match[1]) * 1000 + Number((match[2] || "").padEnd(3, "0"));
  }

  function quantityText(milli, option) {
    var unit = milli > 1000 ? option.dataset.unitMany : option.dataset.unitOne;
    return numbers.format(milli / 1000) + " " + unit;
  }

  function unitPrice(shelfCents, tierPercent) {
    return Math.floor((shelfCents * tierPercent * 2 + 100) / 200);
  }

  function lineTotal(unitCents, milli) {
    return Math.floor((unitCents * milli * 2 + 1000) / 2000);
  }

  function money(cents) {
    return euros.format(cents / 100);
  }

  // --- The form -------------------------------------------------------------------------------

  function productSelect() { return document.getElementById("walk-in-product"); }
  function householdSelect() { return document.getElementById("walk-in-household"); }
  function quantityInput() { return document.getElementById("walk-in-quantity"); }

  function selected(select) {
    return select.options[select.selectedIndex];
  }

  function optionFor(itemId) {
    return productSelect().querySelector('option[value="' + itemId + '"]');
  }

  // What is free on the phone: the server's figure minus the sales still in the queue.
  function freeMilli(option) {
    var free = Number(option.dataset.free);
    readQueue().sales.forEach(function (sale) {
      if (String(sale.stock_item_id) === option.value) free -= sale.quantity_milli;
    });
    return free;
  }

  // The sale the form describes, or a message saying what is wrong with it.
  function saleFromForm() {
    var option = selected(productSelect());
    if (!option || !option.value) return { problem: data.labelChoose };
    var milli = parseMilli(quantityInput().value);
    if (!milli) return { problem: data.labelBadQuantity };
    if (option.dataset.whole === "true" && milli % 1000) return { problem: data.labelWhole };
    var free = freeMilli(option);
    if (milli > free) {
      return {
        problem: "« " + option.dataset.name + " » : " + data.labelTooMuch + " " +
          quantityText(Math.max(free, 0), option) + " " + data.labelFreeStock,
      };
    }
    var household = selected(householdSelect());
    var tier = Number(household.dataset.tier);
    var total = lineTotal(unitPrice(Number(option.dataset.price), tier), milli);
    return { option: option, household: household, milli: milli, tier: tier, total: total };
  }

  function showPreview() {
    var preview = document.getElementById("walk-in-preview");
    var sale = saleFromForm();
    if (sale.problem) {
      preview.hidden = true;
      return;
    }
    preview.textContent = data.labelPrice + " " + money(sale.total) +
      (sale.tier < 100 ? " (" + data.labelTier + " " + sale.tier + " %)" : "");
    preview.hidden = false;
  }

  function showError(message) {
    var box = document.getElementById("walk-in-error");
    box.textContent = message || "";
    box.hidden = !message;
  }

  function record(event) {
    event.preventDefault();
    var sale = saleFromForm();
    if (sale.problem) {
      showError(sale.problem);
      return;
    }
    showError("");
    var queue = readQueue();
    queue.sales.push({
      sale_id: newId(),
      stock_item_id: Number(sale.option.value),
      quantity_milli: sale.milli,
      beneficiary_id: sale.household.value ? Number(sale.household.value) : null,
      sold_at: new Date().toISOString(),
      device_id: deviceId(),
      // For the phone's own display only; the server prices the sale itself.
      local: {
        product: sale.option.dataset.name,
        quantity: quantityText(sale.milli, sale.option),
        household: sale.household.value ? sale.household.dataset.name : "",
        tier: sale.tier,
        total: sale.total,
      },
    });
    writeQueue(queue);
    form.reset();
    showPreview();
    render();
    sync();
    productSelect().focus();
  }

  function voidSale(saleId) {
    var queue = readQueue();
    if (queue.voids.indexOf(saleId) === -1) queue.voids.push(saleId);
    writeQueue(queue);
    render();
    sync();
  }

  // --- Showing the stop's sales ---------------------------------------------------------------

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function saleRow(sale, pendingVoid) {
    var row = element("li", "walk-in-sale" + (sale.voided ? " is-voided" : ""));
    row.dataset.saleId = sale.sale_id;
    row.appendChild(element("span", "walk-in-what", sale.quantity_text + " · " + sale.product_name));
    var who = sale.household_name
      ? sale.household_name + " (" + data.labelTier + " " + sale.tier_percent + " %)"
      : data.labelNoCard;
    row.appendChild(element("span", "meta", who));
    row.appendChild(element("strong", "walk-in-amount", sale.total_text));
    if (sale.waiting) row.appendChild(element("span", "badge badge-warning", data.labelWaiting));
    if (sale.refused) row.appendChild(element("span", "badge badge-danger", sale.refused));
    if (sale.voided) {
      row.appendChild(element("span", "badge badge-muted", data.labelVoided));
    } else if (pendingVoid) {
      row.appendChild(element("span", "badge badge-warning", data.labelVoidWaiting));
    } else if (!closed && !sale.refused) {
      var button = element("button", "link-button", data.labelVoid);
      button.type = "button";
      button.dataset.voidSale = sale.sale_id;
      row.appendChild(button);
    }
    return row;
  }

  function localRow(entry) {
    return {
      sale_id: entry.sale_id,
      product_name: entry.local.product,
      quantity_text: entry.local.quantity,
      household_name: entry.local.household,
      tier_percent: entry.local.tier,
      total_cents: entry.local.total,
      total_text: money(entry.local.total),
      voided: false,
    };
  }

  // The page's rows until the server has answered once; then the server's list, with the
  // phone's queued sales on top.
  function render() {
    var queue = readQueue();
    var voids = {};
    queue.voids.forEach(function (saleId) { voids[saleId] = true; });
    var waiting = queue.sales.map(function (entry) {
      var row = localRow(entry);
      row.waiting = true;
      return row;
    });
    var shownRefused = refused.map(function (entry) {
      var row = localRow(entry.sale);
      row.refused = data.labelRefused + " " + entry.message;
      return row;
    });
    if (serverSales === null) {
      list.querySelectorAll("[data-sale-id]").forEach(function (row) {
        if (voids[row.dataset.saleId]) markVoidWaiting(row);
      });
      var extra = waiting.concat(shownRefused);
      if (extra.length) {
        list.querySelectorAll("li:not([data-sale-id])").forEach(function (row) { row.remove(); });
      }
      var first = list.firstChild;
      extra.forEach(function (sale) {
        if (!list.querySelector('[data-sale-id="' + sale.sale_id + '"]')) {
          list.insertBefore(saleRow(sale, voids[sale.sale_id]), first);
        }
      });
    } else {
      list.textContent = "";
      waiting.concat(shownRefused, serverSales).forEach(function (sale) {
        list.appendChild(saleRow(sale, voids[sale.sale_id]));
      });
      if (!list.firstChild) list.appendChild(element("li", "meta", data.labelEmpty));
    }
    if (takingsBox) {
      var pendingCents = queue.sales.reduce(function (sum, entry) {
        return voids[entry.sale_id] ? sum : sum + entry.local.total;
      }, 0);
      takingsBox.textContent = money(takingsCents + pendingCents);
    }
    showStatus();
  }

  function markVoidWaiting(row) {
    var form = row.querySelector("form");
    if (form) form.remove();
    if (!row.querySelector(".badge-warning")) {
      row.appendChild(element("span", "badge badge-warning", data.labelVoidWaiting));
    }
  }

  function asOf(panel) {
    return Number(panel.as_of_us || 0);
  }

  // A panel from the server (or the phone's last copy of one), shown if it is the newest.
  function showServerPanel(panel) {
    var kept = window.offlineIds.remembered(lastKey);
    if (!kept || asOf(panel) >= asOf(kept)) window.offlineIds.remember(lastKey, panel);
    else panel = kept;
    if (asOf(panel) < shownAsOf) return render();
    shownAsOf = asOf(panel);
    setCsrfToken(panel.csrf_token);
    serverSales = panel.sales;
    takingsCents = panel.takings_cents;
    (panel.items || []).forEach(function (item) {
      var option = form && optionFor(item.id);
      if (!option) return;
      option.dataset.free = String(item.free_milli);
      option.textContent = item.name + " — " + item.free_text + " · " +
        money(item.shelf_price_cents) + "/" + option.dataset.unitOne;
    });
    if (panel.closed) closed = true;
    render();
  }

  function showStatus() {
    var queue = readQueue();
    var waiting = queue.sales.length + queue.voids.length;
    var text = navigator.onLine ? data.labelOnline : data.labelOffline;
    if (waiting) {
      var pending = window.offlineIds.countText(waiting, data.labelPendingOne, data.labelPendingOther);
      text = (navigator.onLine ? "" : text + " ") + pending;
    }
    if (lastProblem) text += " " + lastProblem;
    statusBox.textContent = text;
  }

  // --- Talking to the server ------------------------------------------------------------------

  function sync() {
    if (syncing || !navigator.onLine) {
      showStatus();
      return Promise.resolve();
    }
    var queue = readQueue();
    if (!queue.sales.length && !queue.voids.length) return refresh();
    syncing = true;
    var sales = queue.sales.slice(0, 100);
    var voids = queue.voids.slice(0, 100);
    var body = {
      sales: sales.map(function (entry) {
        return {
          sale_id: entry.sale_id,
          stock_item_id: entry.stock_item_id,
          quantity_milli: entry.quantity_milli,
          beneficiary_id: entry.beneficiary_id,
          sold_at: entry.sold_at,
          device_id: entry.device_id,
        };
      }),
      voids: voids.map(function (saleId) { return { sale_id: saleId }; }),
    };
    return post(body)
      .then(function (answer) {
        syncing = false;
        if (answer.status === 400) return refresh(); // an expired CSRF token: a fresh one, then retry
        if (answer.status === 401 || answer.status === 403) {
          lastProblem = data.labelDenied;
          showStatus();
          return;
        }
        if (answer.status >= 500 || answer.status === 404) return;
        // 200, 409 (closed or cancelled run), 422 (malformed): the server has answered.
        forget(sales, voids);
        var results = answer.body.results || (answer.body.errors && answer.body.errors.results) || [];
        results.forEach(function (result) {
          if (result.status !== "refused") return;
          var sale = sales.filter(function (entry) { return entry.sale_id === result.sale_id; })[0];
          if (sale) refused.push({ sale: sale, message: result.message });
        });
        lastProblem = answer.status === 200 ? "" : answer.body.message || "";
        if (answer.status === 200) showServerPanel(answer.body);
        return sync();
      })
      .catch(function () {
        syncing = false;
        return refresh();
      });
  }

  function post(body) {
    return fetch(data.salesUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(), Accept: "application/json" },
      body: JSON.stringify(body),
    }).then(function (response) {
      return response.json().then(
        function (json) { return { status: response.status, body: json }; },
        function () { return { status: response.status, body: {} }; }
      );
    });
  }

  function forget(sales, voids) {
    var sent = {};
    sales.forEach(function (entry) { sent[entry.sale_id] = true; });
    voids.forEach(function (saleId) { sent["void:" + saleId] = true; });
    var queue = readQueue();
    writeQueue({
      sales: queue.sales.filter(function (entry) { return !sent[entry.sale_id]; }),
      voids: queue.voids.filter(function (saleId) { return !sent["void:" + saleId]; }),
    });
  }

  function refresh() {
    return fetch(data.salesUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      })
      .then(showServerPanel)
      .catch(function () {
        // Offline or refused: the phone's last copy, if newer than the page.
        var kept = window.offlineIds.remembered(lastKey);
        if (kept) showServerPanel(kept);
      })
      .then(showStatus);
  }

  // --- Wiring ---------------------------------------------------------------------------------

  if (form && !closed) {
    form.addEventListener("submit", record);
    form.addEventListener("input", function () { showError(""); showPreview(); });
    form.addEventListener("change", showPreview);
  }
  list.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-void-sale]");
    if (button && !closed) voidSale(button.dataset.voidSale);
  });
  list.addEventListener("submit", function (event) {
    var voidForm = event.target.closest("form[data-void-sale]");
    if (!voidForm) return;
    event.preventDefault();
    if (!closed) voidSale(voidForm.dataset.voidSale);
  });

  window.addEventListener("online", function () { sync(); });
  window.addEventListener("offline", showStatus);
  setInterval(function () { sync(); }, 15000);

  render();
  // Online: send the queue, then the server's panel. Offline: the newest copy at hand.
  if (navigator.onLine) sync();
  else refresh();
})();
