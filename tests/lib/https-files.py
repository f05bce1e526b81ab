#!/usr/bin/env python3
"""https-files.py: a static HTTPS file server for the VM tests (seedfrom,
update bundles over HTTPS): the files of --dir, with the certificate
--cert/--key, on 127.0.0.1 (QEMU's user network reaches it as 10.0.2.2).
Binds port 0 and writes the port it got to --port-file; the access log goes
to --log."""
import argparse
import functools
import http.server
import os
import ssl
import sys


class Handler(http.server.SimpleHTTPRequestHandler):
    log_file = None

    def log_message(self, fmt, *args):
        if self.log_file:
            self.log_file.write("%s %s\n" % (self.address_string(), fmt % args))
            self.log_file.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log")
    opts = ap.parse_args()
    if opts.log:
        Handler.log_file = open(opts.log, "a", encoding="utf-8")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(opts.cert, opts.key)
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=opts.dir))
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    with open(opts.port_file + ".tmp", "w", encoding="utf-8") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(opts.port_file + ".tmp", opts.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
