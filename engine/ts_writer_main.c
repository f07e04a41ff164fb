/* vigil-ts-writer: the process that writes vigild's rrd files. */
#include "ts_wire.h"

int
main(int argc, char **argv)
{
	return vg_ts_store_main(argc, argv);
}
