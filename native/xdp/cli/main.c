// SPDX-License-Identifier: Apache-2.0
/*
 * fastpath-xdp: attach, inspect and detach the fastpath XDP program from a shell.
 *   fastpath-xdp attach IFACE [--port P]... [--steer pass|cpumap] [--workers CPULIST] [--ping]
 *                             [--ratelimit PPS [--burst N]] [--qsize N] [--generic] [--pin-root DIR]
 *   fastpath-xdp stats IFACE [--json] [--pin-root DIR]
 *   fastpath-xdp detach IFACE [--pin-root DIR]
 *   fastpath-xdp pass IFACE [--generic]      attach an XDP_PASS program (for a veth peer)
 *   fastpath-xdp detach-any IFACE            detach whatever XDP program is attached
 * attach pins the program's bpf_link (<pin dir>/link), so the program stays attached after this
 * command exits; detach removes it. Exit codes: enum fp_xdp_exit in fastpath_xdp.h.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cpulist.h"
#include "fastpath_xdp.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: fastpath-xdp attach IFACE [--port P]... [--steer pass|cpumap] [--workers CPULIST]\n"
		"                         [--ping] [--ratelimit PPS [--burst N]] [--qsize N] [--generic]\n"
		"                         [--pin-root DIR]\n"
		"       fastpath-xdp stats IFACE [--json] [--pin-root DIR]\n"
		"       fastpath-xdp detach IFACE [--pin-root DIR]\n"
		"       fastpath-xdp pass IFACE [--generic]\n"
		"       fastpath-xdp detach-any IFACE\n");
}

/* Map a negative errno from the library to the exit code that names its kind. */
static int exit_code(int err)
{
	switch (-err) {
	case 0:
		return FP_XDP_EXIT_OK;
	case EINVAL:
		return FP_XDP_EXIT_USAGE;
	case ENODEV:
		return FP_XDP_EXIT_NOIFACE;
	case EPERM:
		return FP_XDP_EXIT_PERM;
	case ENOENT:
		return FP_XDP_EXIT_NOTFOUND;
	case EBUSY:
	case EEXIST:
	case EOPNOTSUPP:
		return FP_XDP_EXIT_ATTACH;
	case EMEDIUMTYPE: /* the pin root is not on a bpffs */
	case EROFS:
	case ENAMETOOLONG:
		return FP_XDP_EXIT_PIN;
	default:
		return FP_XDP_EXIT_LOAD;
	}
}

/* why: the parser's reason, or NULL when "invalid WHAT 'VALUE'" says it all. */
static int bad_why(const char *what, const char *value, const char *why)
{
	fprintf(stderr, "fastpath-xdp: invalid %s '%s'%s%s\n", what, value ? value : "", why ? ": " : "",
		why ? why : "");
	usage(stderr);
	return FP_XDP_EXIT_USAGE;
}

static int bad(const char *what, const char *value)
{
	return bad_why(what, value, NULL);
}

static const struct option long_opts[] = {
	{ "port", required_argument, NULL, 'p' },    { "steer", required_argument, NULL, 's' },
	{ "workers", required_argument, NULL, 'w' }, { "ping", no_argument, NULL, 'P' },
	{ "ratelimit", required_argument, NULL, 'r' }, { "burst", required_argument, NULL, 'b' },
	{ "qsize", required_argument, NULL, 'q' },   { "generic", no_argument, NULL, 'g' },
	{ "pin-root", required_argument, NULL, 'R' }, { "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },          { NULL, 0, NULL, 0 },
};

int main(int argc, char **argv)
{
	struct fp_xdp_opts o;
	struct fp_xdp_stats st;
	struct fp_xdp *x = NULL;
	const char *cmd, *ifname;
	unsigned long long v;
	bool json = false;
	int opt, err, rc;
	long ncpus = sysconf(_SC_NPROCESSORS_CONF);

	if (argc < 3) {
		usage(argc == 2 && !strcmp(argv[1], "--help") ? stdout : stderr);
		return argc == 2 && !strcmp(argv[1], "--help") ? 0 : FP_XDP_EXIT_USAGE;
	}
	cmd = argv[1];
	ifname = argv[2];
	fp_xdp_opts_init(&o, ifname);
	o.nports = 0;
	optind = 3;
	while ((opt = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
		switch (opt) {
		case 'p':
			if (o.nports >= FP_XDP_MAX_PORTS || fp_parse_u64(optarg, 1, 65535, &v))
				return bad("port (1-65535, at most 8)", optarg);
			o.ports[o.nports++] = (__u16)v;
			break;
		case 's':
			if (!strcmp(optarg, "pass"))
				o.steer = FP_XDP_STEER_PASS;
			else if (!strcmp(optarg, "cpumap"))
				o.steer = FP_XDP_STEER_CPUMAP;
			else
				return bad("steering mode (pass or cpumap)", optarg);
			break;
		case 'w': {
			/* The CPUMAP holds CPUs below FP_XDP_MAX_CPUS only, and this host's at most. */
			int limit = ncpus > FP_XDP_MAX_CPUS ? FP_XDP_MAX_CPUS : (int)ncpus;
			char why[128];
			size_t n;

			if (fp_cpulist_parse(optarg, o.worker_cpus, FP_XDP_MAX_WORKERS, limit, &n, why, sizeof(why)))
				return bad_why("worker cpulist", optarg, why);
			o.nworkers = (unsigned int)n;
			break;
		}
		case 'P':
			o.ping_fastpath = true;
			break;
		case 'r':
			if (fp_parse_u64(optarg, 1, 100000000, &v))
				return bad("rate limit (1-100000000 pps)", optarg);
			o.ratelimit_pps = (__u32)v;
			break;
		case 'b':
			if (fp_parse_u64(optarg, 1, 1000000000, &v))
				return bad("burst (packets)", optarg);
			o.ratelimit_burst = (__u32)v;
			break;
		case 'q':
			if (fp_parse_u64(optarg, 1, 16384, &v))
				return bad("cpumap queue size (1-16384)", optarg);
			o.cpumap_qsize = (__u32)v;
			break;
		case 'g':
			o.force_generic = true;
			break;
		case 'R':
			o.pin_root = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return FP_XDP_EXIT_USAGE;
		}
	}
	if (optind != argc)
		return bad("extra argument", argv[optind]);
	if (!o.nports) {
		o.ports[0] = FP_DEFAULT_PORT;
		o.nports = 1;
	}

	if (!strcmp(cmd, "attach")) {
		err = fp_xdp_attach(&o, &x);
		if (!err)
			err = fp_xdp_keep_attached(x);
		if (!err && fp_xdp_native_refused(x)[0])
			fprintf(stderr, "fastpath-xdp: warning: the driver refused native XDP on %s: %s; attached in "
				"generic mode\n", fp_xdp_ifname(x), fp_xdp_native_refused(x));
		if (!err)
			printf("{\"ifname\":\"%s\",\"mode\":\"%s\",\"pin_dir\":\"%s\",\"native_refused\":\"%s\"}\n",
			       fp_xdp_ifname(x), fp_xdp_mode(x), fp_xdp_pin_dir(x), fp_xdp_native_refused(x));
		if (err && x)
			fp_xdp_detach(x); /* the link could not be pinned: leave nothing behind */
		else
			fp_xdp_close(x); /* the pinned link keeps it attached */
	} else if (!strcmp(cmd, "stats")) {
		err = fp_xdp_open(ifname, o.pin_root, &x);
		if (!err)
			err = fp_xdp_read_stats(x, &st);
		if (!err && json) {
			fp_xdp_stats_json(stdout, x, &st);
			putchar('\n');
		} else if (!err) {
			printf("%s: XDP %s, pins in %s\n", ifname, fp_xdp_mode(x), fp_xdp_pin_dir(x));
			for (int c = 0; c < FP_XDP_C__MAX; c++)
				printf("  %-14s %llu\n", fp_xdp_counter_name(c), (unsigned long long)st.counters[c]);
			for (int r = 1; r < FP_DROP__MAX; r++)
				printf("  drop_%-9s %llu\n", fp_xdp_drop_name(r), (unsigned long long)st.drops[r]);
		}
		fp_xdp_close(x);
	} else if (!strcmp(cmd, "detach")) {
		err = fp_xdp_open(ifname, o.pin_root, &x);
		if (!err)
			err = fp_xdp_detach(x);
	} else if (!strcmp(cmd, "pass")) {
		err = fp_xdp_attach_pass(ifname, o.force_generic);
	} else if (!strcmp(cmd, "detach-any")) {
		err = fp_xdp_detach_any(ifname);
	} else {
		return bad("command", cmd);
	}
	rc = exit_code(err);
	return rc;
}
