/*
 * The YAML alias guard; see yaml_guard.h.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>

#include "common/yaml_guard.h"

struct walk {
	yaml_document_t *doc;
	size_t budget;              /* visits left */
	const yaml_node_t *stop;    /* where a limit was reached */
	bool too_deep;
};

/* Visits <node> and what it holds; false once a limit is reached. */
static bool
visit(struct walk *w, yaml_node_t *node, unsigned int depth)
{
	yaml_node_item_t *item;
	yaml_node_pair_t *pair;

	if (node == NULL)
		return true;
	if (w->budget == 0 || depth > VG_YAML_DEPTH_MAX) {
		w->stop = node;
		w->too_deep = depth > VG_YAML_DEPTH_MAX;
		return false;
	}
	w->budget--;
	switch (node->type) {
	case YAML_SEQUENCE_NODE:
		for (item = node->data.sequence.items.start;
		     item < node->data.sequence.items.top; item++) {
			if (!visit(w, yaml_document_get_node(w->doc, *item),
				   depth + 1))
				return false;
		}
		return true;
	case YAML_MAPPING_NODE:
		for (pair = node->data.mapping.pairs.start;
		     pair < node->data.mapping.pairs.top; pair++) {
			if (!visit(w, yaml_document_get_node(w->doc, pair->key),
				   depth + 1) ||
			    !visit(w, yaml_document_get_node(w->doc,
							     pair->value),
				   depth + 1))
				return false;
		}
		return true;
	default:
		return true;
	}
}

int
vg_yaml_guard(yaml_document_t *doc, size_t *line, char *err, size_t err_len)
{
	size_t own = (size_t)(doc->nodes.top - doc->nodes.start);
	struct walk w = { .doc = doc, .budget = own + VG_YAML_ALIAS_NODES };

	if (visit(&w, yaml_document_get_root_node(doc), 1))
		return 0;
	*line = w.stop->start_mark.line + 1;
	if (w.too_deep)
		snprintf(err, err_len,
			 "nested deeper than %d levels once aliases are followed (an alias inside its own anchor makes a cycle)",
			 VG_YAML_DEPTH_MAX);
	else
		snprintf(err, err_len,
			 "aliases expand the document to more than %d nodes beyond its own %zu; write the repeated settings out instead",
			 VG_YAML_ALIAS_NODES, own);
	return -E2BIG;
}
