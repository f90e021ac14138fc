// Checks a receipt in the donor's own browser, trusting nothing the page
// says: the entry's leaf hash from its canonical text, the inclusion path
// up to the root, the signed checkpoint's root and size, and the
// checkpoint's Ed25519 signature under the fund's verifier key.
(function () {
  "use strict";
  // The print button (no inline handler: the pages' policy runs none).
  const print = document.getElementById("print");
  if (print) print.addEventListener("click", () => window.print());
  const box = document.getElementById("verify");
  if (!box) return;
  const T = JSON.parse(document.getElementById("verify-text").textContent);
  const enc = new TextEncoder();
  const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  const unhex = (h) => new Uint8Array((h.match(/../g) || []).map((x) => parseInt(x, 16)));
  const unb64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
  const concat = (...parts) => {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let i = 0;
    for (const p of parts) { out.set(p, i); i += p.length; }
    return out;
  };
  const sha256 = async (...parts) =>
    new Uint8Array(await crypto.subtle.digest("SHA-256", concat(...parts)));
  const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

  let failed = false;
  // The fund key's id as printed on the paper receipt, carried by its QR
  // link: the one thing here the server did not just send.
  const paper = (new URLSearchParams(location.search).get("k") || "").toLowerCase();
  let served = "";
  function step(id, ok, detail) {
    const li = document.getElementById(id);
    li.dataset.state = ok ? "pass" : "fail";
    li.querySelector(".result").textContent = (ok ? T.pass : T.fail) + (detail ? " (" + detail + ")" : "");
    if (!ok) failed = true;
    return ok;
  }
  function finish() {
    box.dataset.result = failed ? "failed" : (paper ? "verified" : "verified-served");
    const out = document.getElementById("verify-result");
    out.textContent = failed ? T.failed : (paper ? T.verified : T.verified_served + " " + served);
    out.className = failed ? "result-bad" : "result-good";
  }

  async function run() {
    let r;
    try {
      const url = box.dataset.proof || ("/api/v1/receipts/" + encodeURIComponent(box.dataset.code));
      // A gift recorded a moment ago waits for the next signed checkpoint
      // (once a second): the server answers 503 while it waits too long,
      // and the page asks again, a few times.
      let res = await fetch(url);
      for (let tries = 0; res.status === 503 && tries < 5; tries++) {
        await new Promise(done => setTimeout(done, 1000));
        res = await fetch(url);
      }
      r = await res.json();
      step("s-fetch", res.ok && typeof r.canonical === "string");
    } catch (e) {
      step("s-fetch", false, String(e));
      return finish();
    }
    // 1. The entry's hash, from its canonical text.
    const leaf = await sha256(new Uint8Array([0]), enc.encode(r.canonical));
    step("s-leaf", hex(leaf) === r.leaf_hash, hex(leaf).slice(0, 16) + "…");
    // 2. The entry says what this page says.
    let entry = {};
    try { entry = JSON.parse(r.canonical); } catch (e) { /* judged below */ }
    const body = entry.body || {};
    const amount = body.amount_vnd || body.total_value_vnd;
    step("s-text", body.receipt_no === box.dataset.receiptNo && amount === box.dataset.amount &&
      entry.seq === r.seq);
    // 3. The inclusion path, up to the root (RFC 9162, 2.1.3.2).
    let fn = r.seq, sn = r.proof.size - 1, root = leaf, pathOk = fn <= sn;
    for (const p of r.proof.path) {
      const ph = unhex(p);
      if (sn === 0) { pathOk = false; break; }
      if (fn % 2 === 1 || fn === sn) {
        root = await sha256(new Uint8Array([1]), ph, root);
        if (fn % 2 === 0) {
          while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
        }
      } else {
        root = await sha256(new Uint8Array([1]), root, ph);
      }
      fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
    }
    step("s-path", pathOk && sn === 0, hex(root).slice(0, 16) + "…");
    // 4. The signed checkpoint names that root and size.
    const note = r.checkpoint;
    const split = note.indexOf("\n\n");
    const text = note.slice(0, split + 1);
    const [origin, size, rootB64] = text.split("\n");
    step("s-root", split > 0 && Number(size) === r.proof.size && same(unb64(rootB64 || ""), root));
    // 5. The checkpoint is signed by the fund's key.
    let sigOk = false;
    try {
      // <name>+<key id>+<base64 key>: the name holds no "+", the key may.
      const vkey = r.verifier_key;
      const first = vkey.indexOf("+");
      const second = vkey.indexOf("+", first + 1);
      const name = vkey.slice(0, first);
      const keyId = vkey.slice(first + 1, second);
      served = keyId;
      const keyB64 = vkey.slice(second + 1);
      const key = unb64(keyB64);
      const line = note.slice(split + 2).split("\n").find((l) => l.startsWith("— " + name + " "));
      const sig = unb64(line.slice(("— " + name + " ").length));
      const pub = await crypto.subtle.importKey("raw", key.slice(1), { name: "Ed25519" }, false, ["verify"]);
      sigOk = name === origin && key[0] === 1 && hex(sig.slice(0, 4)) === keyId &&
        await crypto.subtle.verify({ name: "Ed25519" }, pub, sig.slice(4), enc.encode(text));
    } catch (e) {
      sigOk = false;
    }
    step("s-sig", sigOk);
    // 6. The key is the fund's own: its log is named for the entry's fund,
    // and its id is the one on paper.
    const ownFund = typeof entry.fund === "string" && typeof origin === "string" &&
      origin.endsWith("/fund/" + entry.fund);
    if (paper) {
      step("s-key", ownFund && served.toLowerCase() === paper,
        T.key_paper + " " + paper + " · " + served);
    } else if (!ownFund) {
      step("s-key", false, served);
    } else {
      const li = document.getElementById("s-key");
      li.dataset.state = "skip";
      li.querySelector(".result").textContent = "— " + T.key_none;
    }
    // 7. The committees above vouched: each witness's cosignature/v1 on
    // the same checkpoint (C2SP tlog-cosignature): a key id, an 8-byte
    // time and an Ed25519 signature over "cosignature/v1\ntime <t>\n"
    // and the checkpoint's text, under the witness's 0x04 key.
    const wli = document.getElementById("s-witness");
    const witnesses = Array.isArray(r.witnesses) ? r.witnesses : [];
    if (wli && r.witness_status === "met" && witnesses.length > 0) {
      const sigs = note.slice(split + 2).split("\n");
      let all = true;
      const names = [];
      for (const w of witnesses) {
        let ok = false;
        try {
          const first = w.vkey.indexOf("+");
          const second = w.vkey.indexOf("+", first + 1);
          const name = w.vkey.slice(0, first);
          const keyId = w.vkey.slice(first + 1, second);
          const key = unb64(w.vkey.slice(second + 1));
          const line = sigs.find((l) => l.startsWith("— " + name + " "));
          const raw = unb64(line.slice(("— " + name + " ").length));
          let time = 0n;
          for (const b of raw.slice(4, 12)) time = time * 256n + BigInt(b);
          const pub = await crypto.subtle.importKey("raw", key.slice(1), { name: "Ed25519" }, false, ["verify"]);
          ok = name === w.name && key[0] === 4 && raw.length === 76 && hex(raw.slice(0, 4)) === keyId &&
            await crypto.subtle.verify({ name: "Ed25519" }, pub, raw.slice(12),
              enc.encode("cosignature/v1\ntime " + time.toString() + "\n" + text));
        } catch (e) {
          ok = false;
        }
        all = all && ok;
        names.push(w.name);
      }
      step("s-witness", all, names.join(", "));
    } else if (wli && r.witness_status === "unmet" && witnesses.length > 0) {
      step("s-witness", false, T.witness_refused);
    } else if (wli) {
      wli.dataset.state = "skip";
      wli.querySelector(".result").textContent = "— " +
        (witnesses.length > 0 ? T.witness_pending : T.witness_none);
    }
    finish();
  }
  run().catch((e) => { failed = true; box.dataset.error = String(e); finish(); });
})();
