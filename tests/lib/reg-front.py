# reg-front.py --mode MODE --port-file F [--upstream URL [--upstream-ca CA]]
# [--log F]: a misbehaving front for a registry, for the pull tests.
#
# Listens on 127.0.0.1 port 0 (written to --port-file, whole, by a rename) and
# proxies to --upstream, streaming bodies and passing headers through (the
# hop-by-hop ones aside), Host and Authorization included, except where the
# mode says otherwise:
#
#   redirect      GET /v2/NAME/blobs/DIGEST the upstream has (HEAD 200) is
#                 answered 307 to http://localhost:PORT2/...?sig=TICKET, a
#                 second listener: a presigned URL, it fetches the blob with
#                 the Authorization of the first request, so the client must
#                 send none there (a different host:port); the log says
#                 whether it did. --pad N makes the URL N bytes longer
#                 (&token=..., as a storage service's session token does).
#   drop-once     the first GET of a blob answered 200 gets its headers
#                 (full Content-Length) and half its body, then the socket is
#                 closed; later ones, with their Range, are proxied (206).
#   drop-always   as drop-once, every time: each GET of a blob (200 or 206)
#                 gets half its body (a transfer that never completes).
#   wrong-range   as drop-once, but a later GET of that blob with a Range
#                 is answered 206 from byte 0 (Content-Range bytes 0-…):
#                 a server whose ranges cannot be trusted.
#   stall-once    as drop-once, but the socket is then held open and
#                 silent (a peer that hangs: the client is killed there)
#   429-once      the first request to each path gets 429 with Retry-After: 1.
#   huge-manifest every GET of a manifest by tag is answered 200 with 5 MiB
#                 of an OCI manifest's JSON, with a Content-Length, or
#                 chunked (--chunked): over the distribution spec's 4 MiB.
#   forbid        every GET of a manifest is answered 403 with the
#                 distribution spec's DENIED error.
#   connect-proxy an HTTP forward proxy to loopback only: CONNECT host:port
#                 tunnels, GET http://host:port/... is forwarded.
#
# --log F: a line a request, written before the body is sent:
#   LISTENER METHOD TARGET STATUS auth=yes|no [range=R] [EVENT]
# LISTENER is front, redirected (the second listener) or proxy; EVENT is
# location=URL, cut=SENT/TOTAL or retry-after=1. Credentials are never
# written.

import argparse
import http.client
import os
import re
import secrets
import select
import socket
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

BLOB = re.compile(r"^/v2/(.+)/blobs/(sha256:[0-9a-f]{64})$")
HOP = {"connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization",
       "te", "trailer", "transfer-encoding", "upgrade"}
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
CHUNK = 64 * 1024


class State:
    def __init__(self, opts):
        self.opts = opts
        self.lock = threading.Lock()
        self.log = open(opts.log, "a") if opts.log else None
        self.seen = set()  # the "once" of drop-once and 429-once
        self.tickets = {}  # redirect: ticket -> the first request's Authorization
        self.port2 = None
        up = urlsplit(opts.upstream) if opts.upstream else None
        self.up = up
        self.ctx = None
        if up and up.scheme == "https":
            self.ctx = ssl.create_default_context(cafile=opts.upstream_ca)

    def once(self, key):
        """True the first time KEY is asked about"""
        with self.lock:
            if key in self.seen:
                return False
            self.seen.add(key)
            return True

    def write(self, line):
        if self.log:
            with self.lock:
                self.log.write(line + "\n")
                self.log.flush()


STALL_S = 120  # stall-once: longer than any test waits

def connect(scheme, host, port, ctx=None):
    if scheme == "https":
        return http.client.HTTPSConnection(host, port, timeout=60, context=ctx)
    return http.client.HTTPConnection(host, port, timeout=60)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    listener = "front"

    def log_message(self, fmt, *args):
        pass

    @property
    def st(self):
        return self.server.state

    def note(self, status, target=None, event=""):
        listener = "proxy" if self.st.opts.mode == "connect-proxy" else self.listener
        line = "%s %s %s %d auth=%s" % (listener, self.command, target or self.path, status,
                                        "yes" if self.headers.get("Authorization") else "no")
        if self.headers.get("Range"):
            line += " range=" + self.headers["Range"]
        if event:
            line += " " + event
        self.st.write(line)

    def body_chunks(self):
        """the request's body as it arrives: (chunks, chunked?)"""
        te = self.headers.get("Transfer-Encoding", "").lower()
        if "chunked" in te:
            def chunked():
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                    if size == 0:
                        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                            pass
                        return
                    left = size
                    while left:
                        b = self.rfile.read(min(left, CHUNK))
                        if not b:
                            return
                        left -= len(b)
                        yield b
                    self.rfile.readline()
            return chunked(), True
        n = int(self.headers.get("Content-Length") or 0)

        def sized():
            left = n
            while left:
                b = self.rfile.read(min(left, CHUNK))
                if not b:
                    return
                left -= len(b)
                yield b
        return sized(), False

    def upstream(self, method, path, headers, scheme=None, host=None, port=None, body=True):
        """send the request on, its body streamed; returns the response"""
        if scheme is None:
            up = self.st.up
            scheme, host, port = up.scheme, up.hostname, up.port or (443 if up.scheme == "https" else 80)
        conn = connect(scheme, host, port, self.st.ctx)
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        has_host = False
        for k, v in headers:
            if k.lower() in HOP or k.lower() == "content-length":
                continue
            has_host |= k.lower() == "host"
            conn.putheader(k, v)
        if not has_host:
            conn.putheader("Host", "%s:%d" % (host, port))
        chunks, chunked = self.body_chunks() if body else (iter(()), False)
        if chunked:
            conn.putheader("Transfer-Encoding", "chunked")
        elif self.headers.get("Content-Length") is not None:
            conn.putheader("Content-Length", self.headers["Content-Length"])
        conn.endheaders()
        for b in chunks:
            conn.send(b"%x\r\n%s\r\n" % (len(b), b) if chunked else b)
        if chunked:
            conn.send(b"0\r\n\r\n")
        return conn.getresponse()

    def relay(self, resp, target=None, event="", cut=False, stall=False):
        """the upstream's response to the client, streamed; with CUT, half
        the body and then the socket closed"""
        length = resp.getheader("Content-Length")
        nobody = self.command == "HEAD" or resp.status in (204, 304) or 100 <= resp.status < 200
        total = int(length) if length is not None else None
        if cut and total:
            event = "cut=%d/%d" % (total // 2, total)
        self.note(resp.status, target, event)
        self.started = True
        self.send_response_only(resp.status, resp.reason)
        for k, v in resp.getheaders():
            if k.lower() not in HOP:
                self.send_header(k, v)
        if length is None and not nobody:
            # no length to pass on: the end of the body is the close
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if nobody:
            resp.close()
            return
        left = total // 2 if cut and total else None
        while left is None or left > 0:
            b = resp.read(CHUNK if left is None else min(CHUNK, left))
            if not b:
                break
            self.wfile.write(b)
            if left is not None:
                left -= len(b)
        resp.close()
        if cut and total:
            self.wfile.flush()
            if stall:
                time.sleep(STALL_S)
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)

    def huge(self):
        """huge-manifest: 5 MiB that would parse as a manifest"""
        size = 5 << 20
        head = b'{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","x":"'
        body = head + b"a" * (size - len(head) - 2) + b'"}'
        self.note(200, event="huge=%d" % size)
        self.send_response_only(200)
        self.send_header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
        if self.st.opts.chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(size))
        self.end_headers()
        for i in range(0, size, CHUNK):
            part = body[i:i + CHUNK]
            try:
                if self.st.opts.chunked:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
                else:
                    self.wfile.write(part)
            except (BrokenPipeError, ConnectionResetError):
                return
        if self.st.opts.chunked:
            self.wfile.write(b"0\r\n\r\n")

    def fail(self, status, msg):
        data = (msg + "\n").encode()
        self.note(status)
        self.send_response_only(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def proxy(self):
        mode = self.st.opts.mode
        path = urlsplit(self.path).path
        if mode == "connect-proxy":
            return self.forward()
        if mode == "429-once" and self.st.once(path):
            for _ in self.body_chunks()[0]:
                pass
            data = b'{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}\n'
            self.note(429, event="retry-after=1")
            self.send_response_only(429)
            self.send_header("Retry-After", "1")
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        if mode == "huge-manifest" and self.command == "GET" and re.match(r"^/v2/.+/manifests/[^:]+$", path):
            return self.huge()
        if mode == "forbid" and self.command == "GET" and re.match(r"^/v2/.+/manifests/", path):
            data = b'{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}\n'
            self.note(403)
            self.send_response_only(403)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        blob = self.command == "GET" and BLOB.match(path)
        if mode == "redirect" and blob:
            resp = self.upstream("HEAD", self.path, self.headers.items(), body=False)
            resp.read()
            resp.close()
            if resp.status == 200:
                ticket = secrets.token_hex(8)
                with self.st.lock:
                    self.st.tickets[ticket] = self.headers.get("Authorization")
                # the signature last, as a storage service puts it: a URL
                # cut short is refused there
                pad = "token=%s&" % ("x" * max(0, self.st.opts.pad - 7)) if self.st.opts.pad else ""
                loc = "http://localhost:%d%s?%ssig=%s" % (self.st.port2, path, pad, ticket)
                self.note(307, event="location=" + loc[:200])
                self.send_response_only(307)
                self.send_header("Location", loc)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
        if mode == "wrong-range" and blob and self.headers.get("Range") and path in self.st.seen:
            resp = self.upstream(self.command, self.path,
                                 [(k, v) for k, v in self.headers.items() if k.lower() != "range"])
            total = resp.getheader("Content-Length")
            self.note(206, event="content-range=0")
            self.send_response_only(206)
            self.send_header("Content-Range", "bytes 0-%d/%s" % (int(total) - 1, total))
            self.send_header("Content-Length", total)
            self.end_headers()
            while True:
                b = resp.read(CHUNK)
                if not b:
                    break
                self.wfile.write(b)
            resp.close()
            return
        resp = self.upstream(self.command, self.path, self.headers.items())
        cut = (mode in ("drop-once", "stall-once", "wrong-range") and blob and resp.status == 200 and self.st.once(path)) or \
            (mode == "drop-always" and blob and resp.status in (200, 206))
        self.relay(resp, cut=cut, stall=mode == "stall-once")

    def forward(self):
        """connect-proxy: an absolute-URI request, forwarded"""
        u = urlsplit(self.path)
        if u.scheme != "http" or u.hostname not in LOOPBACK:
            return self.fail(403, "this proxy forwards http:// to loopback only")
        target = u.path + ("?" + u.query if u.query else "")
        resp = self.upstream(self.command, target or "/", self.headers.items(),
                             "http", u.hostname, u.port or 80)
        self.relay(resp, target=self.path)

    def do_CONNECT(self):
        host, _, port = self.path.rpartition(":")
        host = host.strip("[]")
        if self.st.opts.mode != "connect-proxy" or host not in LOOPBACK or not port.isdigit():
            return self.fail(403, "CONNECT to loopback only, in connect-proxy mode")
        try:
            dst = socket.create_connection((host, int(port)), timeout=10)
        except OSError as e:
            return self.fail(502, "CONNECT %s: %s" % (self.path, e))
        self.note(200)
        self.send_response_only(200, "Connection Established")
        self.end_headers()
        self.wfile.flush()
        self.close_connection = True
        src = self.connection
        dst.settimeout(None)
        src.settimeout(None)
        # bytes both ways until either side closes
        socks = [src, dst]
        try:
            while True:
                r, _, _ = select.select(socks, [], [], 120)
                if not r:
                    break
                for s in r:
                    b = s.recv(CHUNK)
                    if not b:
                        return
                    (dst if s is src else src).sendall(b)
        except OSError:
            pass
        finally:
            dst.close()

    def do_GET(self):
        self.started = False  # one handler serves a connection's requests
        try:
            self.proxy()
        except (OSError, http.client.HTTPException) as e:
            self.close_connection = True
            if self.started:
                return  # too late for a status: the short body says it
            try:
                self.fail(502, "upstream: %s" % e)
            except OSError:
                pass

    do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_GET


class Redirected(Handler):
    """the redirect mode's second listener: the presigned blob URLs"""
    listener = "redirected"

    def proxy(self):
        u = urlsplit(self.path)
        ticket = dict(p.partition("=")[::2] for p in u.query.split("&")).get("sig")
        with self.st.lock:
            known = ticket in self.st.tickets
            auth = self.st.tickets.get(ticket)
        if not known or not BLOB.match(u.path):
            return self.fail(403, "no such presigned URL")
        headers = [(k, v) for k, v in self.headers.items() if k.lower() not in ("authorization", "host")]
        if auth:
            headers.append(("Authorization", auth))
        resp = self.upstream(self.command, u.path, headers)
        self.relay(resp)


class Server(ThreadingHTTPServer):
    daemon_threads = True


def main():
    ap = argparse.ArgumentParser(description="a misbehaving front for a registry")
    ap.add_argument("--mode", required=True, choices=["redirect", "drop-once", "drop-always", "wrong-range", "stall-once", "429-once", "huge-manifest", "forbid",
                                                     "connect-proxy"])
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--upstream", help="http://127.0.0.1:PORT (all modes but connect-proxy)")
    ap.add_argument("--upstream-ca", help="the CA of an https:// upstream")
    ap.add_argument("--log")
    ap.add_argument("--pad", type=int, default=0, help="redirect: bytes more in the Location")
    ap.add_argument("--chunked", action="store_true", help="huge-manifest: no Content-Length")
    o = ap.parse_args()
    if o.mode != "connect-proxy" and not o.upstream:
        ap.error("--upstream is needed in mode " + o.mode)
    state = State(o)
    srv = Server(("127.0.0.1", 0), Handler)
    srv.state = state
    if o.mode == "redirect":
        second = Server(("127.0.0.1", 0), Redirected)
        second.state = state
        state.port2 = second.server_address[1]
        threading.Thread(target=second.serve_forever, daemon=True).start()
    tmp = o.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, o.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
