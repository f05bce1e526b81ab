# sparse-hostile.py DIR: sparse layer tars GNU tar would not write, each in
# DIR/NAME.tar after a 6-byte file, so the sparse entry's headers start at tar
# offset 1024 (tests/host/sparse.bats names the refusal of each)
import io, sys, tarfile
out = sys.argv[1]
def layer(name, pax, data, member="GNUSparseFile.0/f", raw=None):
    with tarfile.open(out + "/" + name + ".tar", "w", format=tarfile.PAX_FORMAT) as tf:
        i = tarfile.TarInfo("small"); i.size = 6
        tf.addfile(i, io.BytesIO(b"small\n"))
        if raw is not None:
            # an extended header written by hand: repeated keys, in order
            recs = b""
            for k, v in raw:
                body = " %s=%s\n" % (k, v)
                n = len(body) + 1
                while len(str(n)) + len(body) != n:
                    n += 1
                recs += (str(n) + body).encode()
            x = tarfile.TarInfo("PaxHeaders/f"); x.type = tarfile.XHDTYPE; x.size = len(recs)
            tf.addfile(x, io.BytesIO(recs))
        i = tarfile.TarInfo(member); i.size = len(data); i.pax_headers = pax
        tf.addfile(i, io.BytesIO(data))
def v1(name, realsize, maptext, data, major="1", pad=True):
    m = maptext.encode()
    if pad:
        m += b"\0" * (-len(m) % 512)
    layer(name, {"GNU.sparse.major": major, "GNU.sparse.minor": "0", "GNU.sparse.name": "f",
                 "GNU.sparse.realsize": str(realsize)}, m + data)
def v01(name, realsize, sparse_map, data):
    layer(name, {"GNU.sparse.size": str(realsize), "GNU.sparse.name": "f",
                 "GNU.sparse.map": sparse_map}, data)
v1("past", 100, "1\n50\n100\n", b"x" * 100)
v1("notnum", 100, "1\n5O\n10\n", b"x" * 10)
v1("truncated", 100, "3\n0\n10\n", b"x" * 10)
v1("unpadded", 100, "1\n0\n5\n", b"", pad=False)
v1("toomany", 100, "65537\n", b"")
v1("version", 100, "1\n0\n10\n", b"x" * 10, major="2")
v01("overlap", 100, "0,10,5,10", b"x" * 20)
v01("sum", 100, "0,10", b"x" * 20)
v01("mapnum", 100, "0,ten", b"x" * 10)
layer("escape", {"GNU.sparse.major": "1", "GNU.sparse.minor": "0", "GNU.sparse.name": "../escape",
                 "GNU.sparse.realsize": "10"}, b"1\n0\n10\n".ljust(512, b"\0") + b"x" * 10)
layer("turn", {}, b"x" * 10, member="f",
      raw=[("GNU.sparse.size", "100"), ("GNU.sparse.offset", "0"), ("GNU.sparse.offset", "10")])
