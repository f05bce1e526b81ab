# table.jq: the rows of `make bench`'s table from out/bench.json, one a line,
# tab-separated: figure, Berth, floor (the peer's figure in the peer rows),
# ratio, goal. A figure that is null comes out as "null" and report.sh prints
# it as "missing"; "-" means the column does not apply to the row.

def ratio(a; b): if a == null or b == null or b == 0 then "-" else a / b end;
# a figure beside its floor (or the peer's figure) and their ratio
def row(name; a; b; goal): [name, a, b, ratio(a; b), goal];
# a figure with nothing to compare it with
def alone(name; a; goal): [name, a, "-", "-", goal];
def kib_to_bytes: if . == null then null else . * 1024 end;

(["figure", "Berth", "floor", "ratio", "goal"]),
(("direct", "uefi") as $m | .boot[$m] as $b |
	row("boot to ready, guest s (\($m))"; $b.ready_guest_s; $b.floor_guest_s; "<= floor + 0.5 s"),
	row("boot to ready, wall s (\($m))"; $b.ready_wall_s; $b.floor_wall_s; "<= floor + 1 s"),
	row("boot to first container, guest s (\($m))"; $b.first_container_guest_s; $b.floor_guest_s; "<= floor + 1 s"),
	row("boot to first container, wall s (\($m))"; $b.first_container_wall_s; $b.floor_wall_s; "<= floor + 1.5 s"),
	alone("userspace: init start to ready (\($m))"; .userspace["init_start_to_ready_\($m)_s"]; "<= 0.5 s")),
alone("memory used after idle boot, KiB"; .memory.used_after_idle_boot_kib; "<= 32768"),
alone("memory per extra container, KiB"; .memory.per_extra_container_kib; "<= 4096"),
alone("supervision RSS per container, KiB"; .memory.supervision_rss_per_container_kib; "<= 2048"),
alone("PID 1 RSS, KiB"; .memory.pid1_rss_kib; "<= 1024"),
alone("UKI, bytes"; .sizes.uki; "<= 8 MiB"),
alone("  kernel, bytes"; .sizes.kernel; "-"),
alone("  initramfs, bytes"; .sizes.initramfs; "-"),
alone("root image with hash tree, bytes"; .sizes.root_image; "<= 16 MiB"),
alone("disk image raw, bytes"; .sizes.disk_raw; "-"),
alone("disk image allocated, bytes"; .sizes.disk_raw_allocated; "-"),
alone("disk image zstd -19, bytes"; .sizes.disk_zstd; "<= 16 MiB"),
alone("update bundle, bytes"; .sizes.bundle; "<= 16 MiB"),
((.sizes.binaries // {}) | to_entries[] | alone("  \(.key), bytes"; .value; "-")),
row("container start, s: berth run vs crun run"; .container_start.berth_run_s; .container_start.crun_run_s; "<= 1.2x crun"),
row("update install MiB/s vs dd"; .update.install_rate_mib_s; .update.dd_rate_mib_s; ">= 0.8x dd"),
alone("pull: a 5-layer image, bytes"; .pull.image_bytes; "about 100 MB"),
row("pull, s: berth pull (verify, unpack) vs skopeo copy"; .pull.berth_pull_s; .pull.skopeo_copy_s; "<= 1.0x skopeo"),
alone("pull: berth's peak RSS, KiB"; .pull.berth_peak_rss_kib; "<= 16384"),
alone("  curl + wolfSSL in berth, bytes"; .pull.tls.curl_wolfssl_in_berth; "-"),
alone("  curl + wolfSSL in provision, bytes"; .pull.tls.curl_wolfssl_in_provision; "-"),
alone("  CA bundle, bytes"; .pull.tls.ca_bundle; "-"),
alone("curl + wolfSSL + CA bundle in the root, bytes"; .pull.tls.total; "<= 1.5 MiB"),
(if .peer == null then empty else
	(["against the peer (Debian 12 + systemd + crun)", "Berth", "peer", "ratio", "goal"]),
	row("peer: boot to first container, guest s (direct)"; .boot.direct.first_container_guest_s; .peer.median_guest_uptime_at_container_s; "Berth < peer"),
	row("peer: boot to first container, wall s (direct)"; .boot.direct.first_container_wall_s; .peer.median_wall_to_container_s; "Berth < peer"),
	row("peer: floor, guest s (direct)"; .boot.direct.floor_guest_s; .peer.median_floor_guest_uptime_s; "-"),
	row("peer: floor, wall s (direct)"; .boot.direct.floor_wall_s; .peer.median_floor_wall_to_marker_s; "-"),
	row("peer: idle memory, KiB"; .memory.used_after_idle_boot_kib; .peer.median_idle_mem_used_kib; "Berth < peer"),
	row("peer: kernel + initramfs, bytes"; .sizes.uki; .peer.sizes.kernel_plus_initrd_bytes; "Berth < peer"),
	row("peer: root fs, bytes (Berth: root image; peer: du)"; .sizes.root_image; (.peer.sizes.rootfs_du_kib | kib_to_bytes); "Berth < peer"),
	row("peer: disk image, bytes (peer: ext4 root)"; .sizes.disk_raw; .peer.sizes.ext4_image_bytes; "-"),
	row("peer: disk image allocated, bytes"; .sizes.disk_raw_allocated; .peer.sizes.ext4_image_allocated_bytes; "Berth < peer")
end)
| map(if . == null then "null" else tostring end) | @tsv
