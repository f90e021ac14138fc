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
