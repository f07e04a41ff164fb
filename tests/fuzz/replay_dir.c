/* Walks the files and folders a replay driver is given. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "replay_dir.h"

int
vg_fuzz_replay_path(const char *tool, const char *path,
		    int (*replay_file)(void *ctx, const char *path), void *ctx,
		    unsigned long *failed)
{
	struct dirent *entry;
	struct stat st;
	DIR *dir;
	int rc = 0;

	if (stat(path, &st) != 0) {
		fprintf(stderr, "%s: stat %s failed: %s\n", tool, path,
			strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return replay_file(ctx, path);

	dir = opendir(path);
	if (dir == NULL) {
		fprintf(stderr, "%s: opendir %s failed: %s\n", tool, path,
			strerror(errno));
		return -1;
	}
	while ((entry = readdir(dir)) != NULL) {
		char *child;

		if (entry->d_name[0] == '.')
			continue;
		if (asprintf(&child, "%s/%s", path, entry->d_name) < 0) {
			rc = -1;
			break;
		}
		if (vg_fuzz_replay_path(tool, child, replay_file, ctx,
					failed) != 0)
			(*failed)++;
		free(child);
	}
	closedir(dir);
	return rc;
}
