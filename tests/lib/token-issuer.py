# token-issuer.py --port-file F --cert C --key K [--header x5c|kid]
# [--user U --pass P] [--field token|access_token] [--expires-in N] [--log F]:
# a Bearer token server for the registry's token auth (distribution 2.8,
# auth: token:), for the pull tests.
#
# GET /token?service=S&scope=T:NAME:ACTIONS... answers {"token": JWT, ...}:
# the JWT is signed with --key (ES256 for an EC P-256 key, RS256 for RSA),
# its header names the signer by x5c (--cert, base64 DER; the registry
# checks it against its rootcertbundle) or, with --header kid, by the
# libtrust key ID the registry derives from that bundle. Every scope asked
# for is granted. With --user/--pass a token needs those Basic credentials
# (none or wrong: 401); without, tokens are anonymous.
#
# --port-file F gets the port it bound (127.0.0.1, port 0), written whole by
# a rename; --log F gets a line a request: METHOD PATH?QUERY STATUS
# auth=yes|no (never the credentials).

import argparse
import base64
import binascii
import hashlib
import json
import os
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

ISSUER = "berth-test-issuer"


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def libtrust_kid(pub):
    """The key ID libtrust gives a public key (the registry's TrustedKeys):
    sha256 of its DER SubjectPublicKeyInfo, 240 bits in base32, in groups
    of 4 joined by ':'."""
    der = pub.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    s = base64.b32encode(hashlib.sha256(der).digest()[:30]).decode().rstrip("=")
    return ":".join(s[i:i + 4] for i in range(0, len(s), 4))


class Signer:
    def __init__(self, cert_path, key_path, header):
        with open(cert_path, "rb") as f:
            self.cert = x509.load_pem_x509_certificate(f.read())
        with open(key_path, "rb") as f:
            self.key = serialization.load_pem_private_key(f.read(), password=None)
        if isinstance(self.key, ec.EllipticCurvePrivateKey):
            if self.key.curve.name != "secp256r1":
                raise SystemExit("token-issuer: an EC key must be P-256 (ES256)")
            self.alg = "ES256"
        elif isinstance(self.key, rsa.RSAPrivateKey):
            self.alg = "RS256"
        else:
            raise SystemExit("token-issuer: the key is neither EC P-256 nor RSA")
        self.header = {"typ": "JWT", "alg": self.alg}
        if header == "kid":
            self.header["kid"] = libtrust_kid(self.cert.public_key())
        else:
            der = self.cert.public_bytes(serialization.Encoding.DER)
            self.header["x5c"] = [base64.b64encode(der).decode()]

    def sign(self, claims):
        signing_input = (b64url(json.dumps(self.header).encode()) + "." +
                         b64url(json.dumps(claims).encode())).encode()
        if self.alg == "ES256":
            # JWS wants r || s, 32 bytes each, not the DER cryptography gives
            r, s = decode_dss_signature(self.key.sign(signing_input, ec.ECDSA(hashes.SHA256())))
            sig = r.to_bytes(32, "big") + s.to_bytes(32, "big")
        else:
            sig = self.key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
        return signing_input.decode() + "." + b64url(sig)


def parse_scope(scope):
    """type:name:actions; a name may hold ':' (a port), so split at both ends"""
    typ, sep, rest = scope.partition(":")
    name, sep2, actions = rest.rpartition(":")
    if not sep or not sep2 or not typ or not name:
        return None
    return {"type": typ, "name": name, "actions": [a for a in actions.split(",") if a]}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "berth-test-issuer"

    def log_message(self, fmt, *args):
        pass

    def log_line(self, status, auth):
        if self.server.log:
            with self.server.log_lock:
                self.server.log.write("%s %s %d auth=%s\n" % (self.command, self.path, status, auth))
                self.server.log.flush()

    def reply(self, status, body, extra=()):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def user(self):
        """the Basic user name if the credentials are right, "" if there
        are none, None if they are wrong"""
        h = self.headers.get("Authorization")
        if not h:
            return ""
        kind, _, b = h.partition(" ")
        if kind.lower() != "basic":
            return None
        try:
            u, _, p = base64.b64decode(b, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        o = self.server.opts
        if o.user is None or (u, p) != (o.user, o.password):
            return None
        return u

    def do_GET(self):
        o = self.server.opts
        auth = "yes" if self.headers.get("Authorization") else "no"
        u = self.user()
        if u is None or (o.user is not None and u == ""):
            self.log_line(401, auth)
            self.reply(401, {"errors": [{"code": "UNAUTHORIZED", "message": "bad credentials"}]},
                       [("WWW-Authenticate", 'Basic realm="%s"' % ISSUER)])
            return
        q = parse_qs(urlsplit(self.path).query)
        access = []
        for s in q.get("scope", []):
            # one scope parameter may hold several, space separated
            for one in s.split():
                a = parse_scope(one)
                if a is None:
                    self.log_line(400, auth)
                    self.reply(400, {"errors": [{"code": "INVALID_SCOPE", "message": one}]})
                    return
                access.append(a)
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "sub": u,
            "aud": q.get("service", [""])[0],
            "exp": now + o.expires_in,
            "nbf": now - 1,
            "iat": now,
            "jti": uuid.uuid4().hex,
            "access": access,
        }
        token = self.server.signer.sign(claims)
        self.log_line(200, auth)
        self.reply(200, {o.field: token, "expires_in": o.expires_in,
                         "issued_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))})

    do_HEAD = do_GET


def main():
    ap = argparse.ArgumentParser(description="a Bearer token issuer for the registry tests")
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--cert", required=True, help="the signing certificate, PEM")
    ap.add_argument("--key", required=True, help="its key, PEM (EC P-256 or RSA)")
    ap.add_argument("--header", choices=["x5c", "kid"], default="x5c")
    ap.add_argument("--user")
    ap.add_argument("--pass", dest="password")
    ap.add_argument("--field", choices=["token", "access_token"], default="token")
    ap.add_argument("--expires-in", type=int, default=300)
    ap.add_argument("--log")
    o = ap.parse_args()
    if (o.user is None) != (o.password is None):
        ap.error("--user and --pass go together")
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.opts = o
    srv.signer = Signer(o.cert, o.key, o.header)
    srv.log = open(o.log, "a") if o.log else None
    srv.log_lock = threading.Lock()
    tmp = o.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, o.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
