// "Copy" buttons of the console: <button data-copy="ID"> copies the text of element ID.
// A static file, as the console's Content-Security-Policy allows no inline script.
"use strict";
document.querySelectorAll("button[data-copy]").forEach(function (button) {
  button.addEventListener("click", function () {
    var source = document.getElementById(button.getAttribute("data-copy"));
    var done = button.parentNode.querySelector(".copied");
    if (!source) return;
    var text = source.textContent;
    function shown() { if (done) done.hidden = false; }
    function select() {
      var range = document.createRange();
      range.selectNodeContents(source);
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      try { if (document.execCommand("copy")) shown(); } catch (e) { /* left selected */ }
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(shown, select);
    } else {
      select();
    }
  });
});
