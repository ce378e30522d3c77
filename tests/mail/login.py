"""Logs in to a mail server the way mail clients do, with Python's own imaplib, poplib and smtplib.

Reads a JSON list of attempts on stdin (passwords never go on a command line):
  [{"protocol": "imap" | "pop3" | "submission", "port": 1143, "user": "...", "password": "..."}]
and prints one JSON list of results in the same order:
  [{"ok": true, "reply": "..."} | {"ok": false, "reply": "<the server's refusal>"}]

"ok" means logged in *and* used: IMAP selects INBOX, POP3 asks STAT, submission sends a message.
With --parallel the attempts run at once (as a busy client would), otherwise one after another.
"""

import imaplib
import json
import poplib
import smtplib
import sys
from concurrent.futures import ThreadPoolExecutor

HOST = "127.0.0.1"
TIMEOUT = 30


def text(value):
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def imap(port, user, password):
    with imaplib.IMAP4(HOST, port, timeout=TIMEOUT) as client:
        try:
            client.login(user, password)
        except imaplib.IMAP4.error as e:
            return {"ok": False, "reply": text(e.args[0])}
        status, data = client.select("INBOX")
        return {"ok": status == "OK", "reply": f"SELECT {status} {text(data[0])}"}


def pop3(port, user, password):
    client = poplib.POP3(HOST, port, timeout=TIMEOUT)
    try:
        client.user(user)
        client.pass_(password)
        count, size = client.stat()
        return {"ok": True, "reply": f"STAT {count} {size}"}
    except poplib.error_proto as e:
        return {"ok": False, "reply": text(e.args[0])}
    finally:
        client.close()


def submission(port, user, password):
    with smtplib.SMTP(HOST, port, timeout=TIMEOUT) as client:
        client.ehlo("client.example")
        # One AUTH PLAIN, not smtplib.login(), which retries with every other mechanism.
        client.user, client.password = user, password
        code, reply = client.auth("PLAIN", client.auth_plain, initial_response_ok=True)
        if code != 235:
            return {"ok": False, "reply": f"{code} {text(reply)}"}
        address = "mail-test@example.com"
        message = f"From: {address}\r\nTo: {address}\r\nSubject: app password test\r\n\r\nSent by {user}.\r\n"
        refused = client.sendmail(address, [address], message)
        return {"ok": not refused, "reply": f"sent, refused: {refused}"}


PROTOCOLS = {"imap": imap, "pop3": pop3, "submission": submission}


def attempt(a):
    try:
        return PROTOCOLS[a["protocol"]](a["port"], a["user"], a["password"])
    except smtplib.SMTPAuthenticationError as e:
        return {"ok": False, "reply": f"{e.smtp_code} {text(e.smtp_error)}"}
    except (OSError, EOFError, imaplib.IMAP4.abort, smtplib.SMTPException) as e:
        return {"ok": False, "reply": f"{type(e).__name__}: {text(e)}"}


def main():
    attempts = json.load(sys.stdin)
    if "--parallel" in sys.argv[1:]:
        with ThreadPoolExecutor(max_workers=max(1, len(attempts))) as pool:
            results = list(pool.map(attempt, attempts))
    else:
        results = [attempt(a) for a in attempts]
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
