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
