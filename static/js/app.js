// Small behaviours without inline handlers (the Content-Security-Policy forbids them).
document.addEventListener("click", function (event) {
  var confirmer = event.target.closest("[data-confirm]");
  if (confirmer && !window.confirm(confirmer.getAttribute("data-confirm"))) {
    event.preventDefault();
  }
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});
