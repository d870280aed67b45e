// SPDX-License-Identifier: GPL-2.0
/*
 * memvirt CLI: the HTTP server of `memvirt serve`, on libmicrohttpd. We bind
 * the sockets ourselves (exact errors, IPV6_V6ONLY so that 0.0.0.0 and [::]
 * can both be given) and hand each to a daemon that polls it from one
 * internal thread. Limits keep a slow or malformed client from holding it:
 * a connection idle for MV_HTTPD_TIMEOUT seconds is closed, at most
 * MV_HTTPD_CONNS are open per address, and libmicrohttpd closes malformed
 * requests (or answers 400) and refuses oversized ones itself.
 *
 * libmicrohttpd is loaded when serve starts (dlopen), not linked: with the
 * nine libraries it brings (GnuTLS among them), loading it cost every other
 * verb ~5 million instructions of relocations before main() (about half of
 * `memvirt list` at one VM). The build takes its header and SONAME.
 */
#include <dlfcn.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <microhttpd.h>

#include "lib/httpd.h"
#include "lib/util.h"

#define MV_HTTPD_TIMEOUT	10u	/* seconds a connection may idle */
#define MV_HTTPD_CONNS		32u	/* open connections per address */
#define MV_HTTPD_SOCKS		(2 * MV_HTTPD_MAX_LISTEN)

#ifndef MV_MHD_SONAME
#define MV_MHD_SONAME		"libmicrohttpd.so.12"
#endif

/* The functions of libmicrohttpd we call, from dlsym() (mhd_load()). */
static struct {
	__typeof__(MHD_start_daemon) *start_daemon;
	__typeof__(MHD_stop_daemon) *stop_daemon;
	__typeof__(MHD_create_response_from_buffer) *create_response_from_buffer;
	__typeof__(MHD_add_response_header) *add_response_header;
	__typeof__(MHD_queue_response) *queue_response;
	__typeof__(MHD_destroy_response) *destroy_response;
} mhd;

struct mv_httpd {
	struct mv_httpd_conf c;
	pthread_mutex_t lock;		/* one body at a time */
	char index[160];		/* the page of "/" */
	struct MHD_Daemon *d[MV_HTTPD_SOCKS];
	size_t nr;
};

static void logger(void *arg, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	(void)arg;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	if (n && msg[n - 1] == '\n')
		msg[n - 1] = 0;
	mv_err("http: %s", msg);
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned int status,
			     const char *type, char *body, size_t len, bool owned)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = mhd.create_response_from_buffer(len, body, owned ? MHD_RESPMEM_MUST_FREE :
					    MHD_RESPMEM_PERSISTENT);
	if (!r) {
		if (owned)
			free(body);
		return MHD_NO;		/* libmicrohttpd closes the connection */
	}
	mhd.add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		mhd.add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = mhd.queue_response(conn, status, r);
	mhd.destroy_response(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
				  const char *url, const char *method,
				  const char *version, const char *upload,
				  size_t *upload_size, void **req)
{
	static char not_found[] = "not found\n";
	static char not_allowed[] = "method not allowed: GET or HEAD only\n";
	static char failed[] = "memvirt: out of memory\n";
	struct mv_httpd *d = cls;
	char *body = NULL;
	size_t len = 0;
	int err;

	(void)version;
	(void)upload;
	(void)upload_size;
	(void)req;
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain",
			     not_allowed, strlen(not_allowed), false);
	if (!strcmp(url, "/"))
		return reply(conn, MHD_HTTP_OK, "text/plain", d->index,
			     strlen(d->index), false);
	if (strcmp(url, d->c.path))
		return reply(conn, MHD_HTTP_NOT_FOUND, "text/plain", not_found,
			     strlen(not_found), false);
	pthread_mutex_lock(&d->lock);
	err = d->c.body(d->c.arg, &body, &len);
	pthread_mutex_unlock(&d->lock);
	if (err)
		return reply(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain", failed,
			     strlen(failed), false);
	return reply(conn, MHD_HTTP_OK, d->c.content_type, body, len, true);
}

/* "host:port", "[v6]:port", ":port" (every address) into @host and @port. */
static int split_addr(const char *s, char *host, size_t hlen, char *port, size_t plen)
{
	const char *colon, *h = s, *he;

	if (*s == '[') {
		he = strchr(s, ']');
		if (!he || he[1] != ':')
			return -1;
		h = s + 1;
		colon = he + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon || memchr(s, ':', colon - s))
			return -1;	/* IPv6 wants brackets */
		he = colon;
	}
	if ((size_t)(he - h) >= hlen || strlen(colon + 1) >= plen || !colon[1] ||
	    strspn(colon + 1, "0123456789") != strlen(colon + 1) || atoi(colon + 1) > 65535)
		return -1;
	memcpy(host, h, he - h);
	host[he - h] = 0;
	strcpy(port, colon + 1);
	return 0;
}

bool mv_httpd_addr_ok(const char *spec)
{
	char host[256], port[8];

	return !split_addr(spec, host, sizeof(host), port, sizeof(port));
}

static void addr_str(int fd, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char a[INET6_ADDRSTRLEN] = "?";
	unsigned int port = 0;

	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0 && ss.ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, a, sizeof(a));
		port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
		snprintf(buf, len, "[%s]:%u", a, port);
		return;
	}
	if (ss.ss_family == AF_INET) {
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, a, sizeof(a));
		port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	}
	snprintf(buf, len, "%s:%u", a, port);
}

/* A listening socket on @ai; -errno on failure. */
static int bind_one(const struct addrinfo *ai)
{
	int fd, one = 1, err;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ai->ai_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 64)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

static int serve_fd(struct mv_httpd *d, int fd)
{
	char a[INET6_ADDRSTRLEN + 16];
	struct MHD_Daemon *md;

	addr_str(fd, a, sizeof(a));
	md = mhd.start_daemon(MHD_USE_AUTO | MHD_USE_INTERNAL_POLLING_THREAD |
			      MHD_USE_ERROR_LOG, 0, NULL, NULL, on_request, d,
			      MHD_OPTION_EXTERNAL_LOGGER, logger, NULL,
			      MHD_OPTION_LISTEN_SOCKET, fd,
			      MHD_OPTION_CONNECTION_LIMIT, MV_HTTPD_CONNS,
			      MHD_OPTION_CONNECTION_TIMEOUT, MV_HTTPD_TIMEOUT,
			      MHD_OPTION_END);
	if (!md) {
		close(fd);
		mv_err("cannot serve on %s (libmicrohttpd failed to start)", a);
		return -EIO;
	}
	d->d[d->nr++] = md;
	fprintf(stderr, "memvirt: serving http://%s%s\n", a, d->c.path);
	return 0;
}

/* Every address @spec names; an address family this host lacks is skipped
 * when another address of the same name could be bound. */
static int listen_on(struct mv_httpd *d, const char *spec)
{
	struct addrinfo hints = { .ai_flags = AI_PASSIVE | AI_NUMERICSERV,
				  .ai_socktype = SOCK_STREAM }, *res, *ai;
	char host[256], port[8];
	int rc, fd, first_err = 0, bound = 0;

	if (split_addr(spec, host, sizeof(host), port, sizeof(port))) {
		mv_err("invalid listen address '%s': expected HOST:PORT, [IPV6]:PORT or :PORT",
		       spec);
		return -EINVAL;
	}
	rc = getaddrinfo(*host ? host : NULL, port, &hints, &res);
	if (rc) {
		mv_err("listen address '%s': %s", spec, gai_strerror(rc));
		return -EINVAL;
	}
	for (ai = res; ai && d->nr < MV_HTTPD_SOCKS; ai = ai->ai_next) {
		fd = bind_one(ai);
		if (fd < 0) {
			first_err = first_err ?: fd;
			if (fd == -EADDRNOTAVAIL || fd == -EAFNOSUPPORT)
				continue;
			break;
		}
		if (serve_fd(d, fd))
			break;
		bound++;
	}
	freeaddrinfo(res);
	if (bound && (!first_err || first_err == -EADDRNOTAVAIL || first_err == -EAFNOSUPPORT))
		return 0;
	mv_err_errno(first_err ?: -EIO, "cannot listen on %s", spec);
	return first_err ?: -EIO;
}

/* libmicrohttpd's functions, once; -1 after saying what to install. */
static int mhd_load(void)
{
#define MHD_FN(f)	{ "MHD_" #f, (void **)&mhd.f }
	static const struct {
		const char *name;
		void **fn;
	} fns[] = {
		MHD_FN(start_daemon), MHD_FN(stop_daemon), MHD_FN(create_response_from_buffer),
		MHD_FN(add_response_header), MHD_FN(queue_response), MHD_FN(destroy_response),
	};
#undef MHD_FN
	void *lib;
	size_t i;

	if (mhd.start_daemon)
		return 0;
	lib = dlopen(MV_MHD_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		mv_err("serve needs libmicrohttpd (%s): %s; install it (Debian: "
		       "apt install libmicrohttpd12)", MV_MHD_SONAME, dlerror());
		return -1;
	}
	for (i = 0; i < ARRAY_SIZE(fns); i++) {
		*fns[i].fn = dlsym(lib, fns[i].name);
		if (!*fns[i].fn) {
			mv_err("%s has no %s: %s", MV_MHD_SONAME, fns[i].name, dlerror());
			memset(&mhd, 0, sizeof(mhd));
			dlclose(lib);
			return -1;
		}
	}
	return 0;		/* kept loaded: the daemons' threads run in it */
}

struct mv_httpd *mv_httpd_start(const struct mv_httpd_conf *c)
{
	struct mv_httpd *d;
	size_t i;

	if (mhd_load())
		return NULL;
	d = calloc(1, sizeof(*d));
	if (!d) {
		mv_err_nomem();
		return NULL;
	}
	d->c = *c;
	snprintf(d->index, sizeof(d->index), "memvirt: KVM memory metrics at %s\n", c->path);
	pthread_mutex_init(&d->lock, NULL);
	for (i = 0; i < c->nr_listen; i++) {
		if (listen_on(d, c->listen[i])) {
			mv_httpd_stop(d);
			return NULL;
		}
	}
	return d;
}

void mv_httpd_stop(struct mv_httpd *d)
{
	size_t i;

	if (!d)
		return;
	for (i = 0; i < d->nr; i++)
		mhd.stop_daemon(d->d[i]);	/* closes its listen socket */
	pthread_mutex_destroy(&d->lock);
	free(d);
}
