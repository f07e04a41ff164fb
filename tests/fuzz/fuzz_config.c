/*
 * Fuzz harness for the YAML configuration loader. Any input must give
 * either a configuration that passes or -EINVAL with a message of the form
 * "NAME:..." or "NAME: ..."; anything else, a crash or a read past the
 * input, is a bug.
 *
 * Built with -fsanitize=fuzzer and -DVG_FUZZ_LIBFUZZER, libFuzzer supplies
 * main(). Otherwise main() replays each file named on the command line,
 * whole and cut short at every byte, which turns the example configurations
 * into thousands of half-written files: the usual state of a file an
 * operator is still editing.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"

#define NAME "fuzz.yaml"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vg_config cfg;
	char err[1024];
	int rc;

	rc = vg_config_parse(&cfg, NAME, (const char *)data, size, err,
			     sizeof(err));
	if (rc == 0)
		return 0;
	if (rc != -EINVAL || strncmp(err, NAME ":", strlen(NAME ":")) != 0) {
		fprintf(stderr, "fuzz_config: rc=%d message='%s'\n", rc, err);
		abort();
	}
	return 0;
}

#ifndef VG_FUZZ_LIBFUZZER
/* Runs every prefix of <data>, each from a buffer of exactly its size. */
static unsigned long
replay_prefixes(const uint8_t *data, size_t size)
{
	size_t cut;

	for (cut = 0; cut <= size; cut++) {
		uint8_t *copy = malloc(cut > 0 ? cut : 1);

		if (copy == NULL) {
			fprintf(stderr, "fuzz_config: malloc(%zu) failed\n", cut);
			exit(1);
		}
		memcpy(copy, data, cut);
		LLVMFuzzerTestOneInput(copy, cut);
		free(copy);
	}
	return size + 1;
}

int
main(int argc, char **argv)
{
	unsigned long inputs = 0;
	int i;

	for (i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		uint8_t buf[65536];
		size_t size;

		if (f == NULL) {
			fprintf(stderr, "fuzz_config: open %s failed: %s\n",
				argv[i], strerror(errno));
			return 1;
		}
		size = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		inputs += replay_prefixes(buf, size);
	}
	printf("fuzz_config: %lu inputs from %d files, no failure\n", inputs,
	       argc - 1);
	return 0;
}
#endif
