/*
 * vigild's command line: the options, the help text and --check-config.
 * The options either name a configuration file (-c) or build one from a
 * capture file (--pcap); the others override what the file sets.
 */
#ifndef VG_CMDLINE_H
#define VG_CMDLINE_H

#include "common/config.h"

/*
 * Parses the command line into <cfg>, loading and checking the file of
 * -c. Stores the -c path in <config_out> and the --stats path in
 * <stats_out> when given. Runs --check-config, --help and --version
 * itself. Returns 0 to run, 1 to exit 0, or a negative errno after the
 * error has been printed.
 */
int vg_parse_args(struct vg_config *cfg, const char **config_out,
		  const char **stats_out, int argc, char **argv);

#endif
