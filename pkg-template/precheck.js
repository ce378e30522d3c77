// The first step of every login check in the package's integrations, before any storage read: the
// WebAssembly core says whether the input is shaped like an app password at all (no Argon2).
import { normalizeAppPassword } from "#core";

/** `malformed_password` or `bad_checksum` when `password` cannot be an app password, else null. */
export function shapeRejection(password) {
  try {
    normalizeAppPassword(password);
    return null;
  } catch (error) {
    if (error?.code === "malformed_password" || error?.code === "bad_checksum") return error.code;
    throw error;
  }
}
