// Sổ Vàng console: a scanned handover record stays on the clerk's
// computer; only its SHA-256, computed here, goes on the ledger.
"use strict";
document.querySelectorAll("input[type=file][data-sha256-into]").forEach((input) => {
  input.addEventListener("change", async () => {
    const target = document.getElementById(input.dataset.sha256Into);
    target.value = "";
    const file = input.files && input.files[0];
    if (!file) return;
    const digest = await crypto.subtle.digest("SHA-256", await file.arrayBuffer());
    target.value = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
  });
});
