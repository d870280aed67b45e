// SPDX-License-Identifier: GPL-2.0
/*
 * The memvirt CLI run by the tests and its JSON read with json-c, see
 * cli_json.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli_json.h"
#include "testlib.h"

const char *cli_path(void)
{
	static char path[PATH_MAX];
	const char *env = getenv("MEMVIRT_CLI"), *p;
	char *dirs, *d, *save;

	if (env && *env)
		return env;
	p = getenv("PATH");
	dirs = strdup(p ? p : "");
	for (d = dirs ? strtok_r(dirs, ":", &save) : NULL; d; d = strtok_r(NULL, ":", &save)) {
		snprintf(path, sizeof(path), "%s/memvirt", d);
		if (!access(path, X_OK)) {
			free(dirs);
			return path;
		}
	}
	free(dirs);
	snprintf(path, sizeof(path), "%s", helper_path("../../user/memvirt"));
	return access(path, X_OK) ? NULL : path;
}

int json_docs_parse(const char *text, struct json_docs *d)
{
	struct json_tokener *tok = json_tokener_new();
	size_t len = text ? strlen(text) : 0, off = 0;

	memset(d, 0, sizeof(*d));
	if (!tok)
		return -1;
	while (off < len) {
		struct json_object *o, **more;

		off += strspn(text + off, " \t\r\n");
		if (off >= len)
			break;
		o = json_tokener_parse_ex(tok, text + off, len - off);
		if (!o || json_tokener_get_error(tok) != json_tokener_success)
			goto bad;
		more = realloc(d->doc, (d->nr + 1) * sizeof(*more));
		if (!more) {
			json_object_put(o);
			goto bad;
		}
		d->doc = more;
		d->doc[d->nr++] = o;
		off += json_tokener_get_parse_end(tok);
		json_tokener_reset(tok);
	}
	json_tokener_free(tok);
	return 0;
bad:
	json_tokener_free(tok);
	json_docs_free(d);
	return -1;
}

void json_docs_free(struct json_docs *d)
{
	for (int i = 0; i < d->nr; i++)
		json_object_put(d->doc[i]);
	free(d->doc);
	d->doc = NULL;
	d->nr = 0;
}

static char *slurp(const char *path)
{
	size_t len = 0, cap = 1 << 16;
	char *buf = malloc(cap), *nb;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (!buf || fd < 0) {
		free(buf);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	while ((n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += n;
		if (cap - len < 4096) {
			nb = realloc(buf, cap *= 2);
			if (!nb)
				break;
			buf = nb;
		}
	}
	close(fd);
	buf[len] = '\0';
	return buf;
}

static int temp_file(char *path, size_t len, const char *what)
{
	int fd;

	snprintf(path, len, "/tmp/memvirt-cli-%s.XXXXXX", what);
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

/* In the child: become @uid (with its gid, no groups), output to the files, exec. */
static void cli_exec(const struct cli_run *r, uid_t uid, const char *const *argv)
{
	const char *cli = cli_path();
	const char *av[32];
	int n = 0;

	/* The files are root's (mkstemp): opened before the switch. */
	if (!freopen(r->out_path, "w", stdout) || !freopen(r->err_path, "w", stderr))
		_exit(126);
	if (uid != CLI_AS_IS && (setgroups(0, NULL) || setresgid(uid, uid, uid) ||
				 setresuid(uid, uid, uid))) {
		fprintf(stderr, "cannot become uid %u: %s\n", (unsigned int)uid, strerror(errno));
		_exit(126);
	}
	av[n++] = cli ? cli : "memvirt";
	while (*argv && n < 31)
		av[n++] = *argv++;
	av[n] = NULL;
	execvp(av[0], (char *const *)av);
	fprintf(stderr, "exec %s: %s\n", av[0], strerror(errno));
	_exit(127);
}

int cli_start(struct cli_run *r, uid_t uid, const char *const *argv)
{
	memset(r, 0, sizeof(*r));
	r->status = -1;
	if (temp_file(r->out_path, sizeof(r->out_path), "out") ||
	    temp_file(r->err_path, sizeof(r->err_path), "err"))
		goto fail;
	fflush(stdout);
	fflush(stderr);
	r->pid = fork();
	if (r->pid < 0)
		goto fail;
	if (!r->pid)
		cli_exec(r, uid, argv);
	return 0;
fail:
	r->pid = 0;
	if (asprintf(&r->err, "cannot run the CLI: %s", strerror(errno)) < 0)
		r->err = NULL;
	return -1;
}

char *cli_stderr(const struct cli_run *r)
{
	return slurp(r->err_path);
}

bool cli_exited(struct cli_run *r)
{
	int status;

	if (r->pid <= 0)
		return true;
	if (waitpid(r->pid, &status, WNOHANG) != r->pid)
		return false;
	r->pid = 0;
	r->status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	return true;
}

int cli_stop(struct cli_run *r, int sig)
{
	int status;

	if (r->pid > 0) {
		if (sig)
			kill(r->pid, sig);
		if (waitpid(r->pid, &status, 0) == r->pid)
			r->status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		r->pid = 0;
	}
	if (!r->out_path[0])
		return r->status;
	free(r->out);
	free(r->err);
	r->out = slurp(r->out_path);
	r->err = slurp(r->err_path);
	unlink(r->out_path);
	unlink(r->err_path);
	r->out_path[0] = r->err_path[0] = '\0';
	json_docs_parse(r->out, &r->json);
	return r->status;
}

int cli_run(struct cli_run *r, uid_t uid, const char *const *argv)
{
	if (cli_start(r, uid, argv))
		return -1;
	return cli_stop(r, 0);
}

void cli_run_free(struct cli_run *r)
{
	if (r->pid > 0)
		cli_stop(r, SIGKILL);
	if (r->out_path[0])
		unlink(r->out_path);
	if (r->err_path[0])
		unlink(r->err_path);
	free(r->out);
	free(r->err);
	json_docs_free(&r->json);
	memset(r, 0, sizeof(*r));
	r->status = -1;
}

struct json_object *cli_doc(const struct cli_run *r)
{
	return r->json.nr ? r->json.doc[r->json.nr - 1] : NULL;
}

/* Does array element @e match "K=V,K2=V2" (@sel, @len bytes)? */
static bool selected(struct json_object *e, const char *sel, size_t len)
{
	char buf[256], *cond, *save, *eq;
	struct json_object *m;

	if (len >= sizeof(buf) || !json_object_is_type(e, json_type_object))
		return false;
	memcpy(buf, sel, len);
	buf[len] = '\0';
	for (cond = strtok_r(buf, ",", &save); cond; cond = strtok_r(NULL, ",", &save)) {
		eq = strchr(cond, '=');
		if (!eq)
			return false;
		*eq = '\0';
		if (!json_object_object_get_ex(e, cond, &m) || !m ||
		    strcmp(json_object_get_string(m), eq + 1))
			return false;
	}
	return true;
}

/* "[N]" or "[K=V,...]" of array @o. */
static struct json_object *pick(struct json_object *o, const char *sel, size_t len)
{
	char *end;
	size_t i, n;
	long idx;

	if (!json_object_is_type(o, json_type_array))
		return NULL;
	n = json_object_array_length(o);
	idx = strtol(sel, &end, 10);
	if (end == sel + len && len)
		return idx >= 0 && (size_t)idx < n ? json_object_array_get_idx(o, idx) : NULL;
	for (i = 0; i < n; i++)
		if (selected(json_object_array_get_idx(o, i), sel, len))
			return json_object_array_get_idx(o, i);
	return NULL;
}

static struct json_object *vget(struct json_object *o, const char *fmt, va_list ap)
{
	char path[512], *p, key[128];
	size_t n;

	vsnprintf(path, sizeof(path), fmt, ap);
	for (p = path; o && *p;) {
		if (*p == '.') {
			p++;
		} else if (*p == '[') {
			n = strcspn(p + 1, "]");
			if (p[1 + n] != ']')
				return NULL;
			o = pick(o, p + 1, n);
			p += n + 2;
		} else {
			n = strcspn(p, ".[");
			if (n >= sizeof(key))
				return NULL;
			memcpy(key, p, n);
			key[n] = '\0';
			if (!json_object_object_get_ex(o, key, &o))
				return NULL;
			p += n;
		}
	}
	return o;
}

/* The member at the path of the variadic function this is used in. */
#define AT(o, fmt) ({							\
	va_list __ap;							\
	struct json_object *__m;					\
									\
	va_start(__ap, fmt);						\
	__m = vget(o, fmt, __ap);					\
	va_end(__ap);							\
	__m;								\
})

struct json_object *json_get(struct json_object *o, const char *fmt, ...)
{
	return AT(o, fmt);
}

int64_t json_int(struct json_object *o, int64_t dflt, const char *fmt, ...)
{
	o = AT(o, fmt);
	return o ? json_object_get_int64(o) : dflt;
}

uint64_t json_u64(struct json_object *o, uint64_t dflt, const char *fmt, ...)
{
	o = AT(o, fmt);
	return o ? json_object_get_uint64(o) : dflt;
}

double json_dbl(struct json_object *o, double dflt, const char *fmt, ...)
{
	o = AT(o, fmt);
	return o ? json_object_get_double(o) : dflt;
}

const char *json_str(struct json_object *o, const char *fmt, ...)
{
	o = AT(o, fmt);
	return o && json_object_is_type(o, json_type_string) ? json_object_get_string(o) : NULL;
}
