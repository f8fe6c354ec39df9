/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Parsers for configuration values. Each takes the key name (for the message), the text, and
 * writes a message into err on failure; none accepts trailing garbage, a sign where none makes
 * sense, or a value out of its range.
 */
#ifndef FP_SERVER_PARSE_H
#define FP_SERVER_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* An address with its length, IPv4 or IPv6. */
struct fp_addr {
	struct sockaddr_storage ss;
	socklen_t len;
};

/*
 * Unsigned decimal in [min, max]. With `sizes`, a binary suffix K, M or G (any case, optional
 * trailing "iB"/"B") multiplies by 1024^n, so "4M" and "4MiB" both mean 4194304.
 */
int fp_cfg_u64(const char *key, const char *text, uint64_t min, uint64_t max, bool sizes,
		 uint64_t *out, char *err, size_t errlen);

/* on/off, yes/no, true/false, 1/0. */
int fp_cfg_bool(const char *key, const char *text, bool *out, char *err, size_t errlen);

/* A numeric IPv4 or IPv6 address (no names: the server must not depend on DNS) with a port. */
int fp_cfg_ip(const char *key, const char *text, uint16_t port, struct fp_addr *out, char *err,
		size_t errlen);

/* "198.18.0.5:7000" or "[2001:db8::5]:7000"; the port must be 1-65535. */
int fp_cfg_hostport(const char *key, const char *text, struct fp_addr *out, char *err, size_t errlen);

/* Render an address as "1.2.3.4:5" or "[::1]:5". */
void fp_cfg_format_addr(const struct fp_addr *a, char *out, size_t outlen);

#endif /* FP_SERVER_PARSE_H */
