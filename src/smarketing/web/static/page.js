// Small behaviours of the pages, in a file rather than inline handlers: the pages'
// Content-Security-Policy allows scripts from this site only (docs/security.md).
// - a form with data-confirm asks before it is sent;
// - a field with data-select-on-focus selects its text when focused (a key to copy).
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form && form.getAttribute && form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
}, true);
document.addEventListener("focusin", function (event) {
  var field = event.target;
  if (field && field.hasAttribute && field.hasAttribute("data-select-on-focus")) {
    field.select();
  }
});
