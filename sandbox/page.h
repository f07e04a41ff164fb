/*
 * vigil-sandbox --page: renders one plugin page, or lists the menu
 * entries of every plugin, for vigil-web.
 */
#ifndef VG_SANDBOX_PAGE_H
#define VG_SANDBOX_PAGE_H

#include "sandbox/sandbox.h"

/* Exit status of page mode, besides 2 (usage) and 3 (start-up failed). */
#define VG_SBX_PAGE_EXIT_OK 0
#define VG_SBX_PAGE_EXIT_SCRIPT 1     /* the page script failed */
#define VG_SBX_PAGE_EXIT_NOT_FOUND 4  /* no such plugin or page */
#define VG_SBX_PAGE_EXIT_INPUT 5      /* standard input is not a request */
#define VG_SBX_PAGE_EXIT_TIMEOUT 6    /* the page overran its time budget */

/*
 * Reads one JSON request from standard input, loads what it names from
 * the comma-separated plugin folders <plugins>, isolates the process as
 * the hook sandboxes are (running as <user> when started as root) and
 * writes one JSON object to standard output. Returns the exit status.
 */
int
vg_sbx_page_run(const char *plugins, const char *user,
		const struct vg_sbx_options *opt);

#endif
