// Forms with a data-confirm attribute ask before they are sent. A file of its own, not an
// inline onsubmit handler: the pages' Content-Security-Policy allows scripts from this site only.
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form && form.getAttribute && form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
}, true);
