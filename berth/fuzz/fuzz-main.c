/* Runs a libFuzzer target over files, without libFuzzer: for a machine
 * with no clang, and for checking that seeds reach where they should.
 * Prints "FILE: RESULT" for each. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
extern const char *fuzz_result;

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		size_t cap = 1 << 16, len = 0, n;
		uint8_t *buf = malloc(cap);

		if (!f || !buf) {
			perror(argv[i]);
			return 1;
		}
		while ((n = fread(buf + len, 1, cap - len, f)) > 0) {
			len += n;
			if (len == cap && !(buf = realloc(buf, cap *= 2))) {
				perror("realloc");
				return 1;
			}
		}
		fclose(f);
		LLVMFuzzerTestOneInput(buf, len);
		printf("%s: %s\n", argv[i], fuzz_result);
		free(buf);
	}
	return 0;
}
