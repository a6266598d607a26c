// Upload with a progress bar; the server answers JSON when asked by XMLHttpRequest.
(function () {
  var form = document.getElementById("upload-form");
  if (!form || !window.FormData) return;
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var input = form.querySelector("input[type=file]");
    var result = document.getElementById("upload-result");
    result.hidden = true;
    if (!input.files.length) {
      result.textContent = "请选择要上传的文件";
      result.className = "flash danger";
      result.hidden = false;
      return;
    }
    var progress = document.getElementById("progress");
    var bar = document.getElementById("bar");
    var text = document.getElementById("progress-text");
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    progress.hidden = false;
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action || window.location.href);
    xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
    xhr.upload.onprogress = function (e) {
      if (e.lengthComputable) {
        var pct = Math.round((e.loaded / e.total) * 100);
        bar.value = pct;
        text.textContent = "正在上传… " + pct + "%";
        if (pct >= 100) { bar.removeAttribute("value"); text.textContent = "已上传，正在校验和导入…"; }
      }
    };
    xhr.onload = function () {
      var data = null;
      try { data = JSON.parse(xhr.responseText); } catch (err) { data = null; }
      if (data && data.url) { window.location.href = data.url; return; }
      button.disabled = false;
      progress.hidden = true;
      result.textContent = (data && (data.message || data.error)) ||
        (xhr.status === 413 ? "文件过大（上限 20 MB）" : "上传失败（" + xhr.status + "），请重试");
      result.className = "flash " + (data && data.status === "duplicate" ? "info" : "danger");
      result.hidden = false;
    };
    xhr.onerror = function () {
      button.disabled = false;
      progress.hidden = true;
      result.textContent = "网络错误，上传未完成，请重试";
      result.className = "flash danger";
      result.hidden = false;
    };
    xhr.send(new FormData(form));
  });
})();
