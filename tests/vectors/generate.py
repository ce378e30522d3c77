#!/usr/bin/env python3
"""Writes app-passwords.json: known answers for the format, the keyed Argon2id hash and the lookup key.

Computed independently of our Rust code: the checksum here in Python, Argon2id by pyca/cryptography
(OpenSSL), the lookup key by Python's hmac. Rust (tests/vectors.rs), wasm and npm tests read the file.

    pip install cryptography==48.0.0 && python3 tests/vectors/generate.py > tests/vectors/app-passwords.json
"""
import base64
import hashlib
import hmac
import json

from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

PRIME = 456_959  # the largest prime below 26**4
LOOKUP_CONTEXT = b"app-passwords lookup v1\0"


def with_checksum(random20: str) -> str:
    n = 0
    for c in random20:
        n = n * 26 + (ord(c) - 97)
    check = (-n * 26**4) % PRIME
    tail = ""
    for _ in range(4):
        tail = chr(97 + check % 26) + tail
        check //= 26
    return random20 + tail


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode().rstrip("=")


def vector(random20, typed, user, secret, params, salt):
    password = with_checksum(random20)
    assert typed(password).replace("-", "").replace(" ", "").lower() == password
    m, t, p = params["m"], params["t"], params["p"]
    tag = Argon2id(salt=salt, length=32, iterations=t, lanes=p, memory_cost=m, secret=secret).derive(
        password.encode()
    )
    mac = hmac.new(secret, LOOKUP_CONTEXT + len(user.encode()).to_bytes(4, "big") + user.encode() + password.encode(), hashlib.sha256)
    return {
        "input": typed(password),
        "normalized": password,
        "display": "-".join(password[i : i + 4] for i in range(0, 24, 4)),
        "user": user,
        "secret_hex": secret.hex(),
        "params": params,
        "salt_hex": salt.hex(),
        "phc": f"$argon2id$v=19$m={m},t={t},p={p}${b64(salt)}${b64(tag)}",
        "lookup_key": mac.hexdigest(),
    }


def grouped(pw):
    return "-".join(pw[i : i + 4] for i in range(0, 24, 4))


vectors = [
    vector("qxmtbkwapfjelrzunvcd", grouped, "alice@example.com", b"S" * 32, {"m": 64, "t": 1, "p": 1}, bytes(range(16))),
    vector("aaaaaaaaaaaaaaaaaaaa", lambda pw: pw.upper(), "bob", bytes(range(32)), {"m": 256, "t": 2, "p": 2}, b"\xff" * 16),
    vector("zzzzzzzzzzzzzzzzzzzz", lambda pw: " ".join(pw[i : i + 6] for i in range(0, 24, 6)), "üser/with spaces", b"0123456789abcdef", {"m": 19456, "t": 2, "p": 1}, b"saltsaltsaltsalt"),
    vector("hellothereappletrees", lambda pw: grouped(pw).upper(), "4f1c2d3e-0000-4000-8000-000000000001", hashlib.sha256(b"pepper").digest(), {"m": 8, "t": 1, "p": 1}, b"12345678abcdefgh"),
]

bad_inputs = [
    {"input": "", "error": "malformed_password"},
    {"input": "abcd-efgh", "error": "malformed_password"},
    {"input": "abcd-efgh-ijkl-mnop-qrst-uvw1", "error": "malformed_password"},
    {"input": vectors[0]["normalized"][:23] + ("a" if vectors[0]["normalized"][23] != "a" else "b"), "error": "bad_checksum"},
    {"input": vectors[0]["normalized"][1] + vectors[0]["normalized"][0] + vectors[0]["normalized"][2:], "error": "bad_checksum"},
]

print(json.dumps({"generated_by": "tests/vectors/generate.py", "checksum_prime": PRIME, "vectors": vectors, "bad_inputs": bad_inputs}, indent=2, ensure_ascii=False))
