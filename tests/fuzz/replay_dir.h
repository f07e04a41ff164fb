/*
 * Replay of saved fuzz inputs: files named on the command line, or every
 * file below a folder, through a harness's own per-file function.
 */
#ifndef VG_FUZZ_REPLAY_DIR_H
#define VG_FUZZ_REPLAY_DIR_H

/*
 * Calls <replay_file>(<ctx>, PATH) for <path>, or for every file below it
 * when it is a folder, skipping names that start with '.'. <tool> prefixes
 * the messages. Each file below <path> whose replay fails adds one to
 * <failed>. Returns 0, or -1 when <path> itself cannot be read or replayed.
 */
int
vg_fuzz_replay_path(const char *tool, const char *path,
		    int (*replay_file)(void *ctx, const char *path), void *ctx,
		    unsigned long *failed);

#endif
