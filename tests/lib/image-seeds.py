# image-seeds.py DIR LAYOUT DOCKER.tar: seeds for the image fuzz target
# (berth/fuzz/fuzz-image.c) in DIR: each is the target's selector byte, then
# the input: 0 a layer tar, 1 an archive, 2 a JSON document. LAYOUT is an OCI
# layout umoci wrote, DOCKER.tar a docker save archive skopeo wrote.
import io, json, os, sys, tarfile
out, layout, docker = sys.argv[1:4]
def put(name, sel, data):
    open(os.path.join(out, name), "wb").write(bytes([sel]) + data)
def ti(name, kind=tarfile.REGTYPE, data=b"", **kw):
    i = tarfile.TarInfo(name)
    i.type, i.mtime, i.mode = kind, 1700000000, 0o644
    i.size = len(data) if kind == tarfile.REGTYPE else 0
    for k, v in kw.items():
        setattr(i, k, v)
    return i, (io.BytesIO(data) if kind == tarfile.REGTYPE else None)
def tar(fmt, members):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w", format=fmt) as t:
        for i, f in members:
            t.addfile(i, f)
    return b.getvalue()
# every entry type, a pax xattr and fractional mtime, long names
# (pax path, or GNU 'L' and 'K'), a base-256 uid, a whiteout
layer = lambda: [ti("d", tarfile.DIRTYPE, mode=0o755),
    ti("d/f", data=b"hello\n", uid=1000, gid=1001, mtime=1700000000.5,
       pax_headers={"SCHILY.xattr.user.note": "tested"}),
    ti("d/l", tarfile.SYMTYPE, linkname="f"), ti("d/h", tarfile.LNKTYPE, linkname="d/f"),
    ti("d/p", tarfile.FIFOTYPE), ti("d/c", tarfile.CHRTYPE, devmajor=1, devminor=3),
    ti("d/" + "x" * 150, data=b"long\n" * 200, uid=3000000),
    ti("d/y", tarfile.SYMTYPE, linkname="z" * 120), ti("d/.wh.gone")]
pax = tar(tarfile.PAX_FORMAT, layer())
put("layer-pax", 0, pax)
put("layer-gnu", 0, tar(tarfile.GNU_FORMAT, layer()))
put("layer-short", 0, pax[:1500])
# a small archive whose members are reached through links
archive = tar(tarfile.PAX_FORMAT, [ti("blobs", tarfile.DIRTYPE, mode=0o755),
    ti("./blobs/idx", data=b'{"schemaVersion":2,"manifests":[]}'),
    ti("index.json", tarfile.SYMTYPE, linkname="blobs/./idx"),
    ti("oci-layout", tarfile.LNKTYPE, linkname="blobs/idx"),
    ti("blobs/loop", tarfile.SYMTYPE, linkname="loop")])
put("archive", 1, archive)
put("archive-noend", 1, archive[:2048])
# the documents umoci and skopeo wrote
def blob(d):
    return open(layout + "/blobs/sha256/" + d.split(":")[1], "rb").read()
index = open(layout + "/index.json", "rb").read()
manifest = blob(json.loads(index)["manifests"][0]["digest"])
put("index.json", 2, index)
put("manifest", 2, manifest)
put("config", 2, blob(json.loads(manifest)["config"]["digest"]))
with tarfile.open(docker) as t:
    put("manifest.json", 2, t.extractfile("manifest.json").read())
put("json-nul", 2, b'{"a":"\0"}')
