// Progressive enhancement of the upload form: choose, drop or photograph an image and the
// prediction appears without a page load. Without JavaScript the form posts to /predict.
"use strict";
(function () {
  const form = document.getElementById("upload");
  if (!form) return;
  const fileInput = document.getElementById("image");
  const cameraInput = document.getElementById("camera");
  const drop = document.getElementById("drop");
  const errorBox = document.getElementById("error");
  const result = document.getElementById("result");

  function showError(message) {
    // the previous prediction goes: under an error it would read as this upload's answer
    result.hidden = true;
    errorBox.textContent = message;
    errorBox.hidden = false;
  }

  function render(data) {
    errorBox.hidden = true;
    document.getElementById("result-class").textContent = data["class"];
    document.getElementById("result-probability").textContent =
      "(" + (100 * data.probability).toFixed(1) + "%)";
    const bars = document.getElementById("bars");
    bars.replaceChildren();
    data.probabilities.forEach(function (row, i) {
      const li = document.createElement("li");
      if (i === data.class_index) li.className = "best";
      const name = document.createElement("span");
      name.className = "name";
      name.textContent = row["class"];
      const bar = document.createElement("span");
      bar.className = "bar";
      const fill = document.createElement("span");
      fill.style.width = (100 * row.p).toFixed(2) + "%";
      bar.appendChild(fill);
      const p = document.createElement("span");
      p.className = "p";
      p.textContent = (100 * row.p).toFixed(1) + "%";
      li.append(name, bar, p);
      bars.appendChild(li);
    });
    document.getElementById("input-img").src = data.input_png;
    document.getElementById("saliency-img").src = data.saliency_png;
    result.hidden = false;
    document.body.dataset.state = "done";
  }

  async function classify(file) {
    const body = new FormData();
    body.append("model", document.getElementById("model").value);
    body.append("image", file, file.name || "upload");
    document.body.dataset.state = "busy";
    try {
      const response = await fetch("api/predict", { method: "POST", body: body });
      const data = await response.json();
      if (!response.ok) {
        showError(data.error || ("error " + response.status));
        document.body.dataset.state = "error";
        return;
      }
      render(data);
    } catch (err) {
      showError("the request failed: " + err);
      document.body.dataset.state = "error";
    }
  }

  function chosen(input) {
    return input && input.files && input.files.length ? input.files[0] : null;
  }

  form.addEventListener("submit", function (event) {
    const file = chosen(fileInput) || chosen(cameraInput);
    if (!file) {
      event.preventDefault();
      showError("choose an image first");
      return;
    }
    event.preventDefault();
    classify(file);
  });
  [fileInput, cameraInput].forEach(function (input) {
    input.addEventListener("change", function () {
      const file = chosen(input);
      if (file) classify(file);
    });
  });
  ["dragenter", "dragover"].forEach(function (name) {
    drop.addEventListener(name, function (event) {
      event.preventDefault();
      drop.classList.add("over");
    });
  });
  ["dragleave", "drop"].forEach(function (name) {
    drop.addEventListener(name, function (event) {
      event.preventDefault();
      drop.classList.remove("over");
    });
  });
  drop.addEventListener("drop", function (event) {
    const file = event.dataTransfer && event.dataTransfer.files[0];
    if (file) classify(file);
  });
})();
