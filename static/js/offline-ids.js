// Ids made on the phone for what it records offline (checklist taps, walk-in sales): a new one
// per record, and one per phone that both lists share; the last server copies the phone keeps;
// counts in words. Loaded before the scripts that use it.
(function () {
  "use strict";

  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.prototype.map
      .call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); })
      .join("");
  }

  function deviceId() {
    var id = localStorage.getItem("checklist-device");
    if (!id) {
      id = newId();
      localStorage.setItem("checklist-device", id);
    }
    return id;
  }

  // "3 taps waiting": `one` and `other` are the page's translated texts for 1 and for 2
  // (ngettext); the number in them is replaced by `count`.
  function countText(count, one, other) {
    var lang = document.documentElement.lang || "fr";
    var form = new Intl.PluralRules(lang).select(count) === "one" ? one : other;
    return (form || "").replace(/\d+/, String(count));
  }

  // The last copy of a list the server sent (kept so that a reload offline shows it).
  function remember(key, value) {
    try {
      localStorage.setItem(key, JSON.stringify(value));
    } catch (error) { /* full or refused: the page's own copy stays */ }
  }

  function remembered(key) {
    try {
      return JSON.parse(localStorage.getItem(key) || "null");
    } catch (error) {
      return null;
    }
  }

  window.offlineIds = {
    newId: newId,
    deviceId: deviceId,
    countText: countText,
    remember: remember,
    remembered: remembered,
  };
})();
