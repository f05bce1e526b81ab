/* CRC-32 for GPT headers and entry arrays (UEFI spec: the IEEE 802.3
 * polynomial, reflected, initial value and final xor 0xffffffff). Bitwise:
 * a GPT is a few KiB, a table would only cost size. */
#include "initramfs.h"

uint32_t crc32_gpt(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint32_t crc = 0xffffffffu;

	while (len--) {
		crc ^= *p++;
		for (int i = 0; i < 8; i++)
			crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1)));
	}
	return ~crc;
}
