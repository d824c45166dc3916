// Studio CRM: the one script of the guest pages. The pages work without it;
// with it, the price follows the booking form (asked from the server, which
// stays the source of truth), the menu opens on small screens, and choosing
// a time brings the form into view. Whatever the guest changed before this
// script arrived is read from the form itself, not assumed.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function money(minor, lang) {
    var negative = minor < 0;
    var abs = Math.abs(minor);
    var roubles = Math.floor(abs / 100);
    var kopecks = abs % 100;
    var sign = negative ? "\u2212" : "";
    var sep = lang === "en" ? "," : "\u202f";
    var whole = String(roubles).replace(/\B(?=(\d{3})+(?!\d))/g, sep);
    var cents = kopecks === 0 ? "" : (lang === "en" ? "." : ",") + (kopecks < 10 ? "0" : "") + kopecks;
    return lang === "en" ? sign + "\u20bd" + whole + cents : sign + whole + cents + "\u00a0\u20bd";
  }

  function pad(n) {
    return (n < 10 ? "0" : "") + n;
  }

  // The end of the booking on the studio's clock: the start's wall-clock
  // hour plus the chosen hours, with the start's offset (the server
  // re-checks it; a DST change inside one booking is shown by the server).
  function endLabel(start, hours) {
    var m = /T(\d{2}):(\d{2})/.exec(start);
    if (!m) return "";
    var h = (parseInt(m[1], 10) + hours) % 24;
    return pad(h) + ":" + m[2];
  }

  function endTime(start, hours) {
    var t = new Date(start);
    if (isNaN(t.getTime())) return "";
    var offset = start.slice(19); // "+03:00" or "Z"
    var minutes = offset === "Z" ? 0 : (offset[0] === "-" ? -1 : 1) * (parseInt(offset.slice(1, 3), 10) * 60 + parseInt(offset.slice(4, 6), 10));
    var local = new Date(t.getTime() + hours * 3600000 + minutes * 60000);
    return local.getUTCFullYear() + "-" + pad(local.getUTCMonth() + 1) + "-" + pad(local.getUTCDate()) +
      "T" + pad(local.getUTCHours()) + ":" + pad(local.getUTCMinutes()) + ":00" + offset;
  }

  function bookingForm(form) {
    var price = document.querySelector("[data-price]");
    if (!price) return;
    var lang = document.documentElement.lang === "en" ? "en" : "ru";
    var space = form.getAttribute("data-space");
    var start = form.querySelector("[name=start]").value;
    var hours = form.querySelector("[name=hours]");
    var people = form.querySelector("[name=people_count]");
    var end = document.querySelector("[data-end-label]");
    var asked = 0;
    var timer = null;

    function show(row, minor) {
      var dd = price.querySelector("[data-line=" + row + "]");
      if (!dd) return;
      dd.textContent = (row === "discount" ? "\u2212" : "") + money(minor, lang);
      var hide = row !== "base" && row !== "total" && minor === 0;
      dd.hidden = hide;
      if (dd.previousElementSibling) dd.previousElementSibling.hidden = hide;
    }

    function update() {
      var h = parseInt(hours.value, 10) || 1;
      var p = parseInt(people.value, 10);
      if (end) end.textContent = endLabel(start, h);
      if (!(p >= 1)) return;
      var mine = ++asked;
      price.setAttribute("aria-busy", "true");
      fetch("/api/v1/public/quote", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ space: space, start_time: start, end_time: endTime(start, h), people_count: p })
      })
        .then(function (res) { return res.ok ? res.json() : null; })
        .then(function (quote) {
          if (mine !== asked) return;
          if (quote) {
            show("base", quote.base);
            show("extra_people", quote.extra_people);
            show("equipment", quote.equipment);
            show("discount", quote.discount);
            show("total", quote.total);
          }
          price.removeAttribute("aria-busy");
        })
        .catch(function () {
          if (mine === asked) price.removeAttribute("aria-busy");
        });
    }

    // Busy from the first keystroke until the server's answer is shown, so
    // nobody (and no test) reads a total that is about to change.
    function soon() {
      price.setAttribute("aria-busy", "true");
      // An answer still on its way is for values that no longer hold.
      asked++;
      clearTimeout(timer);
      timer = setTimeout(update, 200);
    }

    hours.addEventListener("change", soon);
    people.addEventListener("input", soon);
    people.addEventListener("change", soon);
    update();
  }

  // What the guest typed survives choosing another time (a new page): it
  // is kept for this tab only and dropped once a booking is made. The
  // consent box is not restored: agreeing is done for each booking.
  var DRAFT = "studio-booking-draft";
  var KEPT = ["hours", "people_count", "client_name", "client_phone", "client_email",
    "special_requirements", "promo_code"];

  function draft(form) {
    var store;
    try { store = window.sessionStorage; } catch (e) { return; }
    if (!store) return;
    var saved = {};
    try { saved = JSON.parse(store.getItem(DRAFT) || "{}") || {}; } catch (e) { saved = {}; }
    KEPT.forEach(function (name) {
      var field = form.querySelector("[name=" + name + "]");
      if (!field || typeof saved[name] !== "string") return;
      var untouched = field.value === "" ||
        (field.tagName !== "SELECT" && field.value === field.defaultValue && name === "people_count");
      if (field.tagName === "SELECT") {
        var fits = Array.prototype.some.call(field.options, function (o) { return o.value === saved[name]; });
        untouched = fits && field.selectedIndex === 0;
      }
      if (untouched && saved[name] !== "") {
        field.value = saved[name];
        field.dispatchEvent(new Event("change"));
      }
    });
    function keep() {
      var now = {};
      KEPT.forEach(function (name) {
        var field = form.querySelector("[name=" + name + "]");
        if (field) now[name] = field.value;
      });
      try { store.setItem(DRAFT, JSON.stringify(now)); } catch (e) { /* full or disabled */ }
    }
    form.addEventListener("input", keep);
    form.addEventListener("change", keep);
  }

  function forgetDraft() {
    try { window.sessionStorage.removeItem(DRAFT); } catch (e) { /* disabled */ }
  }

  function menu() {
    var toggle = document.querySelector(".menu-toggle");
    var nav = document.getElementById("site-nav");
    if (!toggle || !nav) return;
    toggle.addEventListener("click", function () {
      var open = nav.classList.toggle("open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }

  function ready() {
    menu();
    var form = document.querySelector("form.booking-form[data-space]");
    if (form) {
      draft(form);
      bookingForm(form);
    }
    if (document.querySelector("[data-reference]")) forgetDraft();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();
