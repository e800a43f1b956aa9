// CVSS calculator: metric pickers <-> vector string, score from POST /api/v1/scoring/cvss.
// Works on every [data-cvss-calculator] on the page; without this script the form's
// "Calculate" and "Read vector" buttons do the same through the server.
(function () {
  "use strict";

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function setup(root) {
    var versionSelect = root.querySelector("[data-cvss-version]");
    var vectorInput = root.querySelector("[data-cvss-vector]");
    var result = root.querySelector("[data-cvss-result]");
    var extras = vectorInput.getAttribute("data-extras") || "";
    var pending = null;

    function activeSet() {
      return root.querySelector('[data-cvss-metrics="' + versionSelect.value + '"]');
    }

    function showVersion() {
      root.querySelectorAll("[data-cvss-metrics]").forEach(function (set) {
        var active = set.getAttribute("data-cvss-metrics") === versionSelect.value;
        set.hidden = !active;
        set.querySelectorAll("select").forEach(function (select) { select.disabled = !active; });
      });
    }

    function say(text, isError) {
      result.textContent = "";
      var node = document.createElement(isError ? "span" : "strong");
      node.textContent = text;
      if (isError) {
        node.className = "cvss-calculator__error";
      }
      result.appendChild(node);
    }

    function score(vector) {
      if (pending) {
        pending.abort();
      }
      pending = new AbortController();
      fetch(root.getAttribute("data-score-url"), {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
        body: JSON.stringify({ vector: vector }),
        signal: pending.signal
      }).then(function (response) {
        return response.json().then(function (body) { return { ok: response.ok, body: body }; });
      }).then(function (answer) {
        if (!answer.ok) {
          say(answer.body.detail || "This vector cannot be scored.", true);
          return;
        }
        var body = answer.body;
        result.textContent = "";
        var strong = document.createElement("strong");
        strong.className = "cvss-score cvss-score--" + body.rating.toLowerCase();
        strong.textContent = body.score.toFixed(1) + " " + body.rating;
        var detail = document.createElement("span");
        detail.className = "muted";
        detail.textContent = " CVSS " + body.version + (body.nomenclature ? " (" + body.nomenclature + ")" : "") +
          " · base " + body.base_score.toFixed(1) +
          (body.temporal_score !== null ? " · temporal " + body.temporal_score.toFixed(1) +
            " · environmental " + body.environmental_score.toFixed(1) : "");
        result.appendChild(strong);
        result.appendChild(detail);
      }).catch(function (error) {
        if (error.name !== "AbortError") {
          say("The score could not be fetched; use the Calculate button.", true);
        }
      });
    }

    function fromPickers() {
      var parts = [];
      var missing = [];
      activeSet().querySelectorAll("select[data-metric]").forEach(function (select) {
        var isBase = select.querySelector('option[value=""]') !== null;
        if (!select.value) {
          missing.push(select.getAttribute("data-metric"));
        } else if (isBase || select.value !== "X") {
          parts.push(select.getAttribute("data-metric") + ":" + select.value);
        }
      });
      if (missing.length) {
        say("Pick a value for " + missing.join(", ") + " (every base metric is needed).", true);
        return;
      }
      var vector = "CVSS:" + versionSelect.value + "/" + parts.join("/") + (extras ? "/" + extras : "");
      vectorInput.value = vector;
      score(vector);
    }

    function fromVector() {
      var vector = vectorInput.value.trim();
      var match = vector.match(/^CVSS:(3\.1|4\.0)\//);
      if (!vector) {
        return;
      }
      if (match) {
        versionSelect.value = match[1];
        showVersion();
        var keep = [];
        var selects = {};
        activeSet().querySelectorAll("select[data-metric]").forEach(function (select) {
          selects[select.getAttribute("data-metric")] = select;
          select.value = select.querySelector('option[value=""]') ? "" : "X";
        });
        vector.split("/").slice(1).forEach(function (part) {
          var pair = part.split(":");
          var select = selects[pair[0]];
          if (select && select.querySelector('option[value="' + pair[1] + '"]')) {
            select.value = pair[1];
          } else if (!select) {
            keep.push(part);
          }
        });
        extras = keep.join("/");
      }
      score(vector);
    }

    versionSelect.addEventListener("change", function () { showVersion(); extras = ""; fromPickers(); });
    root.querySelectorAll("select[data-metric]").forEach(function (select) {
      select.addEventListener("change", fromPickers);
    });
    var typing = null;
    vectorInput.addEventListener("input", function () {
      clearTimeout(typing);
      typing = setTimeout(fromVector, 300);
    });
    // The buttons stay for keyboard users who prefer them; with the script they need no round trip.
    root.querySelectorAll("button[value=calculate], button[value=read]").forEach(function (button) {
      button.addEventListener("click", function (event) {
        event.preventDefault();
        if (button.value === "read") { fromVector(); } else { fromPickers(); }
      });
    });
  }

  document.querySelectorAll("[data-cvss-calculator]").forEach(setup);
})();
