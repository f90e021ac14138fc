// Sổ Vàng console: a scanned handover record stays on the clerk's
// computer; only its SHA-256, computed here, goes on the ledger.
"use strict";
document.querySelectorAll("input[type=file][data-sha256-into]").forEach((input) => {
  const target = document.getElementById(input.dataset.sha256Into);
  if (!window.crypto || !crypto.subtle) {
    // WebCrypto needs a secure page (https, or localhost).
    input.disabled = true;
    input.insertAdjacentText("afterend", document.documentElement.lang === "en"
      ? " (needs the console over https)"
      : " (cần mở bàn làm việc qua https)");
    return;
  }
  input.addEventListener("change", async () => {
    target.value = "";
    const file = input.files && input.files[0];
    if (!file) return;
    const digest = await crypto.subtle.digest("SHA-256", await file.arrayBuffer());
    target.value = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
  });
});
// A bank statement is sent as it is, the file as the request's body: no
// form encoding, so a 64 MiB file is streamed, not copied.
document.querySelectorAll("form[data-upload]").forEach((form) => {
  const out = document.getElementById("upload-result");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const file = form.querySelector("input[type=file]").files[0];
    if (!file) return;
    const account = form.querySelector("select[name=account]").value;
    out.textContent = "…";
    out.className = "";
    const url = form.dataset.upload + "&account=" + encodeURIComponent(account);
    try {
      const res = await fetch(url, { method: "POST", body: file, headers: { "x-csrf-token": form.dataset.csrf } });
      const answer = await res.json();
      out.textContent = res.ok ? answer.message : answer.error;
      out.className = res.ok ? "result-good" : "result-bad";
      out.dataset.status = String(res.status);
    } catch (e) {
      out.textContent = String(e);
      out.className = "result-bad";
    }
  });
});
