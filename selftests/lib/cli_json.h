/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The memvirt CLI as the C tests run it, and its --json output read with
 * json-c: one reader for every test that checks what the CLI prints.
 *
 * The CLI prints one JSON document per report (one per interval with -i,
 * one per trace event with --trace), each on a line of its own; a run's
 * stdout is read as the sequence of its documents.
 */
#ifndef MEMVIRT_SELFTESTS_CLI_JSON_H
#define MEMVIRT_SELFTESTS_CLI_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <json-c/json.h>

/* The CLI: $MEMVIRT_CLI, else memvirt in PATH, else ../../user/memvirt
 * next to the test binary (a build in $BUILD/selftests). NULL if none. */
const char *cli_path(void);

struct json_docs {
	struct json_object **doc;
	int nr;
};

/* Every JSON document of @text, in order. 0, or -1 if @text is not a
 * sequence of JSON documents (then nothing is kept). */
int json_docs_parse(const char *text, struct json_docs *d);
void json_docs_free(struct json_docs *d);

/* One run of the CLI. */
struct cli_run {
	pid_t pid;		/* while it runs */
	int status;		/* exit status; -1 if killed or not run */
	char out_path[64], err_path[64];
	char *out, *err;	/* stdout and stderr, once it ended */
	struct json_docs json;	/* stdout's documents (none if not JSON) */
};

#define CLI_AS_IS	((uid_t)-1)

/*
 * Starts "CLI ARGV..." (@argv without the CLI's name, NULL-terminated) in
 * the background as @uid (CLI_AS_IS, or a uid it switches to with its gid,
 * no supplementary groups, as setpriv --clear-groups does). Its output goes
 * to files until cli_stop(). 0, or -1 (the reason in r->err).
 */
int cli_start(struct cli_run *r, uid_t uid, const char *const *argv);
/* Its stderr so far (malloc()ed, "" if none); NULL if it cannot be read. */
char *cli_stderr(const struct cli_run *r);
/* Has it exited? (Then cli_stop() does not wait.) */
bool cli_exited(struct cli_run *r);
/*
 * Sends @sig (0: none) and waits for it; reads stdout and stderr and parses
 * stdout. The exit status; -1 if it did not exit by itself.
 */
int cli_stop(struct cli_run *r, int sig);
/* cli_start() + cli_stop(r, 0). */
int cli_run(struct cli_run *r, uid_t uid, const char *const *argv);
void cli_run_free(struct cli_run *r);
/* The last JSON document of the run, or NULL. */
struct json_object *cli_doc(const struct cli_run *r);

/*
 * A member by its path, printf-style: keys joined by ".", and "[K=V,...]"
 * picks the first element of an array whose members K print as V (numbers
 * in decimal, strings as they are): "backing.slots[as=0,id=3].resident",
 * "vms[id=1234-11]". NULL if any step is absent (or null).
 */
struct json_object *json_get(struct json_object *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The member at the path as a number; @dflt if absent or null. */
int64_t json_int(struct json_object *o, int64_t dflt, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
uint64_t json_u64(struct json_object *o, uint64_t dflt, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
double json_dbl(struct json_object *o, double dflt, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The member at the path as a string; NULL if absent, null or not one. */
const char *json_str(struct json_object *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif /* MEMVIRT_SELFTESTS_CLI_JSON_H */
