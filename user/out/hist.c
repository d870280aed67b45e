// SPDX-License-Identifier: GPL-2.0
/*
 * memvirt CLI: what the probes measure, rendered: log2 latency histograms
 * and the losses, as text and as JSON.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "out/hist.h"

void mv_fmt_losses(char *buf, size_t len, const struct mv_fault_losses *l, bool compact)
{
	unsigned long long total = 0;
	size_t off = 0;
	bool first = true, na = false;

#define PUT(...) do {							\
		int w_ = snprintf(buf + off, off < len ? len - off : 0, __VA_ARGS__); \
		off += w_ > 0 ? (size_t)w_ : 0;				\
	} while (0)

	if (len)
		buf[0] = 0;
	for (int i = 0; i < MV_LOST_NR; i++)
		if (l->state[i] == MV_LOSS_OK && i != MV_LOST_COUNTER_RESETS)
			total += l->n[i];
	if (compact)
		PUT("%llu", total);
	for (int i = 0; i < MV_LOST_NR; i++) {
		if (l->state[i] == MV_LOSS_OFF)
			continue;
		na |= l->state[i] == MV_LOSS_NA;
		if (compact && (l->state[i] != MV_LOSS_OK || !l->n[i]))
			continue;
		if (l->state[i] == MV_LOSS_OK)
			PUT("%s%s %llu", first ? (compact ? " (" : "") : ", ", mv_loss_desc[i].key,
			    l->n[i]);
		else
			PUT("%s%s n/a", first ? "" : ", ", mv_loss_desc[i].key);
		first = false;
	}
	if (compact && !first)
		PUT(")");
	if (compact && na) {
		first = true;
		PUT("; n/a:");
		for (int i = 0; i < MV_LOST_NR; i++)
			if (l->state[i] == MV_LOSS_NA) {
				PUT("%s%s", first ? " " : ", ", mv_loss_desc[i].key);
				first = false;
			}
	} else if (na) {
		PUT(" (n/a: not reported by this kernel)");
	}
#undef PUT
	if (len && off >= len)
		buf[len - 1] = 0;
}


void mv_fmt_faults_state(char *buf, size_t len, const struct mv_faults *f)
{
	struct mv_fault_losses l;
	int n;

	if (!f) {
		snprintf(buf, len, "off");
		return;
	}
	mv_faults_losses(f, false, &l);
	n = snprintf(buf, len, "%s, lost: ", mv_faults_method(f));
	if (n >= 0 && (size_t)n < len)
		mv_fmt_losses(buf + n, len - n, &l, true);
}

struct json_object *mv_losses_json(const struct mv_fault_losses *l)
{
	struct json_object *obj = json_object_new_object();
	int i, err = 0;

	for (i = 0; obj && i < MV_LOST_NR && !err; i++) {
		if (l->state[i] == MV_LOSS_OFF)
			continue;
		err = mv_json_add(obj, mv_loss_desc[i].key, l->state[i] == MV_LOSS_OK ?
				  json_object_new_uint64(l->n[i]) : NULL);
	}
	if (err) {
		json_object_put(obj);
		return NULL;
	}
	return obj;
}

bool mv_hist_span(const unsigned long long *hist, int nr, int *first, int *last,
		  unsigned long long *max)
{
	int i;

	*first = *last = -1;
	*max = 0;
	for (i = 0; i < nr; i++) {
		if (!hist[i])
			continue;
		if (*first < 0)
			*first = i;
		*last = i;
		if (hist[i] > *max)
			*max = hist[i];
	}
	return *first >= 0;
}

void mv_hist_heading(char *buf, size_t len)
{
	snprintf(buf, len, "%22s : %-10s %s", "nsecs", "count", "distribution");
}

void mv_hist_line(char *buf, size_t len, const unsigned long long *hist, int i,
		  unsigned long long max, int width)
{
	char range[48], bar[MV_HIST_BAR_MAX + 1];
	int w;

	if (width > MV_HIST_BAR_MAX)
		width = MV_HIST_BAR_MAX;
	if (width < 1)
		width = 1;
	w = max ? (int)(hist[i] * width / max) : 0;
	snprintf(range, sizeof(range), "%llu -> %llu", i ? 1ULL << i : 0ULL,
		 (1ULL << (i + 1)) - 1);
	memset(bar, '*', w);
	bar[w] = 0;
	snprintf(buf, len, "%22s : %-10llu |%-*s|", range, hist[i], width, bar);
}

int mv_hist_print(const char *title, const unsigned long long *hist, int nr)
{
	unsigned long long max;
	int first, last, i;
	char line[160];

	if (!mv_hist_span(hist, nr, &first, &last, &max))
		return 0;
	mv_hist_heading(line, sizeof(line));
	printf("\n%s\n%s\n", title, line);
	for (i = first; i <= last; i++) {
		mv_hist_line(line, sizeof(line), hist, i, max, 40);
		if (printf("%s\n", line) < 0)
			return -EIO;
	}
	return 0;
}

static const char *const access_names[FA_NR] = { "read", "write", "fetch" };
static const char *const cause_names[FK_NR] = { "not_present", "protection", "rsvd" };

/* The largest mapping the fault installed: "4K", "2M", "1G", "other", "mmio" or "-". */
static const char *event_level(const struct faults_event *e)
{
	if (e->spte[FL_1G])
		return "1G";
	if (e->spte[FL_2M])
		return "2M";
	if (e->spte[FL_4K])
		return "4K";
	if (e->spte[FL_OTHER])
		return "other";
	return e->mmio ? "mmio" : "-";
}

static int event_json(const struct faults_event *e, const char *id, double t,
		      bool latency, const char *const s[4])
{
	struct json_object *j = json_object_new_object();
	char tm[32], ec[32];
	int err;

	if (!j)
		return -ENOMEM;
	snprintf(tm, sizeof(tm), "%.6f", t);
	snprintf(ec, sizeof(ec), "%#llx", (unsigned long long)e->err);
	err = mv_json_add(j, "time", json_object_new_double_s(t, tm)) ?:
	      mv_json_add(j, "id", json_object_new_string(id)) ?:
	      mv_json_add(j, "vcpu", json_object_new_int(e->vcpu_id)) ?:
	      mv_json_add(j, "gpa", json_object_new_uint64(e->gpa)) ?:
	      mv_json_add(j, "error_code", json_object_new_string(ec)) ?:
	      mv_json_add(j, "access", json_object_new_string(s[0])) ?:
	      mv_json_add(j, "cause", json_object_new_string(s[1])) ?:
	      mv_json_add(j, "stage", json_object_new_string(s[2])) ?:
	      mv_json_add(j, "result", json_object_new_string(s[3])) ?:
	      mv_json_add(j, "ret", json_object_new_int(e->ret)) ?:
	      mv_json_add(j, "level", json_object_new_string(event_level(e))) ?:
	      mv_json_add(j, "host_faults", json_object_new_int64(e->host_faults)) ?:
	      (latency ? mv_json_add(j, "latency_ns", json_object_new_uint64(e->lat_ns)) : 0) ?:
	      mv_json_print_line(j, stdout);
	json_object_put(j);
	return err;
}

int mv_trace_event_print(const struct faults_event *e, const char *id, double t,
			 bool json, bool latency, bool first)
{
	const char *s[4];
	char lat[32];

	s[0] = access_names[e->err & FAULTS_PFERR_FETCH ? FA_FETCH :
			    e->err & FAULTS_PFERR_WRITE ? FA_WRITE : FA_READ];
	s[1] = cause_names[e->err & FAULTS_PFERR_RSVD ? FK_RSVD :
			   e->err & FAULTS_PFERR_PRESENT ? FK_PROT : FK_NOT_PRESENT];
	s[2] = e->err & FAULTS_PFERR_GUEST_FINAL ? "final" :
	       e->err & FAULTS_PFERR_GUEST_PAGE ? "walk" : "-";
	s[3] = e->ret > 0 ? "resumed" : e->ret == 0 ? "exit_to_vmm" : "error";
	if (json)
		return event_json(e, id, t, latency, s);
	/* A stream, one line per event as it comes: fixed widths, no table. */
	if (first)
		printf("%-12s %-12s %4s %-18s %-12s %-5s %-11s %-5s %-11s %-5s %6s %8s\n",
		       "TIME(s)", "ID", "VCPU", "GPA", "ERROR", "ACCESS", "CAUSE", "STAGE",
		       "RESULT", "MAP", "HOSTPF", "LATENCY");
	mv_fmt_ns(lat, sizeof(lat), latency ? (double)e->lat_ns : 0);
	return printf("%-12.6f %-12s %4d 0x%016llx %-12llx %-5s %-11s %-5s %-11s %-5s %6u %8s\n",
		      t, id, e->vcpu_id, (unsigned long long)e->gpa,
		      (unsigned long long)e->err, s[0], s[1], s[2], s[3], event_level(e),
		      e->host_faults, lat) < 0 ? -EIO : 0;
}
