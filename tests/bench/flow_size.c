/*
 * vigil-bench-flow-size: prints what one flow costs in an engine's memory,
 * measured on a real engine rather than taken from the comments in
 * engine/flow.h.
 *
 * It builds one vg_engine with the default configuration (the table size
 * vigild uses when the YAML file does not set flows.table_size, or the
 * size given as the only argument) and prints one line of key=value pairs:
 * the slot size, the bucket array spread over the slots, their sum (the
 * table's bytes per flow, which must stay at or below 256), and the nDPI
 * state pool the engine keeps for flows still under detection. capture.py
 * parses the line, so the key names are part of its interface.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ndpi/ndpi_api.h>

#include "common/config.h"
#include "engine/engine.h"

static int
parse_size(const char *text, uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(text, &end, 10);
	if (errno != 0 || *end != '\0' || text[0] == '\0' || v < 1024 ||
	    v > (1ul << 26))
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

int
main(int argc, char **argv)
{
	struct vg_config cfg;
	struct vg_engine *engine;
	const struct vg_flow_table *table;
	char err[512];
	double buckets_per_flow;
	double owed_per_flow;
	double table_per_flow;
	double pool_per_flow;
	size_t state_size = sizeof(struct ndpi_flow_struct);

	vg_config_defaults(&cfg);
	if (argc > 2 || (argc == 2 && parse_size(argv[1], &cfg.flow_table_size))) {
		fprintf(stderr,
			"usage: vigil-bench-flow-size [TABLE_SIZE]\n"
			"  TABLE_SIZE  flows per engine lcore, 1024..67108864 (default %u)\n",
			cfg.flow_table_size);
		return 2;
	}

	engine = vg_engine_create(&cfg, 0, NULL, NULL, err, sizeof(err));
	if (engine == NULL) {
		fprintf(stderr, "vigil-bench-flow-size: %s\n", err);
		return 1;
	}
	table = engine->table;

	/*
	 * Doubles, so that a library built from other headers than this file
	 * shows up as an inconsistent line rather than a wrapped size_t.
	 */
	table_per_flow = (double)vg_flow_table_memory(table) / table->capacity;
	buckets_per_flow = (double)(table->bucket_mask + 1) * sizeof(uint32_t) /
			   table->capacity;
	owed_per_flow = (double)table->owed_capacity * sizeof(uint32_t) /
			table->capacity;
	pool_per_flow = (double)engine->ndpi_pool_size * state_size /
			table->capacity;

	printf("capacity=%u slot_bytes=%zu bucket_bytes_per_flow=%.2f owed_list_bytes_per_flow=%.2f table_bytes=%zu table_bytes_per_flow=%.2f ndpi_state_bytes=%zu ndpi_pool_states=%u ndpi_pool_bytes_per_flow=%.2f\n",
	       table->capacity, sizeof(struct vg_flow), buckets_per_flow,
	       owed_per_flow,
	       vg_flow_table_memory(table), table_per_flow, state_size,
	       engine->ndpi_pool_size, pool_per_flow);

	vg_engine_free(engine);
	return 0;
}
