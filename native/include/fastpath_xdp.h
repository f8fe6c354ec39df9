/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fastpath XDP: the ABI shared by the XDP program (bpf/fastpath_xdp.bpf.c) and its loader
 * (xdp/, libfastpath_xdp.a), then the loader's C API.
 *
 * The first half (maps' key and value layouts, counter indexes) is read by the BPF program and by
 * user space, so it uses only <linux/types.h>. The second half is user space only.
 *
 * Pinned maps live under <pin_root>/<ifname>/ (default /sys/fs/bpf/fastpath/<ifname>/):
 *   prog         the XDP program (lets another process detach exactly this program)
 *   fp_config    ARRAY[1] of struct fp_xdp_config
 *   fp_counters  PERCPU_ARRAY[FP_XDP_C__MAX] of __u64, enum fp_xdp_counter
 *   fp_drops     PERCPU_ARRAY[FP_DROP__MAX] of __u64, enum fp_drop_reason (fastpath_wire.h)
 *   fp_cpumap    CPUMAP, one entry per worker CPU (steering mode cpumap)
 *   fp_xsks      XSKMAP rx queue -> AF_XDP socket (steering mode xsk; not pinned: the sockets
 *                belong to the process that holds the program)
 *   fp_ratelimit LRU_HASH struct fp_xdp_src -> struct fp_xdp_bucket (per-source token bucket)
 *   link         the bpf_link holding the attachment, only when it must outlive its process
 *                (fastpath-xdp attach); a server keeps its link in an fd, released when it ends
 * Interface names are per network namespace but bpffs is not: two namespaces attaching to
 * interfaces with the same name need different pin roots.
 */
#ifndef FASTPATH_XDP_H
#define FASTPATH_XDP_H

#include <linux/types.h>

#include "fastpath_wire.h"

#define FP_XDP_MAX_PORTS 8      /* UDP ports one program serves */
#define FP_XDP_MAX_WORKERS 64   /* power of two: the program masks worker indexes with it */
#define FP_XDP_MAX_QUEUES 64    /* rx queues with an AF_XDP socket (fp_xsks entries) */
#define FP_XDP_MAX_CPUS 1024    /* CPUMAP upper bound; the loader sizes it to the possible CPUs */
#define FP_XDP_RATELIMIT_SOURCES 65536 /* sources tracked by the rate limiter (LRU) */
#define FP_XDP_TOKEN 1000000000ull    /* one packet's worth of tokens: rates are in packets/s */

/* What the program does with a valid fastpath packet that it does not answer itself. */
enum fp_xdp_steer {
	FP_XDP_STEER_PASS = 0,   /* XDP_PASS: to the stack on the receiving CPU (RSS/RPS decide) */
	FP_XDP_STEER_CPUMAP = 1, /* redirect to the CPU of the worker that owns the session */
	FP_XDP_STEER_XSK = 2,    /* redirect to the AF_XDP socket of the rx queue (fp_xsks) */
};

/* The program's whole configuration: fp_config[0]. All numbers in host byte order. */
struct fp_xdp_config {
	__u16 ports[FP_XDP_MAX_PORTS]; /* UDP destination ports served; 0 marks an unused slot */
	__u32 steer;                   /* enum fp_xdp_steer */
	__u32 ping_fastpath;           /* 1: answer FP_T_PING with FP_T_PONG by XDP_TX */
	__u32 ratelimit_pps;           /* per-source packets/s; 0 = no rate limit */
	__u32 ratelimit_burst;         /* bucket depth in packets */
	__u32 nworkers;                /* workers for cpumap steering; worker = session_id % nworkers */
	__u32 worker_cpu[FP_XDP_MAX_WORKERS]; /* worker -> CPU (a key of fp_cpumap) */
};

/* Every fate of a frame, counted per CPU. Indexes of fp_counters. */
enum fp_xdp_counter {
	FP_XDP_C_SEEN = 0,       /* frames the program ran on */
	FP_XDP_C_OTHER,          /* not fastpath traffic (not IP/UDP, other port, fragment): XDP_PASS */
	FP_XDP_C_VALID,          /* fastpath packets whose header passed fp_hdr_check() */
	FP_XDP_C_PASS,           /* valid packets given to the stack */
	FP_XDP_C_REDIRECT,       /* valid packets redirected to a worker's CPU */
	FP_XDP_C_REDIRECT_MISS,  /* cpumap had no entry for the worker's CPU: passed instead */
	FP_XDP_C_TX,             /* pings answered by XDP_TX */
	FP_XDP_C_DROP,           /* dropped; fp_drops says why */
	FP_XDP_C_MULTI,          /* one frame of several datagrams (a GSO send seen whole in generic
				  * mode on a virtual link): XDP_PASS, the stack cuts it up */
	FP_XDP_C__MAX,
};

/* Rate limiter key: the source address, IPv4 as ::ffff:a.b.c.d. */
struct fp_xdp_src {
	__u8 addr[16];
};

/* Token bucket; tokens in units of 1/FP_XDP_TOKEN packet so refill needs no division. */
struct fp_xdp_bucket {
	__u64 last_ns;
	__u64 tokens;
};

#ifndef __bpf__ /* ------------------------------ user space ------------------------------ */

#include <stdbool.h>
#include <stdio.h>

#define FP_XDP_PIN_ROOT "/sys/fs/bpf/fastpath"
#define FP_XDP_CPUMAP_QSIZE 2048 /* frames queued per remote CPU; the kernel's samples use 2048 */

/* Exit codes shared by fastpath-xdp and any program that wants to report loader failures. */
enum fp_xdp_exit {
	FP_XDP_EXIT_OK = 0,
	FP_XDP_EXIT_USAGE = 2,     /* bad command line or option value */
	FP_XDP_EXIT_NOIFACE = 3,   /* no such interface */
	FP_XDP_EXIT_PERM = 4,      /* missing CAP_BPF / CAP_NET_ADMIN */
	FP_XDP_EXIT_LOAD = 5,      /* the kernel refused the program or a map */
	FP_XDP_EXIT_ATTACH = 6,    /* attaching or detaching failed (busy, unsupported) */
	FP_XDP_EXIT_PIN = 7,       /* bpffs missing or pin path unusable */
	FP_XDP_EXIT_NOTFOUND = 8,  /* nothing of ours attached/pinned on that interface */
};

struct fp_xdp_opts {
	const char *ifname;             /* required */
	enum fp_xdp_steer steer;
	__u16 ports[FP_XDP_MAX_PORTS];  /* nports of them are used; 0 ports means FP_DEFAULT_PORT */
	unsigned int nports;
	__u32 ratelimit_pps;            /* 0 = off */
	__u32 ratelimit_burst;          /* 0 = ratelimit_pps (one second's worth) */
	unsigned int nworkers;          /* cpumap steering: 1..FP_XDP_MAX_WORKERS */
	int worker_cpus[FP_XDP_MAX_WORKERS];
	__u32 cpumap_qsize;             /* 0 = FP_XDP_CPUMAP_QSIZE */
	bool ping_fastpath;
	bool force_generic;             /* skip native mode (SKB/generic XDP only) */
	const char *pin_root;           /* NULL = FP_XDP_PIN_ROOT */
};

struct fp_xdp_stats {
	__u64 counters[FP_XDP_C__MAX]; /* summed over CPUs */
	__u64 drops[FP_DROP__MAX];     /* summed over CPUs */
};

struct fp_xdp; /* opaque handle */

/*
 * Errors: every function returns 0 or a negative errno and first reports what went wrong and what to
 * do about it through the error handler (default: a line on stderr prefixed "fastpath-xdp: ").
 */
typedef void (*fp_xdp_error_fn)(const char *msg, void *arg);
void fp_xdp_set_error_handler(fp_xdp_error_fn fn, void *arg);

/* Fill opts with defaults: steering pass, port FP_DEFAULT_PORT, ping fast path off. */
void fp_xdp_opts_init(struct fp_xdp_opts *opts, const char *ifname);

/* Check opts without touching the kernel (ports, worker CPUs, rates). */
int fp_xdp_opts_validate(const struct fp_xdp_opts *opts);

/*
 * Load, configure, attach (native, falling back to generic unless force_generic) and pin.
 * The attachment is a bpf_link held by this process: the kernel detaches the program when the
 * process ends, however it ends (SIGKILL included), unless fp_xdp_keep_attached pinned the link.
 * Refuses (-EBUSY or -EEXIST) when another XDP program is attached to the interface. fastpath's own
 * program left attached by netlink (earlier versions did, and it outlived a crashed server) is
 * recognised by the pinned program's id and replaced.
 */
int fp_xdp_attach(const struct fp_xdp_opts *opts, struct fp_xdp **out);

/* Keep the attachment after this process exits: pin its link as <pin_dir>/link (fastpath-xdp attach). */
int fp_xdp_keep_attached(struct fp_xdp *x);

/* Open what an earlier fp_xdp_attach (maybe in another process) left attached and pinned. */
int fp_xdp_open(const char *ifname, const char *pin_root, struct fp_xdp **out);

/* "native" or "generic": the XDP mode actually in use. */
const char *fp_xdp_mode(const struct fp_xdp *x);
/*
 * Why the driver refused native mode, in its words where it gave them ("Peer MTU is too large to set
 * XDP (Numerical result out of range)"), when this process attached in generic mode after trying
 * native; "" otherwise (native, generic asked for, or an attachment opened with fp_xdp_open).
 */
const char *fp_xdp_native_refused(const struct fp_xdp *x);
const char *fp_xdp_ifname(const struct fp_xdp *x);
const char *fp_xdp_pin_dir(const struct fp_xdp *x);

/* The fd of the XSKMAP (queue -> AF_XDP socket), or -1 when this process did not load the program. */
int fp_xdp_xsk_map_fd(const struct fp_xdp *x);

/* Replace the worker -> CPU table (cpumap steering) while attached; used by the server. */
int fp_xdp_set_workers(struct fp_xdp *x, unsigned int nworkers, const int *cpus);

/* Sum the per-CPU counters. */
int fp_xdp_read_stats(const struct fp_xdp *x, struct fp_xdp_stats *st);

/* Write stats as one JSON object (no newline). */
void fp_xdp_stats_json(FILE *f, const struct fp_xdp *x, const struct fp_xdp_stats *st);

/* Names for JSON and Prometheus: "seen", "tx", ...; "short", "magic", ... */
const char *fp_xdp_counter_name(enum fp_xdp_counter c);
const char *fp_xdp_drop_name(enum fp_drop_reason r);

/* Detach our program (its link, or by netlink only if it is still the one attached), unpin, free.
 * NULL is a no-op. */
int fp_xdp_detach(struct fp_xdp *x);

/* Free the handle. The program stays attached only if its link is pinned (fp_xdp_keep_attached). */
void fp_xdp_close(struct fp_xdp *x);

/*
 * Attach a program that only returns XDP_PASS (no maps, no pins). veth delivers XDP_TX'd frames
 * only when its peer runs an XDP program; this is that program. Detach with fp_xdp_detach_any().
 */
int fp_xdp_attach_pass(const char *ifname, bool force_generic);

/* Detach whatever XDP program is attached to ifname (native or generic); 0 if none was. */
int fp_xdp_detach_any(const char *ifname);

/*
 * Command-line helper shared by fastpath-xdp, the load generator and the server, so every number is
 * validated the same way: a decimal unsigned integer, whole string, within [min, max]. Returns 0 or
 * -EINVAL and writes nothing on error. Cpulists: fp_cpulist_parse (native/common/cpulist.h).
 */
int fp_parse_u64(const char *s, unsigned long long min, unsigned long long max, unsigned long long *out);

#endif /* !__bpf__ */

#endif /* FASTPATH_XDP_H */
