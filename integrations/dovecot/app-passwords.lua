-- Dovecot 2.3 Lua passdb: checks app passwords with the app-passwords Worker (POST /v1/verify).
--
-- Install (see README.md next to this file):
--   /etc/dovecot/app-passwords.lua   this file
--   /etc/dovecot/app-passwords.key   the Worker's verify-only API key, one line, readable only by
--                                    the user Dovecot's auth-worker runs as (root:root 0400 on Debian)
--   conf.d/auth-app-passwords.conf.ext   the passdb block and the settings below
--
-- Settings come from the environment Dovecot gives its processes (`import_environment`):
--   APP_PASSWORDS_URL         https://…/v1/verify (required)
--   APP_PASSWORDS_KEY_FILE    path of the key file (default /etc/dovecot/app-passwords.key)
--   APP_PASSWORDS_TIMEOUT_MS  how long one check may take, at most 5000 (default 5000)
--
-- What Dovecot's client sees:
--   valid                                        → login succeeds
--   wrong, deleted, expired, out of scope,
--   MFA off, throttled, unknown user             → "NO [AUTHENTICATIONFAILED]" (PASSWORD_MISMATCH)
--   Worker unreachable, slow, 5xx, key refused   → "NO [UNAVAILABLE]" (INTERNAL_FAILURE): a
--                                                  temporary failure, never "wrong password"
-- The password is sent only in the request body and never logged: log lines carry the user,
-- service, client address, HTTP status and the Worker's reason code.

local MAX_TIMEOUT_MS = 5000
local DEFAULT_KEY_FILE = "/etc/dovecot/app-passwords.key"

-- Dovecot service → the app password scope (protocol) the Worker checks. A service missing here
-- (sieve, doveadm, …) is refused without asking the Worker, so a scoped password cannot leak into
-- another protocol.
local SCOPES = {
  imap = "imap",
  pop3 = "pop",
  submission = "smtp",
  smtp = "smtp", -- Postfix SASL through Dovecot's auth socket
}

-- Client errors of the Worker that mean "this login cannot succeed" rather than "we are broken".
local REFUSED_INPUT = {
  invalid_json = true,     -- a user name or password that is not valid UTF-8
  invalid_user = true,     -- a user name the service cannot hold (empty, too long)
  payload_too_large = true, -- a password of many kilobytes
}

local url, timeout_ms, key_file, client

-- JSON string literal for any Lua string (Dovecot's Lua has no JSON module). Bytes ≥ 0x80 pass
-- through; invalid UTF-8 makes the Worker answer invalid_json, which refuses the login.
local function json_string(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    if c == '"' then return '\\"' end
    if c == "\\" then return "\\\\" end
    return string.format("\\u%04x", c:byte())
  end) .. '"'
end

local function read_key()
  local f, err = io.open(key_file, "r")
  if f == nil then
    return nil, "cannot read the API key file " .. key_file .. ": " .. tostring(err)
  end
  local key = f:read("l")
  f:close()
  key = key and key:match("^%s*(%S+)%s*$")
  if key == nil then
    return nil, "the API key file " .. key_file .. " is empty"
  end
  return key
end

function script_init()
  url = os.getenv("APP_PASSWORDS_URL")
  if url == nil or not url:match("^https?://") then
    error("APP_PASSWORDS_URL must be the Worker's https://…/v1/verify URL (import_environment)")
  end
  timeout_ms = tonumber(os.getenv("APP_PASSWORDS_TIMEOUT_MS") or MAX_TIMEOUT_MS)
  if timeout_ms == nil or timeout_ms < 1 or timeout_ms > MAX_TIMEOUT_MS then
    error("APP_PASSWORDS_TIMEOUT_MS must be between 1 and " .. MAX_TIMEOUT_MS)
  end
  timeout_ms = math.floor(timeout_ms)
  key_file = os.getenv("APP_PASSWORDS_KEY_FILE") or DEFAULT_KEY_FILE
  -- The key is read per check, in the auth-worker (the only process that may read it), so a new
  -- key takes effect without a reload; the auth master runs script_init too and must not need it.
  return 0
end

local function http_client()
  if client == nil then
    client = dovecot.http.client({
      request_timeout_msecs = timeout_ms,
      request_absolute_timeout_msecs = timeout_ms,
      connect_timeout_msecs = timeout_ms,
      max_attempts = 1,
      max_connect_attempts = 1,
      no_auto_redirect = true,
      no_auto_retry = true,
      user_agent = "app-passwords-dovecot/1",
    })
  end
  return client
end

local function describe(req, protocol)
  return string.format("user=<%s> service=%s protocol=%s rip=%s", req.user or "", req.service or "",
    protocol or "-", req.remote_ip or "")
end

function auth_password_verify(req, password)
  local protocol = SCOPES[req.service]
  if protocol == nil then
    req:log_info("app password refused: service " .. tostring(req.service) .. " has no scope")
    return dovecot.auth.PASSDB_RESULT_PASSWORD_MISMATCH, "no app password scope for this service"
  end
  local key, err = read_key()
  if key == nil then
    return dovecot.auth.PASSDB_RESULT_INTERNAL_FAILURE, err
  end

  local body = '{"user":' .. json_string(req.user) .. ',"password":' .. json_string(password)
    .. ',"protocol":"' .. protocol .. '"'
  if req.remote_ip ~= nil and req.remote_ip ~= "" then
    body = body .. ',"remote_ip":' .. json_string(req.remote_ip)
  end
  body = body .. "}"

  local request = http_client():request({ url = url, method = "POST" })
  request:add_header("authorization", "Bearer " .. key)
  request:add_header("content-type", "application/json")
  request:set_payload(body)
  local response = request:submit()
  local status = response:status()
  local payload = response:payload() or ""
  local what = describe(req, protocol)

  if status == 200 and payload:find('"valid":true', 1, true) then
    req:log_debug("app password accepted: " .. what)
    return dovecot.auth.PASSDB_RESULT_OK, ""
  end
  if payload:find('"valid":false', 1, true) then
    -- wrong, deleted, expired, out of scope, MFA off, throttled: an ordinary failed login.
    local reason = payload:match('"reason"%s*:%s*"([%w_]+)"') or "unknown"
    req:log_info("app password refused: " .. what .. " reason=" .. reason)
    return dovecot.auth.PASSDB_RESULT_PASSWORD_MISMATCH, reason
  end
  local code = payload:match('"code"%s*:%s*"([%w_]+)"')
  if status >= 400 and status < 500 and REFUSED_INPUT[code] then
    req:log_info("app password refused: " .. what .. " reason=" .. code)
    return dovecot.auth.PASSDB_RESULT_PASSWORD_MISMATCH, code
  end
  -- Unreachable, timed out (Dovecot's client reports 9xxx), 5xx, or the key was refused (401/403):
  -- a temporary failure the client may retry, and an error for the administrator.
  return dovecot.auth.PASSDB_RESULT_INTERNAL_FAILURE,
    string.format("app-passwords Worker failed: %s status=%d %s error=%s", what, status,
      response:reason() or "", code or "-")
end

-- Only plaintext mechanisms (PLAIN, LOGIN) can be checked: the Worker never reveals a hash.
function auth_passdb_lookup(req)
  return dovecot.auth.PASSDB_RESULT_USER_UNKNOWN, "app passwords need a plaintext mechanism"
end
