// SPDX-License-Identifier: Apache-2.0
/* Configuration value parsers: see parse.h. */
#include "parse.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int fp_cfg_u64(const char *key, const char *text, uint64_t min, uint64_t max, bool sizes,
		 uint64_t *out, char *err, size_t errlen)
{
	unsigned long long v;
	uint64_t mult = 1;
	char *end;

	/* strtoull accepts a leading '-' and wraps; refuse anything that does not start with a digit. */
	if (!isdigit((unsigned char)text[0])) {
		snprintf(err, errlen, "%s: '%s' is not a number", key, text);
		return -1;
	}
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno == ERANGE) {
		snprintf(err, errlen, "%s: '%s' is too large", key, text);
		return -1;
	}
	if (sizes && *end) {
		switch (toupper((unsigned char)*end)) {
		case 'K': mult = 1ULL << 10; break;
		case 'M': mult = 1ULL << 20; break;
		case 'G': mult = 1ULL << 30; break;
		default: break;
		}
		if (mult > 1) {
			end++;
			if (strcasecmp(end, "iB") == 0 || strcasecmp(end, "B") == 0)
				end += strlen(end);
		}
	}
	if (*end) {
		snprintf(err, errlen, "%s: '%s' has trailing characters '%s'%s", key, text, end,
			 sizes ? " (sizes take K, M or G)" : "");
		return -1;
	}
	if (v > UINT64_MAX / mult) {
		snprintf(err, errlen, "%s: '%s' is too large", key, text);
		return -1;
	}
	v *= mult;
	if (v < min || v > max) {
		snprintf(err, errlen, "%s: %llu is out of range %" PRIu64 "-%" PRIu64, key, v, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

int fp_cfg_bool(const char *key, const char *text, bool *out, char *err, size_t errlen)
{
	static const char *yes[] = { "on", "yes", "true", "1" };
	static const char *no[] = { "off", "no", "false", "0" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(text, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(text, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	snprintf(err, errlen, "%s: '%s' is not on/off", key, text);
	return -1;
}

int fp_cfg_ip(const char *key, const char *text, uint16_t port, struct fp_addr *out, char *err,
		size_t errlen)
{
	struct sockaddr_in *v4 = (struct sockaddr_in *)&out->ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&out->ss;

	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, text, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons(port);
		out->len = sizeof(*v4);
		return 0;
	}
	if (inet_pton(AF_INET6, text, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons(port);
		out->len = sizeof(*v6);
		return 0;
	}
	snprintf(err, errlen, "%s: '%s' is not a numeric IPv4 or IPv6 address", key, text);
	return -1;
}

int fp_cfg_hostport(const char *key, const char *text, struct fp_addr *out, char *err, size_t errlen)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon, *port_text;
	uint64_t port;
	size_t hlen;

	if (text[0] == '[') {
		const char *close = strchr(text, ']');

		if (!close || close[1] != ':') {
			snprintf(err, errlen, "%s: '%s' is not [IPv6]:port", key, text);
			return -1;
		}
		hlen = (size_t)(close - text - 1);
		colon = close + 1;
		text++;
	} else {
		colon = strrchr(text, ':');
		if (!colon || strchr(text, ':') != colon) {
			snprintf(err, errlen, "%s: '%s' is not address:port (write IPv6 as [addr]:port)", key,
				 text);
			return -1;
		}
		hlen = (size_t)(colon - text);
	}
	if (hlen == 0 || hlen >= sizeof(host)) {
		snprintf(err, errlen, "%s: '%s' has no valid address part", key, text);
		return -1;
	}
	memcpy(host, text, hlen);
	host[hlen] = '\0';
	port_text = colon + 1;
	if (fp_cfg_u64(key, port_text, 1, 65535, false, &port, err, errlen) < 0)
		return -1;
	return fp_cfg_ip(key, host, (uint16_t)port, out, err, errlen);
}

void fp_cfg_format_addr(const struct fp_addr *a, char *out, size_t outlen)
{
	char host[INET6_ADDRSTRLEN];

	if (a->ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)&a->ss;

		inet_ntop(AF_INET6, &v6->sin6_addr, host, sizeof(host));
		snprintf(out, outlen, "[%s]:%u", host, ntohs(v6->sin6_port));
	} else {
		const struct sockaddr_in *v4 = (const struct sockaddr_in *)&a->ss;

		inet_ntop(AF_INET, &v4->sin_addr, host, sizeof(host));
		snprintf(out, outlen, "%s:%u", host, ntohs(v4->sin_port));
	}
}
