// SPDX-License-Identifier: Apache-2.0
/* Pinning: where the maps live in bpffs so other processes (CLI, server, exporter) can read them. */
#include <errno.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "internal.h"

#define BPFFS_DEFAULT "/sys/fs/bpf"

static const char *const pin_names[] = {
	FP_PIN_PROG, FP_PIN_CONFIG, FP_PIN_COUNTERS, FP_PIN_DROPS, FP_PIN_CPUMAP, FP_PIN_RATELIMIT,
};

int fp_xdp_pin_path(const char *pin_root, const char *ifname, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s", pin_root ? pin_root : FP_XDP_PIN_ROOT, ifname);

	if (n < 0 || (size_t)n >= len)
		return fp_xdp_fail(ENAMETOOLONG, "pin path for %s is too long", ifname);
	return 0;
}

static int is_bpffs(const char *path)
{
	struct statfs st;

	return statfs(path, &st) == 0 && st.f_type == BPF_FS_MAGIC;
}

/* Without systemd nobody mounts /sys/fs/bpf; mount it, as systemd would, when our pins go there. */
static int mount_default_bpffs(const char *dir)
{
	size_t n = strlen(BPFFS_DEFAULT);

	if (strncmp(dir, BPFFS_DEFAULT, n) != 0 || (dir[n] != '/' && dir[n] != '\0'))
		return 0;
	if (is_bpffs(BPFFS_DEFAULT))
		return 0;
	if (mount("bpf", BPFFS_DEFAULT, "bpf", 0, "mode=0700") != 0)
		return fp_xdp_fail(errno, "mounting bpffs on %s: %s; mount it first (mount -t bpf bpf %s)",
				   BPFFS_DEFAULT, strerror(errno), BPFFS_DEFAULT);
	return 0;
}

static int mkdir_p(const char *dir)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s", dir);
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0700) != 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int fp_xdp_pin_prepare(const char *dir)
{
	int err = mount_default_bpffs(dir);

	if (err)
		return err;
	err = mkdir_p(dir);
	if (err)
		return fp_xdp_fail(-err, "creating pin directory %s: %s", dir, strerror(-err));
	if (!is_bpffs(dir))
		return fp_xdp_fail(EMEDIUMTYPE, "%s is not on a bpffs; mount one there (mount -t bpf bpf DIR)", dir);
	return 0;
}

static int pin_one(const char *dir, const char *name, int fd)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (unlink(path) != 0 && errno != ENOENT) /* a stale pin from a process that died */
		return fp_xdp_fail(errno, "removing stale pin %s: %s", path, strerror(errno));
	if (bpf_obj_pin(fd, path) != 0)
		return fp_xdp_fail(errno, "pinning %s: %s", path, strerror(errno));
	return 0;
}

static void unpin_one(const char *dir, const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
}

int fp_xdp_pin_all(struct fp_xdp *x)
{
	const int fds[] = { x->prog_fd, x->config_fd, x->counters_fd, x->drops_fd, x->cpumap_fd,
			   x->ratelimit_fd };
	int err = fp_xdp_pin_prepare(x->pin_dir);

	for (size_t i = 0; !err && i < sizeof(pin_names) / sizeof(pin_names[0]); i++)
		if (fds[i] >= 0)
			err = pin_one(x->pin_dir, pin_names[i], fds[i]);
	/* A link pinned by an earlier attach no longer holds anything (the attach above succeeded). */
	if (!err)
		unpin_one(x->pin_dir, FP_PIN_LINK);
	return err;
}

void fp_xdp_unpin_all(const char *dir)
{
	char path[PATH_MAX];
	char *slash;

	for (size_t i = 0; i < sizeof(pin_names) / sizeof(pin_names[0]); i++)
		unpin_one(dir, pin_names[i]);
	unpin_one(dir, FP_PIN_LINK);
	rmdir(dir);
	/* Remove the shared root too when we were its last user; harmless (ENOTEMPTY) otherwise. */
	snprintf(path, sizeof(path), "%s", dir);
	slash = strrchr(path, '/');
	if (slash && slash != path) {
		*slash = '\0';
		rmdir(path);
	}
}

int fp_xdp_get_pinned(const char *dir, const char *name)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = bpf_obj_get(path);
	return fd < 0 ? -errno : fd;
}

int fp_xdp_pinned_prog_id(const char *dir, __u32 *id)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);
	int fd = fp_xdp_get_pinned(dir, FP_PIN_PROG);
	int err;

	*id = 0;
	if (fd < 0)
		return fd;
	err = bpf_obj_get_info_by_fd(fd, &info, &len);
	close(fd);
	if (err)
		return err;
	*id = info.id;
	return 0;
}

int fp_xdp_pin_exists(const char *dir, const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return access(path, F_OK) == 0;
}

int fp_xdp_keep_attached(struct fp_xdp *x)
{
	if (x->link_fd < 0)
		return 0; /* attached by netlink (an earlier version): it stays anyway */
	return pin_one(x->pin_dir, FP_PIN_LINK, x->link_fd);
}
