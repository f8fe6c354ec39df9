// SPDX-License-Identifier: Apache-2.0
/* Command line of fastpath-loadgen: every number range-checked, every error names the option. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpulist.h"
#include "fastpath_xdp.h"
#include "loadgen.h"

void lg_usage(FILE *f)
{
	fprintf(f,
		"usage: fastpath-loadgen --dst ADDR [--port N] [--mode input|ping] [--rate PPS | 0 = flat out]\n"
		"         [--duration SEC] [--size BYTES] [--sessions N] [--flows N] [--threads N]\n"
		"         [--cpus CPULIST] [--batch N] [--linger-ms MS] [--session-base N]\n"
		"         [--max-loss PCT] [--min-rate PPS] [--max-p99-us US] [--gso | --no-gso] [--quiet]\n"
		"         [--afxdp IFACE --dst-mac MAC]\n"
		"Sends fastpath packets (input: expects state replies; ping: expects pong) for a bounded\n"
		"time, prints progress each second on stderr and a JSON summary on stdout. A batch for one\n"
		"source port leaves by sendmmsg, or with --gso in one UDP GSO send where the kernel allows\n"
		"(far less CPU per packet; but on virtual links - veth, bridges - the receiver can get the\n"
		"send as one frame of many datagrams, which an XDP program sees as one packet).\n"
		"--afxdp sends and receives whole frames through AF_XDP sockets on IFACE (thread i on rx\n"
		"queue i; at most 8 flows), fastpath's XDP program redirecting the replies; MAC is the next\n"
		"hop's (see `ip neigh`).\n"
		"Exit: 0 ok, 1 runtime error, 2 usage, 3 loss above --max-loss, 4 reply rate below\n"
		"--min-rate, 5 p99 RTT above --max-p99-us.\n");
}

static int bad(FILE *f, const char *opt, const char *value, const char *range)
{
	fprintf(f, "fastpath-loadgen: invalid %s '%s' (%s)\n", opt, value, range);
	return LG_EXIT_USAGE;
}

static int parse_num(const char *s, unsigned long long lo, unsigned long long hi, uint64_t *out)
{
	unsigned long long v;

	if (fp_parse_u64(s, lo, hi, &v))
		return -1;
	*out = v;
	return 0;
}

static int parse_real(const char *s, double lo, double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static int parse_dst(const char *s, struct lg_config *cfg)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)&cfg->dst;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&cfg->dst;

	memset(&cfg->dst, 0, sizeof(cfg->dst));
	if (inet_pton(AF_INET, s, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		cfg->dst_len = sizeof(*a4);
	} else if (inet_pton(AF_INET6, s, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		cfg->dst_len = sizeof(*a6);
	} else {
		return -1;
	}
	snprintf(cfg->dst_text, sizeof(cfg->dst_text), "%s", s);
	return 0;
}

static const struct option opts[] = {
	{ "dst", required_argument, NULL, 'd' },       { "port", required_argument, NULL, 'p' },
	{ "mode", required_argument, NULL, 'm' },      { "rate", required_argument, NULL, 'r' },
	{ "duration", required_argument, NULL, 't' },  { "size", required_argument, NULL, 's' },
	{ "sessions", required_argument, NULL, 'S' },  { "flows", required_argument, NULL, 'f' },
	{ "threads", required_argument, NULL, 'T' },   { "cpus", required_argument, NULL, 'c' },
	{ "batch", required_argument, NULL, 'b' },     { "linger-ms", required_argument, NULL, 'l' },
	{ "session-base", required_argument, NULL, 'B' }, { "max-loss", required_argument, NULL, 'L' },
	{ "min-rate", required_argument, NULL, 'R' },  { "max-p99-us", required_argument, NULL, 'P' },
	{ "quiet", no_argument, NULL, 'q' },           { "help", no_argument, NULL, 'h' },
	{ "no-gso", no_argument, NULL, 'G' },          { "gso", no_argument, NULL, 'g' },
	{ "afxdp", required_argument, NULL, 'X' },     { "dst-mac", required_argument, NULL, 'M' },
	{ NULL, 0, NULL, 0 },
};

int lg_parse_args(int argc, char **argv, struct lg_config *cfg, FILE *f)
{
	long ncpus = sysconf(_SC_NPROCESSORS_CONF);
	bool have_dst = false, have_flows = false, have_mac = false;
	uint64_t v;
	int opt;

	memset(cfg, 0, sizeof(*cfg));
	cfg->port = FP_DEFAULT_PORT;
	cfg->mode = LG_MODE_INPUT;
	cfg->duration_s = 5.0;
	cfg->size = 64;
	cfg->sessions = 64;
	cfg->threads = 1;
	cfg->batch = 32;
	cfg->linger_ms = 200;
	cfg->session_base = 1;
	cfg->max_loss_pct = -1.0;
	/* GSO is opt-in: on veth the GSO skb crosses into the receiver unsegmented, and the server's XDP
	 * program (generic mode) sees many datagrams as one frame and drops it for its length. */
	cfg->gso = false;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			if (parse_dst(optarg, cfg))
				return bad(f, "--dst", optarg, "an IPv4 or IPv6 address");
			have_dst = true;
			break;
		case 'p':
			if (parse_num(optarg, 1, 65535, &v))
				return bad(f, "--port", optarg, "1-65535");
			cfg->port = (uint16_t)v;
			break;
		case 'm':
			if (!strcmp(optarg, "input"))
				cfg->mode = LG_MODE_INPUT;
			else if (!strcmp(optarg, "ping"))
				cfg->mode = LG_MODE_PING;
			else
				return bad(f, "--mode", optarg, "input or ping");
			break;
		case 'r':
			if (parse_num(optarg, 0, 100000000, &cfg->rate_pps))
				return bad(f, "--rate", optarg, "0-100000000 packets/s, 0 = flat out");
			break;
		case 't':
			if (parse_real(optarg, 0.1, LG_MAX_DURATION_S, &cfg->duration_s))
				return bad(f, "--duration", optarg, "0.1-3600 seconds");
			break;
		case 's':
			if (parse_num(optarg, FP_HDR_LEN, FP_HDR_LEN + FP_MAX_PAYLOAD, &v))
				return bad(f, "--size", optarg, "32-1432 bytes of UDP payload");
			cfg->size = (uint32_t)v;
			break;
		case 'S':
			if (parse_num(optarg, 1, 1000000, &v))
				return bad(f, "--sessions", optarg, "1-1000000");
			cfg->sessions = (uint32_t)v;
			break;
		case 'f':
			if (parse_num(optarg, 1, LG_MAX_FLOWS, &v))
				return bad(f, "--flows", optarg, "1-1024 source ports");
			cfg->flows = (uint32_t)v;
			have_flows = true;
			break;
		case 'T':
			if (parse_num(optarg, 1, LG_MAX_THREADS, &v))
				return bad(f, "--threads", optarg, "1-64");
			cfg->threads = (uint32_t)v;
			break;
		case 'c': {
			int limit = ncpus > FP_MAX_CPUS ? FP_MAX_CPUS : (int)ncpus; /* this host's CPUs */
			char why[128];
			size_t n;

			if (fp_cpulist_parse(optarg, cfg->cpus, LG_MAX_THREADS, limit, &n, why, sizeof(why)))
				return bad(f, "--cpus", optarg, why);
			cfg->ncpus = (unsigned int)n;
			break;
		}
		case 'b':
			if (parse_num(optarg, 1, LG_MAX_BATCH, &v))
				return bad(f, "--batch", optarg, "1-1024");
			cfg->batch = (uint32_t)v;
			break;
		case 'l':
			if (parse_num(optarg, 0, 10000, &cfg->linger_ms))
				return bad(f, "--linger-ms", optarg, "0-10000");
			break;
		case 'B':
			if (parse_num(optarg, 0, UINT64_MAX - 1000000, &cfg->session_base))
				return bad(f, "--session-base", optarg, "a 64-bit session id");
			break;
		case 'L':
			if (parse_real(optarg, 0.0, 100.0, &cfg->max_loss_pct))
				return bad(f, "--max-loss", optarg, "0-100 percent");
			break;
		case 'R':
			if (parse_num(optarg, 1, 100000000, &cfg->min_rate_pps))
				return bad(f, "--min-rate", optarg, "1-100000000 replies/s");
			break;
		case 'P':
			if (parse_num(optarg, 1, 60000000, &cfg->max_p99_us))
				return bad(f, "--max-p99-us", optarg, "1-60000000 microseconds");
			break;
		case 'q':
			cfg->quiet = true;
			break;
		case 'G':
			cfg->gso = false;
			break;
		case 'g':
			cfg->gso = true;
			break;
		case 'X':
			if (!optarg[0] || strlen(optarg) >= sizeof(cfg->afxdp_iface))
				return bad(f, "--afxdp", optarg, "an interface name");
			strcpy(cfg->afxdp_iface, optarg);
			break;
		case 'M': {
			unsigned int m[6];
			char end;

			if (sscanf(optarg, "%x:%x:%x:%x:%x:%x%c", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5], &end) != 6)
				return bad(f, "--dst-mac", optarg, "aa:bb:cc:dd:ee:ff");
			for (int i = 0; i < 6; i++) {
				if (m[i] > 0xff)
					return bad(f, "--dst-mac", optarg, "aa:bb:cc:dd:ee:ff");
				cfg->dst_mac[i] = (unsigned char)m[i];
			}
			have_mac = true;
			break;
		}
		case 'h':
			lg_usage(stdout);
			exit(0);
		default:
			fprintf(f, "fastpath-loadgen: unknown option or missing value: %s\n", argv[optind - 1]);
			lg_usage(f);
			return LG_EXIT_USAGE;
		}
	}
	if (optind != argc)
		return bad(f, "argument", argv[optind], "options only");
	if (!have_dst)
		return bad(f, "--dst", "", "required");
	if (!have_flows)
		cfg->flows = cfg->sessions < 16 ? cfg->sessions : 16;
	if (cfg->flows > cfg->sessions)
		cfg->flows = cfg->sessions; /* a source port without a session would stay idle */
	if (cfg->flows < cfg->threads)
		cfg->flows = cfg->threads; /* every thread needs a socket of its own */
	if (cfg->threads > cfg->sessions)
		return bad(f, "--threads", "", "more threads than sessions");
	if (cfg->rate_pps && cfg->rate_pps < cfg->threads)
		return bad(f, "--rate", "", "below one packet/s per thread");
	if (cfg->afxdp_iface[0] && !have_mac)
		return bad(f, "--dst-mac", "", "required with --afxdp");
	if (cfg->afxdp_iface[0] && cfg->gso)
		return bad(f, "--gso", "", "not with --afxdp: frames are built whole");
	if (cfg->afxdp_iface[0] && cfg->flows > 8)
		return bad(f, "--flows", "", "at most 8 with --afxdp (the XDP program's ports)");
	return LG_EXIT_OK;
}
