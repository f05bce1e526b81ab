# mkoci.py DIR NAME:TAG [--bad-diffid] LAYER.tar...: an OCI layout with
# uncompressed layers, digests computed by hand; --bad-diffid makes the
# config name another DiffID for the last layer
import hashlib, json, os, sys

out, ref, args = sys.argv[1], sys.argv[2], sys.argv[3:]
bad = "--bad-diffid" in args
layers = [a for a in args if a != "--bad-diffid"]
os.makedirs(out + "/blobs/sha256")


def blob(data):
    h = hashlib.sha256(data).hexdigest()
    open(out + "/blobs/sha256/" + h, "wb").write(data)
    return {"digest": "sha256:" + h, "size": len(data)}


descs, diffids = [], []
for p in layers:
    data = open(p, "rb").read()
    d = blob(data)
    d["mediaType"] = "application/vnd.oci.image.layer.v1.tar"
    descs.append(d)
    diffids.append(d["digest"])
if bad:
    diffids[-1] = "sha256:" + "0" * 64
config = blob(json.dumps({"architecture": "amd64", "os": "linux", "created": "2024-01-02T03:04:05Z",
    "rootfs": {"type": "layers", "diff_ids": diffids}, "config": {}}).encode())
config["mediaType"] = "application/vnd.oci.image.config.v1+json"
man = blob(json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": config, "layers": descs}).encode())
man["mediaType"] = "application/vnd.oci.image.manifest.v1+json"
man["annotations"] = {"org.opencontainers.image.ref.name": ref}
json.dump({"schemaVersion": 2, "manifests": [man]}, open(out + "/index.json", "w"))
json.dump({"imageLayoutVersion": "1.0.0"}, open(out + "/oci-layout", "w"))
