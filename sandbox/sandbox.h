/*
 * vigil-sandbox internals: the plugins it loaded, their scripts and
 * definitions, and the state of the batch being run.
 *
 * Every plugin gets its own lua_State with its own allocator, so one
 * plugin's memory, globals, JIT and instruction-count hook never touch
 * another's: a plugin that exhausts its heap fails only its own
 * allocations, and a plugin whose scripts are all disabled is closed and
 * its memory returned. Definitions (alerts, statuses, schemas) are copied
 * into C structs at load time; only the script tables and hook functions
 * stay in the Lua states, referenced from C through registry refs.
 *
 * The process is single-threaded: one batch runs at a time, and the "run"
 * fields of struct vg_sbx describe the hook being called so the Lua API
 * knows which plugin, script and element it acts for.
 */
#ifndef VG_SANDBOX_SANDBOX_H
#define VG_SANDBOX_SANDBOX_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lua.h>

#include "vigil_events.pb-c.h"

/* Log tag: "sandbox", or "sandbox-K" with --id K. */
extern char vg_sbx_log_tag[16];
#define VG_SBX_TAG vg_sbx_log_tag

#define VG_SBX_FAILURES_TO_DISABLE 10  /* consecutive errors or overruns */
#define VG_SBX_MAX_OUTPUTS_PER_HOOK 1024 /* results one hook call may emit */
#define VG_SBX_MAX_ENGAGED 65536       /* engaged alerts per plugin */
#define VG_SBX_MAX_DETAILS_BYTES 4096  /* alert details as JSON */
#define VG_SBX_LOAD_BUDGET_MS 1000     /* per plugin file and per setup() */
#define VG_SBX_ERRORS_PER_BATCH 3      /* per script, the rest are counted */
#define VG_SBX_MAX_TAGS 16             /* per timeseries schema */
#define VG_SBX_MAX_METRICS 32
#define VG_SBX_MAX_SCORE 1000

/* Registry keys of each plugin state's definition tables. */
#define VG_SBX_ALERTS_KEY "vigil.alerts"     /* key -> alert */
#define VG_SBX_STATUSES_KEY "vigil.statuses" /* key -> status */
#define VG_SBX_SCHEMAS_KEY "vigil.schemas"   /* name -> schema */

enum vg_sbx_kind {
	VG_SBX_FLOW,
	VG_SBX_HOST,
	VG_SBX_INTERFACE,
	VG_SBX_NETWORK,
	VG_SBX_SYSTEM,
	VG_SBX_KINDS
};

/*
 * Hook slots. Flow scripts use protocolDetected, statusChanged,
 * periodicUpdate and flowEnd (FlowHook - 1); the other kinds use min,
 * 5mins, hour and day (Period - 1). Slot 4 is "all" for every kind.
 */
#define VG_SBX_HOOKS 5
#define VG_SBX_HOOK_ALL 4

struct vg_sbx;
struct vg_sbx_plugin;

/* The userdata behind a plugin's flow, host... object. */
struct vg_sbx_proxy {
	const void *element;           /* NULL outside the element's hook */
	enum vg_sbx_kind kind;
};

struct vg_sbx_alert {
	char *key;
	char *title;
	char *description;
	Vigil__V1__Severity severity;
	struct vg_sbx_plugin *plugin;
	char *file;
};

struct vg_sbx_status {
	char *key;
	char *title;
	char *description;
	struct vg_sbx_alert *alert; /* raised with the status, or NULL */
	uint32_t score;
	struct vg_sbx_plugin *plugin;
	char *file;
};

struct vg_sbx_metric {
	char *name;
	bool counter; /* false: gauge */
};

struct vg_sbx_schema {
	char *name;
	unsigned int step; /* seconds, from the file name */
	char **tags;
	size_t n_tags;
	struct vg_sbx_metric *metrics;
	size_t n_metrics;
	struct vg_sbx_plugin *plugin;
	char *file;
};

/* The setting or event that decided a script's enabled state. */
enum vg_sbx_enabled_source {
	VG_SBX_ENABLED_DEFAULT,        /* default_value.enabled, or true */
	VG_SBX_ENABLED_CONFIG,         /* plugins.scripts.<key>.enabled */
	VG_SBX_ENABLED_SETUP,          /* setup() failed or returned false */
	VG_SBX_ENABLED_FAILURES,       /* disabled at run time by failures */
};

struct vg_sbx_script {
	char *key;
	char *file;
	enum vg_sbx_kind kind;
	struct vg_sbx_plugin *plugin;
	unsigned int index;            /* in vg_sbx.scripts, from 0 */
	int hook_ref[VG_SBX_HOOKS];    /* LUA_NOREF when absent */
	int conf_ref;                  /* merged configuration table */
	int setup_ref;
	int teardown_ref;
	uint8_t l4_filter[32];         /* bit per IP protocol number */
	bool has_l4_filter;
	char **l7_filter;              /* protocol names, NULL when none */
	size_t n_l7_filter;
	bool local_only;
	bool enabled;                  /* conf.enabled, and setup() agreed */
	enum vg_sbx_enabled_source enabled_source;
	bool disabled;                 /* by a configuration error or by
					  repeated failures */
	unsigned int failures;         /* consecutive */
	unsigned int batch_errors;     /* reported in this batch */
};

struct vg_sbx_module {
	char *name;
	char *file;
};

struct vg_sbx_plugin {
	char *name;                    /* folder name, unique */
	char *group;
	char *dir;
	char *title;
	char *description;
	char *author;
	char *version;
	char **deps;
	size_t n_deps;
	unsigned int manifest_line;    /* of "dependencies", for errors */
	struct vg_sbx *sbx;
	lua_State *L;                  /* NULL before load and once closed */
	size_t heap_bytes;
	size_t heap_limit;
	bool jit;
	bool jit_on;                   /* the JIT compiles this state now */
	bool loaded;
	bool skipped;

	/*
	 * Position of the last allocation rejected since the current call
	 * began, as "FILE:LINE" of the innermost Lua function. Empty when no
	 * Lua function was running or the JIT was on.
	 */
	lua_State *running;            /* coroutine running now, NULL: L */
	char oom_where[512];
	size_t oom_bytes;              /* size of the refused block */
	bool oom_seen;                 /* an allocation was rejected */
	bool oom_heap_limit;           /* by heap_limit, else by realloc() */

	/* Budget state of the hook running in this state. */
	uint64_t deadline_ns;
	unsigned int budget_ms;
	bool budget_exhausted;

	/* print() rate limit. */
	uint64_t print_window_ns;
	unsigned int print_lines;
	unsigned int print_dropped;

	/* Lua-side handles, valid while L is open. */
	int proxy_ref[VG_SBX_KINDS];   /* one reusable object per kind */
	struct vg_sbx_proxy *proxy[VG_SBX_KINDS]; /* its userdata block */
	int engaged_ref;               /* "entity|value|alert" -> true */
	int engaged_flows_ref;         /* flow id -> { alert = true } */
	size_t n_engaged;
	size_t n_engaged_flows;

	/* Definitions and scripts of this plugin, in file order. */
	struct vg_sbx_alert **alerts;
	size_t n_alerts;
	struct vg_sbx_status **statuses;
	size_t n_statuses;
	struct vg_sbx_schema **schemas;
	size_t n_schemas;
	struct vg_sbx_script **scripts;
	size_t n_scripts;
	unsigned int load_errors;

	char **files;                  /* every file read, for error paths */
	size_t n_files;
	struct vg_sbx_module *modules;
	size_t n_modules;
	char *menu_label;
	char *menu_page;
	char **locales;
	size_t n_locales;
};

/* What one load error or runtime problem is reported with. */
typedef void (*vg_sbx_report_fn)(struct vg_sbx *sbx, const char *line);

/*
 * Receiver of one problem in plugins.scripts, as
 * "FILE:LINE:COLUMN: KEY: problem", with <error> false for a warning.
 */
typedef void (*vg_sbx_config_report_fn)(struct vg_sbx *sbx, bool error,
					const char *line);

struct vg_sbx_options {
	unsigned int memory_mb;        /* --memory-mb */
	unsigned int hook_budget_ms;   /* --hook-budget-ms */
	unsigned int deadline_ms;      /* --deadline-ms, 0: batches unbounded */
	const char *config_file;       /* --config, or NULL */
	char **disable;                /* --disable plugin names */
	size_t n_disable;
	char **jit;                    /* --jit plugin names, "all" */
	size_t n_jit;
	bool plugin_dirs_missing;      /* --plugin-dirs-missing */
};

struct vg_sbx_results;

struct vg_sbx {
	struct vg_sbx_options opt;
	struct vg_sbx_plugin **plugins; /* load order */
	size_t n_plugins;
	struct vg_sbx_script **scripts;
	size_t n_scripts;
	struct vg_sbx_script **by_kind[VG_SBX_KINDS];
	size_t n_by_kind[VG_SBX_KINDS];
	struct vg_sbx_alert **alerts;
	size_t n_alerts;
	struct vg_sbx_status **statuses;
	size_t n_statuses;
	struct vg_sbx_schema **schemas;
	size_t n_schemas;

	/* Load errors: each is printed by <report> and kept for the first
	 * result batch. */
	vg_sbx_report_fn report;
	/* Receiver of the problems in plugins.scripts, when set. They then
	 * are not load errors, and warnings are not logged. */
	vg_sbx_config_report_fn config_report;
	char **load_errors;
	char **load_error_plugins;     /* plugin name, or NULL */
	size_t n_load_errors;
	const struct vg_sbx_plugin *loading;
	/* The plugin whose setup() is running, the only time it may read
	 * list files (vigil.read_list). */
	const struct vg_sbx_plugin *setup_plugin;

	/* The hook being run. */
	struct vg_sbx_results *results;
	struct vg_sbx_plugin *run_plugin;
	struct vg_sbx_script *run_script;
	const char *run_hook;
	enum vg_sbx_kind run_kind;
	const void *run_element;       /* FlowEvent, HostSnapshot... */
	unsigned int run_outputs;
	/* Statuses set on the current flow event by any script, so a
	 * status is sent once per event. */
	const struct vg_sbx_status *run_statuses[32];
	unsigned int n_run_statuses;
	uint64_t batch_time_us;
	_Atomic uint32_t *status_script; /* shm status.script, or NULL */
	char *status_loading;            /* shm status.loading, or NULL */

	/*
	 * The batch time budget (see dispatch.c): no hook starts once the
	 * coarse clock reaches batch_limit_ns (0: no limit). The counts
	 * are of hook calls left out.
	 */
	uint64_t batch_limit_ns;
	unsigned int batch_skipped;    /* in the batch being run */
	const struct vg_sbx_script *first_skipped;
	uint64_t hooks_skipped;        /* since the process started */
	uint64_t skip_log_ns;          /* time of the last line about them */
	uint64_t skip_unlogged_hooks;  /* skipped since that line */
	unsigned int skip_unlogged_batches;
};

/* Returns the plugin a Lua state belongs to (its allocator's data). */
static inline struct vg_sbx_plugin *
vg_sbx_state_plugin(lua_State *L)
{
	void *ud;

	lua_getallocf(L, &ud);
	return (struct vg_sbx_plugin *)ud;
}

/* Names of the hooks of <kind>, VG_SBX_HOOKS of them, "all" last. */
const char *const *
vg_sbx_hook_names(enum vg_sbx_kind kind);

const char *
vg_sbx_kind_name(enum vg_sbx_kind kind);

/* Returns a monotonic clock reading in nanoseconds. */
uint64_t
vg_sbx_now_ns(void);

/*
 * Returns the coarse monotonic clock that hook budgets are measured on, in
 * nanoseconds: cheaper to read than vg_sbx_now_ns(), and up to a kernel
 * tick (1 to 10 ms) behind it.
 */
uint64_t
vg_sbx_budget_now_ns(void);

/* --- loader.c: plugin folders, manifests, definitions ---------------- */

/*
 * Loads every plugin under the comma-separated folders in <dirs>, in
 * order, then the configuration and each script's setup(). Problems are
 * reported through sbx->report; a broken plugin is skipped and the others
 * load. Returns the number of errors reported, or -ENOMEM.
 */
int
vg_sbx_load(struct vg_sbx *sbx, const char *dirs);

/*
 * Names <plugin> (NULL: none) in the status block as the plugin whose code
 * the sandbox runs while it loads, so that vigild can disable a plugin
 * that keeps the sandbox from ever finishing its load.
 */
void
vg_sbx_publish_loading(struct vg_sbx *sbx, const struct vg_sbx_plugin *plugin);

/*
 * Reports "FILE:LINE: message" (or "FILE: message" for line 0, or just
 * the message for a NULL file) through sbx->report and keeps it, with the
 * plugin being loaded, for the first result batch.
 */
void
vg_sbx_load_error(struct vg_sbx *sbx, const char *file, unsigned int line,
		  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * Returns the line of <source> where field <name> is assigned, else the
 * line of its last top-level "return", else 1. Lua tables keep no line
 * numbers, so definition errors point at the likely line this way.
 */
unsigned int
vg_sbx_guess_line(const char *source, const char *name);

/* Returns the first line of <source> holding <value> as a quoted string,
 * else vg_sbx_guess_line(source, NULL). */
unsigned int
vg_sbx_guess_value_line(const char *source, const char *value);

/*
 * Closes every Lua state and frees everything. It calls no teardown(), so
 * a caller that wants them runs vg_sbx_dispatch_teardown() first.
 */
void
vg_sbx_free(struct vg_sbx *sbx);

/* Closes a plugin whose scripts are all disabled, returning its memory. */
void
vg_sbx_plugin_close(struct vg_sbx_plugin *plugin);

/* --- files.c: reading a plugin's folder ------------------------------- */

/* Returns "<a>/<b>" in a new allocation, or NULL. */
char *
vg_sbx_path_join(const char *a, const char *b);

/*
 * Lists the folders (<suffix> NULL) or the regular files ending in
 * <suffix> under <path>, sorted, skipping dot files. Returns 0 (an absent
 * folder lists nothing), or -errno.
 */
int
vg_sbx_list_dir(const char *path, const char *suffix, char ***out,
		size_t *n_out);

/* Frees an array of <n> strings and the array. */
void
vg_sbx_free_names(char **names, size_t n);

bool
vg_sbx_is_file(const char *path);

/*
 * Reads the whole text file <path> for <plugin> and records its path for
 * error messages. A file that resolves to a place outside the plugin's
 * folder (through a symlink) is rejected. Returns the text, or NULL
 * after reporting, with errno EXDEV for a file outside the folder.
 */
char *
vg_sbx_plugin_read(struct vg_sbx_plugin *plugin, const char *path);

/* Compiles modules/ for require(); errors are reported and counted. */
void
vg_sbx_load_modules(struct vg_sbx_plugin *plugin);

/* Loads alert_definitions/, status_definitions/ and ts_schemas/. */
void
vg_sbx_load_definitions(struct vg_sbx_plugin *plugin);

/* Loads user_scripts/, web_gui/menu.lua and locales/. */
void
vg_sbx_load_scripts_and_gui(struct vg_sbx_plugin *plugin);

/* --- defs.c: manifest and definition files, shared field checks ------- */

/* One plugin file being loaded: where errors point. */
struct vg_sbx_file {
	struct vg_sbx_plugin *plugin;
	const char *path;
	const char *source;
};

/* Reports a problem with field <field> (NULL: the whole file) of <f>. */
void
vg_sbx_file_error(const struct vg_sbx_file *f, const char *field,
		  const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * Runs <f> and checks that it returns a table, left on the stack. Returns
 * 0, or -1 after reporting (nothing left on the stack).
 */
int
vg_sbx_file_run(const struct vg_sbx_file *f);

/* Reports each field of the table at <t> not named in <allowed>. */
int
vg_sbx_check_fields(const struct vg_sbx_file *f, int t,
		    const char *const *allowed);

/*
 * Copies string field <name> of the table at <t> into <out> (NULL when
 * absent and not <required>). Returns 0, or -1 after reporting.
 */
int
vg_sbx_get_string(const struct vg_sbx_file *f, int t, const char *name,
		  bool required, char **out);

/* Returns true when <s> is 1..64 characters of a-z, 0-9, _ and <extra>. */
bool
vg_sbx_valid_key(const char *s, const char *extra);

/* Reads the manifest of <plugin> (title, dependencies...). */
int
vg_sbx_manifest_load(struct vg_sbx_plugin *plugin, const char *path,
		     const char *source);

/* Each loads one definition file into <plugin>; 0 or -1 (reported). */
int
vg_sbx_alert_load(struct vg_sbx_plugin *plugin, const char *path,
		  const char *source);

int
vg_sbx_status_load(struct vg_sbx_plugin *plugin, const char *path,
		   const char *source);

int
vg_sbx_schemas_load(struct vg_sbx_plugin *plugin, const char *path,
		    const char *source, unsigned int step);

int
vg_sbx_menu_load(struct vg_sbx_plugin *plugin, const char *path,
		 const char *source);

int
vg_sbx_locale_load(struct vg_sbx_plugin *plugin, const char *path,
		   const char *source, const char *lang);

/* Returns the loaded alert or status <key> visible from <plugin> (its
 * own, or of a plugin it depends on), or NULL. */
struct vg_sbx_alert *
vg_sbx_find_alert(struct vg_sbx *sbx, struct vg_sbx_plugin *plugin,
		  const char *key, bool visible_only);

struct vg_sbx_status *
vg_sbx_find_status(struct vg_sbx *sbx, struct vg_sbx_plugin *plugin,
		   const char *key);

/* Returns true when <owner> is <plugin> or one of its dependencies. */
bool
vg_sbx_plugin_sees(struct vg_sbx *sbx, const struct vg_sbx_plugin *plugin,
		   const struct vg_sbx_plugin *owner);

void
vg_sbx_alert_free(struct vg_sbx_alert *alert);

void
vg_sbx_status_free(struct vg_sbx_status *status);

void
vg_sbx_schema_free(struct vg_sbx_schema *schema);

/* Appends <item> to the pointer array <*arr> of <*n>; 0 or -ENOMEM. */
int
vg_sbx_push(void *arr, size_t *n, void *item);

/* --- scripts.c: the .lua files in user_scripts/<kind>/ ---------------- */

/*
 * Runs the script file <file> (its source in <source>) in <plugin>'s
 * state and checks the table it returns. Returns 0, or -EINVAL after
 * reporting the problem.
 */
int
vg_sbx_script_load(struct vg_sbx_plugin *plugin, enum vg_sbx_kind kind,
		   const char *file, const char *source);

/* Builds each script's configuration table and calls its setup(). */
int
vg_sbx_scripts_configure(struct vg_sbx *sbx);

/* Returns the loaded script <key> of any plugin, or NULL. */
struct vg_sbx_script *
vg_sbx_find_script(struct vg_sbx *sbx, const char *key);

void
vg_sbx_script_free(struct vg_sbx_script *script);

/* --- plugin_config.c: the plugins: section of vigil's YAML ------------ */

/*
 * Reads plugins.scripts.<key> overrides from sbx->opt.config_file and
 * applies them to each script's configuration table (which must hold the
 * script's defaults already). Each problem names the file, line, column
 * and key. Errors are load errors, or go to sbx->config_report when it is
 * set, as do the warnings. Returns the number of errors reported, or
 * -ENOMEM.
 */
int
vg_sbx_config_apply(struct vg_sbx *sbx);

/* --- luaenv.c: the restricted Lua environment ------------------------- */

/*
 * Creates <plugin>'s Lua state: its allocator, the restricted globals,
 * require() of its own modules, the budget hook and the API. Returns 0 or
 * -ENOMEM.
 */
int
vg_sbx_state_open(struct vg_sbx_plugin *plugin);

/*
 * Compiles the text chunk <source> (never bytecode) as file <file> and
 * runs it with a budget of <budget_ms>, leaving its first result on the
 * stack. Returns 0, or a Lua error code with the message on the stack.
 */
int
vg_sbx_state_run(struct vg_sbx_plugin *plugin, const char *file,
		 const char *source, unsigned int budget_ms);

/*
 * Calls the function under the <nargs> arguments on the stack with the
 * budget <budget_ms>, like lua_pcall with one result. Returns 0 or the
 * Lua error code with the message on the stack.
 */
int
vg_sbx_state_call(struct vg_sbx_plugin *plugin, int nargs, int nresults,
		  unsigned int budget_ms);

/*
 * Calls like vg_sbx_state_call(), with the budget counted from <start_ns>,
 * a reading of vg_sbx_budget_now_ns() the caller has just taken.
 */
int
vg_sbx_state_call_from(struct vg_sbx_plugin *plugin, int nargs, int nresults,
		       unsigned int budget_ms, uint64_t start_ns);

/* Registers <plugin>'s compiled module <name> for require(). */
int
vg_sbx_state_add_module(struct vg_sbx_plugin *plugin, const char *name,
			const char *file, const char *source);

/* Switches the JIT of <plugin>'s state on or off. */
void
vg_sbx_state_jit(struct vg_sbx_plugin *plugin, bool on);

/*
 * Rewrites a Lua message whose chunk name Lua shortened to "...tail:N:"
 * into the full path of the plugin file it names. Lua's bare "not enough
 * memory" gets the file and line of the rejected allocation and the limit
 * that rejected it, when the allocator recorded them. Returns <msg> or
 * <buf>.
 */
const char *
vg_sbx_full_message(const struct vg_sbx_plugin *plugin, const char *msg,
		    char *buf, size_t size);

/* --- api.c, proxy.c: what plugin code calls --------------------------- */

/* Adds alerts, ts, vigil and the element objects to <plugin>'s state. */
int
vg_sbx_api_open(struct vg_sbx_plugin *plugin);

/* Creates the reusable objects of every kind in <plugin>'s state. */
int
vg_sbx_proxy_open(struct vg_sbx_plugin *plugin);

/* Points <plugin>'s object of <kind> at <element> (NULL: detached). */
void
vg_sbx_proxy_set(struct vg_sbx_plugin *plugin, enum vg_sbx_kind kind,
		 const void *element);

/* Entity value of an element: "ip@vlan", interface name, CIDR... */
int
vg_sbx_entity_value(enum vg_sbx_kind kind, const void *element, char *buf,
		    size_t size);

/* --- lists.c: list files read in setup() ----------------------------- */

/*
 * vigil.read_list(path): returns the entries of a list file and the
 * number of invalid lines skipped. Raises outside setup() and for a path
 * that is not absolute, not a regular file, not readable by every user
 * when running as root, or larger than 64 MiB.
 */
int
vg_sbx_read_list(lua_State *L);

/* Frees the API's shared buffers. */
void
vg_sbx_api_cleanup(void);

/* Forgets <plugin>'s engaged alerts of the flow <flow_id>. */
void
vg_sbx_api_flow_ended(struct vg_sbx_plugin *plugin, uint64_t flow_id);

/*
 * Counts one output of the running hook; raises a Lua error when the
 * hook has emitted VG_SBX_MAX_OUTPUTS_PER_HOOK already.
 */
void
vg_sbx_api_count_output(lua_State *L, struct vg_sbx *sbx);

/* --- dispatch.c: running hooks for batches ---------------------------- */

/* Runs every hook an event batch calls for; results go to sbx->results. */
void
vg_sbx_dispatch_batch(struct vg_sbx *sbx, const Vigil__V1__EventBatch *batch);

/*
 * Calls teardown() of every enabled script within the same time budget
 * as a batch. The teardowns left out are counted in hooks_skipped.
 */
void
vg_sbx_dispatch_teardown(struct vg_sbx *sbx);

/*
 * Adds the ScriptInfo of <s> to the results: its plugin, key, kind,
 * whether it runs and what decided that. Sent after loading and again
 * when the script is disabled at run time.
 */
void
vg_sbx_report_script(struct vg_sbx *sbx, const struct vg_sbx_script *s);

/* Adds one PluginError to the results, also logged. */
void
vg_sbx_plugin_error(struct vg_sbx *sbx, const struct vg_sbx_plugin *plugin,
		    const struct vg_sbx_script *script, const char *hook,
		    const char *message);

#endif
