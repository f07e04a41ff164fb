/*
 * The l7 parts of a hand-made flow event, for the tools that build events
 * without vigild (vigil-sandbox-drive, vigil-sandbox-inproc-bench), so
 * both fill a template the same way.
 */
#ifndef VG_SANDBOX_L7_PARTS_H
#define VG_SANDBOX_L7_PARTS_H

#include "vigil_events.pb-c.h"

/*
 * Fills l7_master and l7_app of <fe> from its l7 when it has an l7 and
 * neither part, the way vigild splits nDPI's names: "TLS.Google" is TLS
 * and Google, and a name without a dot is both. The new strings are
 * allocated with malloc, as vigil__v1__flow_event__free_unpacked()
 * expects. Returns 0, or -ENOMEM.
 */
int
vg_sbx_fill_l7_parts(Vigil__V1__FlowEvent *fe);

#endif
