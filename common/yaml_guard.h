/*
 * A guard against YAML documents that aliases blow up.
 *
 * libyaml's loader keeps an alias as a second reference to its anchored
 * node. A document of a few hundred bytes can so stand for a tree of
 * billions of nodes, and an alias inside its own anchor makes a cycle.
 * Every walk of a loaded document that follows aliases (the
 * configuration, the plugin settings the sandbox reads, the settings
 * vigil-web shows) checks the document with vg_yaml_guard() first.
 */
#ifndef VG_YAML_GUARD_H
#define VG_YAML_GUARD_H

#include <stddef.h>

#include <yaml.h>

/* Nodes a walk may visit beyond the document's own, through aliases. */
#define VG_YAML_ALIAS_NODES 100000
/*
 * Nesting a walk may reach, aliases followed; a cycle reaches it too. It
 * is twice the nesting of [...] and {...} that the configuration parser
 * accepts in the text (MAX_FLOW_DEPTH).
 */
#define VG_YAML_DEPTH_MAX 128

/*
 * Walks <doc> from its root, following aliases. Returns 0 when the walk
 * stays within both limits above. Otherwise sets <*line> (1-based) to the
 * line of the node where a limit was passed, writes which limit into
 * <err>, and returns -E2BIG.
 */
int
vg_yaml_guard(yaml_document_t *doc, size_t *line, char *err, size_t err_len);

#endif
