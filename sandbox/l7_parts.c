/* The l7 parts of a hand-made flow event; see l7_parts.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox/l7_parts.h"

int
vg_sbx_fill_l7_parts(Vigil__V1__FlowEvent *fe)
{
	const char *l7 = fe->l7 != NULL ? fe->l7 : "";
	const char *dot = strchr(l7, '.');
	size_t master_len = dot != NULL ? (size_t)(dot - l7) : strlen(l7);

	if (*l7 == '\0' || *fe->l7_master != '\0' || *fe->l7_app != '\0')
		return 0;
	fe->l7_master = strndup(l7, master_len);
	fe->l7_app = strdup(dot != NULL ? dot + 1 : l7);
	if (fe->l7_master == NULL || fe->l7_app == NULL)
		return -ENOMEM;
	return 0;
}
