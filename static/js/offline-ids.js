// Ids made on the phone for what it records offline (checklist taps, walk-in sales): a new one
// per record, and one per phone that both lists share. Loaded before the scripts that use it.
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

  window.offlineIds = { newId: newId, deviceId: deviceId };
})();
