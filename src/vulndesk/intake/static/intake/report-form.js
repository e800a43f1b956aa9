// Live score for the suggested CVSS vector on the report form. Without JavaScript the preview
// page shows the score instead; this only saves a round trip.
(function () {
  "use strict";
  var input = document.getElementById("id_suggested_cvss_vector");
  var output = document.getElementById("cvss-live-score");
  if (!input || !output || !window.fetch) { return; }
  var url = output.getAttribute("data-score-url");
  var token = document.querySelector("input[name=csrfmiddlewaretoken]");
  var timer = null;
  function show(text) { output.textContent = text; }
  function score() {
    var vector = input.value.trim();
    if (!vector) { show(""); return; }
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token ? token.value : "" },
      body: JSON.stringify({ vector: vector })
    }).then(function (response) {
      return response.json().then(function (body) { return { ok: response.ok, body: body }; });
    }).then(function (result) {
      if (result.ok) {
        show("Score: " + result.body.score + " " + result.body.rating + " (CVSS " + result.body.version + ")");
      } else {
        show(result.body.detail || "This is not a valid CVSS vector.");
      }
    }).catch(function () { show(""); });
  }
  input.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(score, 300);
  });
  score();
})();

// Product search: a filter box above the product list, for catalogs too long to scroll.
(function () {
  "use strict";
  var select = document.getElementById("id_product");
  if (!select) { return; }
  var box = document.createElement("input");
  box.type = "search";
  box.id = "product-search";
  box.placeholder = "Type to filter the list";
  box.setAttribute("aria-label", "Search products");
  box.setAttribute("aria-controls", "id_product");
  box.autocomplete = "off";
  select.parentNode.insertBefore(box, select);
  var options = Array.prototype.slice.call(select.options);
  box.addEventListener("input", function () {
    var words = box.value.toLowerCase().split(/\s+/).filter(Boolean);
    var first = null;
    options.forEach(function (option) {
      var text = option.text.toLowerCase();
      var match = !option.value || words.every(function (word) { return text.indexOf(word) !== -1; });
      option.hidden = !match;
      if (match && option.value && first === null) { first = option; }
    });
    if (first && words.length) { select.value = first.value; }
  });
})();
