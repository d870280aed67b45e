// SPDX-License-Identifier: GPL-2.0
/*
 * memvirt CLI: a VM's name and UUID from its VMM's command line. Which
 * options name a VM depends on the VMM, told by argv[0]'s base name; the
 * table below is the whole list (Documentation/memvirt.rst repeats it).
 */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "lib/util.h"
#include "lib/vmname.h"

#define MAX_ARGS	4096

enum style {
	QEMU,		/* -opt VALUE, VALUE a QEMU option list */
	LONG,		/* --opt VALUE or --opt=VALUE */
};

struct vmm {
	const char *prefix;	/* of argv[0]'s base name */
	enum style style;
	const char *name_opt;	/* NULL: the VMM names no VM */
	const char *name_key;	/* the name is this key of an option list */
	const char *uuid_opt;
	const char *uuid_key;	/* the UUID is this key of an option list */
};

static const struct vmm vmms[] = {
	{ "qemu", QEMU, "name", "guest", "uuid", NULL },
	{ "firecracker", LONG, "id", NULL, NULL, NULL },
	{ "crosvm", LONG, "name", NULL, NULL, NULL },
	{ "cloud-hypervisor", LONG, NULL, NULL, "platform", "uuid" },
	{ "memvirt-vmm", LONG, "id", NULL, "uuid", NULL },
};

bool mv_uuid_valid(const char *s)
{
	size_t i;

	for (i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
			return false;
	}
	return !s[36];
}

/* Copies @n bytes of @s into @out (at most @size - 1), ",," as ",". */
static void copy_unescaped(const char *s, size_t n, char *out, size_t size)
{
	size_t i, k = 0;

	for (i = 0; i < n && k + 1 < size; i++) {
		out[k++] = s[i];
		if (s[i] == ',' && i + 1 < n && s[i + 1] == ',')
			i++;
	}
	out[k] = 0;
}

/* The end of the element of an option list at @s: the first lone ','. */
static const char *elem_end(const char *s)
{
	for (; *s; s++) {
		if (*s != ',')
			continue;
		if (s[1] != ',')
			return s;
		s++;
	}
	return s;
}

/*
 * The value of @key in the option list @v ("a=1,b=2"; ",," is a comma in a
 * value). With @implied, a first element without '=' is @key's value, as
 * in QEMU's "-name NAME". True if found.
 */
static bool list_value(const char *v, const char *key, bool implied,
		       char *out, size_t size)
{
	size_t klen = strlen(key);
	bool first = true, found = false;

	while (*v) {
		const char *end = elem_end(v), *eq = memchr(v, '=', end - v);

		if (!eq && first && implied) {
			copy_unescaped(v, end - v, out, size);
			found = true;
		} else if (eq && (size_t)(eq - v) == klen && !strncmp(v, key, klen)) {
			copy_unescaped(eq + 1, end - eq - 1, out, size);
			found = true;	/* the last one counts, as in QEMU */
		}
		first = false;
		v = *end ? end + 1 : end;
	}
	return found;
}

/* argv[*i] is option @opt in @style: its value (maybe the next argument). */
static const char *opt_value(const struct vmm *m, const char *opt, char **argv,
			     int argc, int *i)
{
	const char *a = argv[*i];
	size_t len = strlen(opt);

	if (a[0] != '-')
		return NULL;
	a += a[1] == '-' ? 2 : 1;
	if (m->style == LONG && argv[*i][1] != '-')
		return NULL;
	if (strncmp(a, opt, len))
		return NULL;
	if (m->style == LONG && a[len] == '=')
		return a + len + 1;
	if (a[len] || *i + 1 >= argc)
		return NULL;
	return argv[++*i];
}

static void take(const char *v, const char *key, bool implied, char *out,
		 size_t size)
{
	char buf[512];

	if (!key) {
		snprintf(out, size, "%s", v);
		return;
	}
	if (list_value(v, key, implied, buf, sizeof(buf)))
		snprintf(out, size, "%s", buf);
}

static void parse_args(const struct vmm *m, char **argv, int argc,
		       struct mv_vm_names *out)
{
	const char *v;
	char uuid[512] = "";
	int i;

	for (i = 1; i < argc; i++) {
		if (m->name_opt && (v = opt_value(m, m->name_opt, argv, argc, &i)))
			take(v, m->name_key, m->style == QEMU, out->name,
			     sizeof(out->name));
		else if (m->uuid_opt && (v = opt_value(m, m->uuid_opt, argv, argc, &i)))
			take(v, m->uuid_key, false, uuid, sizeof(uuid));
	}
	if (mv_uuid_valid(uuid)) {
		for (i = 0; uuid[i]; i++)
			out->uuid[i] = tolower((unsigned char)uuid[i]);
		out->uuid[i] = 0;
	}
}

void mv_vmname_parse(const char *cmdline, size_t len, struct mv_vm_names *out)
{
	static char *argv[MAX_ARGS];
	char clean[MV_VM_NAME_LEN];
	const char *base, *end = cmdline + len;
	int argc = 0;
	size_t k;

	memset(out, 0, sizeof(*out));
	/* The arguments, each NUL-terminated; the last may lack its NUL. */
	while (cmdline < end && argc < MAX_ARGS) {
		const char *nul = memchr(cmdline, 0, end - cmdline);

		if (!nul)
			break;
		argv[argc++] = (char *)cmdline;
		cmdline = nul + 1;
	}
	if (!argc)
		return;
	base = strrchr(argv[0], '/');
	base = base ? base + 1 : argv[0];
	for (k = 0; k < ARRAY_SIZE(vmms); k++)
		if (!strncmp(base, vmms[k].prefix, strlen(vmms[k].prefix)))
			break;
	if (k < ARRAY_SIZE(vmms))
		parse_args(&vmms[k], argv, argc, out);
	/* Every output (JSON, Prometheus labels) wants valid UTF-8. */
	mv_utf8_clean(clean, sizeof(clean), out->name);
	memcpy(out->name, clean, sizeof(out->name));
}

void mv_vmname_read(pid_t pid, struct mv_vm_names *out)
{
	static char buf[65536];
	char path[32];
	ssize_t n, len = 0;
	int fd;

	memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	while (len < (ssize_t)sizeof(buf) - 1 &&
	       (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += n;
	close(fd);
	if (len && buf[len - 1])
		buf[len++] = 0;	/* a cut last argument still ends */
	mv_vmname_parse(buf, len, out);
}

size_t mv_vmname_pids(const char *vm, pid_t *pids, size_t max)
{
	DIR *d = opendir("/proc");
	struct mv_vm_names n;
	struct dirent *de;
	size_t count = 0;

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		pid_t pid = strtol(de->d_name, NULL, 10);

		if (pid <= 0)
			continue;
		mv_vmname_read(pid, &n);
		if ((!n.name[0] || strcmp(n.name, vm)) &&
		    (!n.uuid[0] || strcasecmp(n.uuid, vm)))
			continue;
		if (count < max)
			pids[count] = pid;
		count++;
	}
	closedir(d);
	return count;
}

unsigned int mv_kvm_vm_fds(pid_t pid, int *fd)
{
	char path[64], fdpath[PATH_MAX], link[64];
	unsigned int n = 0;
	struct dirent *de;
	ssize_t len;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(fdpath, sizeof(fdpath), "%s/%s", path, de->d_name);
		len = readlink(fdpath, link, sizeof(link) - 1);
		if (len <= 0)
			continue;
		link[len] = 0;
		if (!strcmp(link, "anon_inode:kvm-vm") && !n++)
			*fd = atoi(de->d_name);
	}
	closedir(d);
	return n;
}
