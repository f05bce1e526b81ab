/* Grow the last partition to the end of a disk that got bigger (a VM disk
 * resized, an image flashed to a larger drive). The backup GPT lives in the
 * last LBAs, so it moves first; the primary is rewritten last, so a power
 * cut leaves either the old primary with its old backup or the new pair. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "initramfs.h"

/* GPT header fields (UEFI 2.x, 5.3.2), little-endian */
#define H_SIGNATURE 0
#define H_SIZE 12
#define H_CRC 16
#define H_MY_LBA 24
#define H_ALTERNATE_LBA 32
#define H_FIRST_USABLE 40
#define H_LAST_USABLE 48
#define H_ENTRIES_LBA 72
#define H_NUM_ENTRIES 80
#define H_ENTRY_SIZE 84
#define H_ENTRIES_CRC 88
#define H_MIN_SIZE 92

/* partition entry fields */
#define E_TYPE 0
#define E_FIRST_LBA 32
#define E_LAST_LBA 40
#define E_NAME 56
#define E_NAME_CHARS 36

#define ENTRIES_MAX (1u << 20) /* bytes; sfdisk writes 16 KiB */
#define SECTOR_MAX 4096u

/* protective MBR: first partition record */
#define MBR_PART0 446
#define MBR_TYPE 4
#define MBR_SIZE 12

static int io_at(int fd, void *buf, size_t len, uint64_t off, int write_it)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = write_it ? pwrite(fd, (char *)buf + done, len - done, (off_t)(off + done))
				     : pread(fd, (char *)buf + done, len - done, (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0) {
			errno = ENXIO;
			return -1;
		}
		done += (size_t)n;
	}
	return 0;
}

static void header_seal(unsigned char *h)
{
	put_le(h + H_CRC, 4, 0);
	put_le(h + H_CRC, 4, crc32_gpt(h, (size_t)get_le(h + H_SIZE, 4)));
}

static int header_valid(unsigned char *h, unsigned sector)
{
	uint32_t size = (uint32_t)get_le(h + H_SIZE, 4), crc = (uint32_t)get_le(h + H_CRC, 4), calc;

	if (memcmp(h + H_SIGNATURE, "EFI PART", 8) != 0 || size < H_MIN_SIZE || size > sector)
		return 0;
	put_le(h + H_CRC, 4, 0);
	calc = crc32_gpt(h, size);
	put_le(h + H_CRC, 4, crc);
	return calc == crc;
}

/* the PARTLABEL is UTF-16LE; Berth's labels are ASCII */
static int name_is(const unsigned char *entry, const char *label)
{
	size_t len = strlen(label);

	if (len > E_NAME_CHARS)
		return 0;
	for (size_t i = 0; i < E_NAME_CHARS; i++) {
		unsigned c = (unsigned)get_le(entry + E_NAME + 2 * i, 2);
		if (i == len)
			return c == 0;
		if (c != (unsigned char)label[i])
			return 0;
	}
	return 1;
}

static int is_used(const unsigned char *entry)
{
	static const unsigned char zero[16];

	return memcmp(entry + E_TYPE, zero, sizeof zero) != 0;
}

int gpt_grow(int fd, unsigned sector, uint64_t disk_bytes, const char *label,
	     struct gpt_grown *out, struct error *e)
{
	static unsigned char primary[SECTOR_MAX], backup[SECTOR_MAX], mbr[SECTOR_MAX], zero[SECTOR_MAX];
	unsigned char *entries = NULL, *found = NULL;
	uint64_t last_lba, entries_lba, old_alternate, entries_sectors, last_usable, first_usable;
	uint32_t num, esize, i;
	size_t ebytes;
	int r = -1;

	memset(out, 0, sizeof *out);
	if (sector < 512 || sector > SECTOR_MAX || (sector & (sector - 1)))
		return error_set(e, "unsupported sector size %u", sector);
	last_lba = disk_bytes / sector - 1;
	if (io_at(fd, primary, sector, sector, 0) != 0)
		return error_errno(e, "read primary GPT header");
	if (!header_valid(primary, sector))
		return error_set(e, "primary GPT header is missing or fails its CRC check; not touching the disk");
	if (get_le(primary + H_MY_LBA, 8) != 1)
		return error_set(e, "primary GPT header does not say it is at LBA 1");

	num = (uint32_t)get_le(primary + H_NUM_ENTRIES, 4);
	esize = (uint32_t)get_le(primary + H_ENTRY_SIZE, 4);
	entries_lba = get_le(primary + H_ENTRIES_LBA, 8);
	old_alternate = get_le(primary + H_ALTERNATE_LBA, 8);
	first_usable = get_le(primary + H_FIRST_USABLE, 8);
	if (esize < 128 || esize % 8 != 0 || num == 0 || (uint64_t)num * esize > ENTRIES_MAX)
		return error_set(e, "GPT entry array of %u x %u bytes is not plausible", num, esize);
	ebytes = (size_t)num * esize;
	entries_sectors = (ebytes + sector - 1) / sector;
	if (last_lba < old_alternate)
		return error_set(e, "disk of %llu sectors is smaller than its GPT says (backup at LBA %llu)",
				 (unsigned long long)(last_lba + 1), (unsigned long long)old_alternate);

	entries = calloc(1, entries_sectors * sector);
	if (!entries)
		return error_errno(e, "GPT entries");
	if (io_at(fd, entries, ebytes, entries_lba * sector, 0) != 0) {
		error_errno(e, "read GPT entries at LBA %llu", (unsigned long long)entries_lba);
		goto out;
	}
	if (crc32_gpt(entries, ebytes) != (uint32_t)get_le(primary + H_ENTRIES_CRC, 4)) {
		error_set(e, "GPT partition entries fail their CRC check; not touching the disk");
		goto out;
	}

	for (i = 0; i < num; i++) {
		unsigned char *en = entries + (size_t)i * esize;
		if (is_used(en) && name_is(en, label)) {
			if (found) {
				error_set(e, "two partitions are named %s", label);
				goto out;
			}
			found = en;
			out->partn = i + 1;
		}
	}
	if (!found) {
		error_set(e, "no partition named %s", label);
		goto out;
	}
	out->first_lba = get_le(found + E_FIRST_LBA, 8);
	out->last_lba = get_le(found + E_LAST_LBA, 8);
	for (i = 0; i < num; i++) {
		unsigned char *en = entries + (size_t)i * esize;
		if (en != found && is_used(en) && get_le(en + E_FIRST_LBA, 8) > out->last_lba) {
			error_set(e, "%s is not the last partition (partition %u follows it)", label, i + 1);
			goto out;
		}
	}

	last_usable = last_lba - entries_sectors - 1;
	if (last_usable < out->last_lba || last_usable < first_usable) {
		error_set(e, "no room to grow %s: it ends at LBA %llu, the disk's last usable LBA is %llu",
			  label, (unsigned long long)out->last_lba, (unsigned long long)last_usable);
		goto out;
	}
	if (old_alternate == last_lba && out->last_lba == last_usable &&
	    get_le(primary + H_LAST_USABLE, 8) == last_usable) {
		r = 0; /* already grown */
		goto out;
	}

	put_le(found + E_LAST_LBA, 8, last_usable);
	out->last_lba = last_usable;
	put_le(primary + H_ALTERNATE_LBA, 8, last_lba);
	put_le(primary + H_LAST_USABLE, 8, last_usable);
	put_le(primary + H_ENTRIES_CRC, 4, crc32_gpt(entries, ebytes));
	header_seal(primary);

	memcpy(backup, primary, sector);
	put_le(backup + H_MY_LBA, 8, last_lba);
	put_le(backup + H_ALTERNATE_LBA, 8, 1);
	put_le(backup + H_ENTRIES_LBA, 8, last_lba - entries_sectors);
	header_seal(backup);

	if (io_at(fd, entries, entries_sectors * sector, (last_lba - entries_sectors) * sector, 1) != 0 ||
	    io_at(fd, backup, sector, last_lba * sector, 1) != 0 || fsync(fd) != 0) {
		error_errno(e, "write backup GPT at LBA %llu", (unsigned long long)last_lba);
		goto out;
	}
	if (io_at(fd, entries, entries_sectors * sector, entries_lba * sector, 1) != 0 ||
	    io_at(fd, primary, sector, sector, 1) != 0 || fsync(fd) != 0) {
		error_errno(e, "write primary GPT");
		goto out;
	}
	out->changed = 1;

	/* the old backup header now lies inside the grown partition: a stale
	 * "EFI PART" there would confuse tools that search for one */
	if (old_alternate != last_lba && old_alternate > 1)
		io_at(fd, zero, sector, old_alternate * sector, 1);

	/* the protective MBR spans the whole disk (capped at 32 bits) */
	if (io_at(fd, mbr, sector, 0, 0) == 0 && mbr[510] == 0x55 && mbr[511] == 0xaa &&
	    mbr[MBR_PART0 + MBR_TYPE] == 0xee) {
		put_le(mbr + MBR_PART0 + MBR_SIZE, 4, last_lba > 0xffffffffu ? 0xffffffffu : last_lba);
		io_at(fd, mbr, sector, 0, 1);
	}
	fsync(fd);
	r = 0;
out:
	free(entries);
	return r;
}
