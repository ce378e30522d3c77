// The platform's ceiling for refused input: a Worker that answers every request with the 401 JSON a
// refused verification gets, without reading the body, KV, or anything else (GET /healthz: 200, for
// the harness). Run by `make bench` on the same `wrangler dev --local` setup as the other Workers.
export default {
  async fetch(request) {
    if (new URL(request.url).pathname === "/healthz") return new Response('{"ok":true}', { headers: { "content-type": "application/json" } });
    return new Response('{"valid":false,"reason":"malformed_password"}', { status: 401, headers: { "content-type": "application/json" } });
  },
};
