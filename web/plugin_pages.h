/*
 * Plugin pages: GET /api/v1/plugins/pages and
 * GET /api/v1/plugins/<plugin>/pages/<page>, each answered by one
 * vigil-sandbox --page process.
 */
#ifndef VG_WEB_PLUGIN_PAGES_H
#define VG_WEB_PLUGIN_PAGES_H

#include "web.h"

/* Serves GET /api/v1/plugins/pages: every plugin's menu entry. */
void
vg_plugin_pages_menu(struct vg_web *web, h2o_req_t *req,
		     struct vg_params *params);

/*
 * Serves GET /api/v1/plugins/<rest>, where <rest> is
 * "<plugin>/pages/<page>": the page rendered with the caller's query
 * string, vigild's counters and the plugin's alerts.
 */
void
vg_plugin_pages_page(struct vg_web *web, h2o_req_t *req, const char *rest,
		     const struct vg_caller *caller, struct vg_params *params);

#endif
