/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memvirt CLI: a small HTTP server (libmicrohttpd) that answers GET and
 * HEAD of one path with a body made per request; "/" says where that path
 * is, any other path is 404 and any other method 405. Each listen address
 * gets its own daemon and thread; the bodies are made one at a time.
 */
#ifndef MEMVIRT_HTTPD_H
#define MEMVIRT_HTTPD_H

#include <stdbool.h>
#include <stddef.h>

/* The default listen address: the port libvirt's exporters use. */
#define MV_HTTPD_DEFAULT_LISTEN	"localhost:9177"
/* Listen addresses at most (each a name, IPv4 or [IPv6] with a port). */
#define MV_HTTPD_MAX_LISTEN	16

/* The body: a malloc()ed *@body of *@len bytes. 0 or -errno. */
typedef int (*mv_httpd_body_fn)(void *arg, char **body, size_t *len);

struct mv_httpd_conf {
	const char *listen[MV_HTTPD_MAX_LISTEN];	/* "host:port", "[::1]:port" */
	size_t nr_listen;
	const char *path;		/* "/metrics" */
	const char *content_type;
	mv_httpd_body_fn body;
	void *arg;
};

struct mv_httpd;

/* Is @spec a listen address of the form above? */
bool mv_httpd_addr_ok(const char *spec);

/* Binds every address and starts serving; says why and returns NULL if not. */
struct mv_httpd *mv_httpd_start(const struct mv_httpd_conf *c);
void mv_httpd_stop(struct mv_httpd *d);

#endif /* MEMVIRT_HTTPD_H */
