/* ivigtrack outbox: reaction reports that could not be sent, kept on this device (IndexedDB)
   until the connection returns. Shared by the pages and the service worker (importScripts). */
(function (scope) {
  "use strict";
  var DB_NAME = "ivigtrack";
  var STORE = "outbox";

  function openDb() {
    return new Promise(function (resolve, reject) {
      var request = scope.indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = function () {
        request.result.createObjectStore(STORE, { keyPath: "id", autoIncrement: true });
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  // One transaction; resolves with the request's result once the transaction has committed,
  // so that "saved" is only ever shown for data that is really on the device.
  function run(mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, mode);
        var request = work(tx.objectStore(STORE));
        tx.oncomplete = function () { db.close(); resolve(request.result); };
        tx.onerror = tx.onabort = function () { db.close(); reject(tx.error); };
      });
    });
  }

  scope.IvigOutbox = {
    add: function (entry) { return run("readwrite", function (store) { return store.add(entry); }); },
    all: function () { return run("readonly", function (store) { return store.getAll(); }); },
    remove: function (id) { return run("readwrite", function (store) { return store.delete(id); }); }
  };
})(self);
