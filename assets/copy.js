// The first app password's page (after MFA registration): Copy puts the shown password on the clipboard.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const button = document.getElementById("copy-first");
  const status = document.getElementById("copy-status");
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(document.getElementById("first-password").textContent);
      status.textContent = "Copied to the clipboard.";
    } catch {
      status.textContent = "Could not copy: select the password and copy it yourself.";
    }
  });
});
