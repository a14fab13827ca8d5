/* mount/attach.c - handing the tap's socket to the filesystem under test: the
 * method table, the fusermount shim's setup, the filter that keeps the
 * filesystem from mounting anything itself, and auto's fallback. */
#include <errno.h>
#include <libgen.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include "mount/attach.h"
#include "util/paths.h"

#define SHIM_FD_ENV "FUSECHECK_SHIM_FD"

struct attach_method_info {
	const char *name;
	/* {mountpoint} and label for one attempt; -errno with err. */
	int (*prepare)(struct attach *a, char *err, size_t errlen);
};

static int prepare_fd(struct attach *a, char *err, size_t errlen);
static int prepare_fusermount(struct attach *a, char *err, size_t errlen);

static const struct attach_method_info methods[ATTACH_NMETHODS] = {
	[ATTACH_FD] = { "fd", prepare_fd },
	[ATTACH_FUSERMOUNT] = { "fusermount", prepare_fusermount },
	[ATTACH_AUTO] = { "auto", NULL },
};

/* What auto tries, in order. */
static const int auto_order[] = { ATTACH_FD, ATTACH_FUSERMOUNT };

int attach_parse(const char *name, int *method)
{
	int m;

	for (m = 0; m < ATTACH_NMETHODS; m++)
		if (!strcmp(methods[m].name, name)) {
			*method = m;
			return 0;
		}
	return -EINVAL;
}

const char *attach_name(int method)
{
	return method >= 0 && method < ATTACH_NMETHODS ?
	       methods[method].name : "unknown";
}

/* ---- the shim directory, made once per process ------------------- */

static struct {
	int ready;
	char dir[PATH_MAX - 64]; /* $TMPDIR/fusecheck-attach.XXXXXX */
	char bin[PATH_MAX - 32]; /* dir/bin: fusermount, fusermount3 */
	char mnt[PATH_MAX - 32]; /* dir/mnt: the filesystem's mountpoint */
	char shim[PATH_MAX];
} run;

/* The helpers the shim stands in for: libfuse's two names, and others a
 * filesystem's own bundled libfuse runs (mergerfs-fusermount), named by
 * a profile or found beside the program (attach_add_helper). */
#define HELPERS_MAX 8
static char helper_names[HELPERS_MAX][65] = { "fusermount", "fusermount3" };
static int nhelpers = 2;

/* Where libfuse looks first (FUSERMOUNT_DIR, compiled in: /bin for
 * Debian's libfuse2, /usr/bin for libfuse3) and other usual places; each
 * helper found there gets the shim bound over it. */
static const char *const system_dirs[] = {
	"/bin", "/usr/bin", "/usr/local/bin", "/sbin", NULL,
};

int attach_add_helper(const char *name)
{
	int k;

	if (!*name || strchr(name, '/') || strlen(name) >= 65 ||
	    !strcmp(name, ".") || !strcmp(name, ".."))
		return -EINVAL;
	for (k = 0; k < nhelpers; k++)
		if (!strcmp(helper_names[k], name))
			return 0;
	if (nhelpers == HELPERS_MAX || run.ready)
		return -E2BIG;
	snprintf(helper_names[nhelpers++], sizeof(helper_names[0]), "%s",
		 name);
	return 0;
}

void attach_detect_helpers(const char *fs_cmd)
{
	char prog[256], path[512];
	const char *b, *e;
	const char *const *d;
	size_t len;

	/* the program's name: its first word, without a directory */
	for (b = fs_cmd; *b == ' ' || *b == '\t'; b++)
		;
	for (e = b; *e && *e != ' ' && *e != '\t'; e++)
		;
	len = (size_t)(e - b);
	if (!len || len >= sizeof(prog))
		return;
	memcpy(prog, b, len);
	prog[len] = '\0';
	b = strrchr(prog, '/');
	b = b ? b + 1 : prog;
	for (d = system_dirs; *d; d++) {
		snprintf(path, sizeof(path), "%s/%s-fusermount", *d, b);
		if (access(path, X_OK) == 0) {
			snprintf(path, sizeof(path), "%s-fusermount", b);
			attach_add_helper(path);
			return;
		}
	}
}

static void run_cleanup(void)
{
	char path[PATH_MAX + 1024];
	int k;

	if (!run.dir[0])
		return;
	for (k = 0; k < nhelpers; k++) {
		snprintf(path, sizeof(path), "%s/%s", run.bin, helper_names[k]);
		unlink(path);
	}
	rmdir(run.bin);
	rmdir(run.mnt);
	rmdir(run.dir);
	run.dir[0] = 0;
}

/* 1 when "/" propagates nowhere (no "shared:" tag in mountinfo). */
static int root_is_private(void)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096], mp[4096];
	int private = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%*d %*d %*s %*s %4095s", mp) == 1 &&
		    !strcmp(mp, "/"))
			private = !strstr(line, " shared:");
	fclose(f);
	return private;
}

/* 1 when we are in a mount namespace of our own (not our parent's) whose
 * root is private: binding over system files is then seen by nobody
 * else and vanishes with us. */
static int in_private_ns(void)
{
	struct stat self, parent;
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)getppid());
	if (stat("/proc/self/ns/mnt", &self) < 0 || stat(path, &parent) < 0)
		return 0;
	if (self.st_ino == parent.st_ino && self.st_dev == parent.st_dev)
		return 0;
	return root_is_private();
}

static int bind_over_system(char *err, size_t errlen)
{
	char real[PATH_MAX], done[16][PATH_MAX], cand[PATH_MAX];
	const char *const *d;
	struct stat st;
	int ndone = 0, i, dup, h;

	for (h = 0; h < nhelpers; h++)
	for (d = system_dirs; *d; d++) {
		snprintf(cand, sizeof(cand), "%s/%s", *d, helper_names[h]);
		if (!realpath(cand, real) || stat(real, &st) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		for (i = 0, dup = 0; i < ndone; i++)
			dup |= !strcmp(done[i], real);
		if (dup || ndone == 16)
			continue;
		if (!in_private_ns()) {
			snprintf(err, errlen, "refusing to bind the fusermount "
				 "shim over '%s' outside a private mount "
				 "namespace", real);
			return -EPERM;
		}
		if (mount(run.shim, real, NULL, MS_BIND, NULL) < 0) {
			snprintf(err, errlen, "cannot bind the fusermount shim "
				 "over '%s': %s", real, strerror(errno));
			return -errno;
		}
		snprintf(done[ndone++], PATH_MAX, "%s", real);
	}
	return 0;
}

static int run_setup(char *err, size_t errlen)
{
	const char *tmp = getenv("TMPDIR");
	char path[PATH_MAX + 1024];
	int rc, k;

	if (run.ready)
		return 0;
	rc = paths_shim(run.shim, sizeof(run.shim));
	if (rc) {
		snprintf(err, errlen, "cannot find the fusermount shim '%s' "
			 "(set FUSECHECK_SHIM): %s", PATHS_SHIM_NAME, strerror(-rc));
		return rc;
	}
	snprintf(run.dir, sizeof(run.dir), "%s/fusecheck-attach.XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(run.dir)) {
		rc = -errno;
		snprintf(err, errlen, "cannot create '%s': %s", run.dir,
			 strerror(errno));
		run.dir[0] = 0;
		return rc;
	}
	atexit(run_cleanup);
	/* searchable by a filesystem that runs as another user (--fs-user):
	 * it holds only the empty mountpoint and the links to the shim */
	if (chmod(run.dir, 0755) < 0)
		goto out_errno;
	snprintf(run.bin, sizeof(run.bin), "%s/bin", run.dir);
	snprintf(run.mnt, sizeof(run.mnt), "%s/mnt", run.dir);
	if (mkdir(run.bin, 0755) < 0 || mkdir(run.mnt, 0755) < 0)
		goto out_errno;
	for (k = 0; k < nhelpers; k++) {
		snprintf(path, sizeof(path), "%s/%s", run.bin, helper_names[k]);
		if (symlink(run.shim, path) < 0)
			goto out_errno;
	}
	rc = bind_over_system(err, errlen);
	if (rc)
		goto out_cleanup;
	run.ready = 1;
	return 0;

out_errno:
	rc = -errno;
	snprintf(err, errlen, "cannot set up the fusermount shim in '%s': "
		 "%s", run.dir, strerror(errno));
out_cleanup:
	run_cleanup();
	return rc;
}

/* ---- methods ----------------------------------------------------- */

static int prepare_fd(struct attach *a, char *err, size_t errlen)
{
	snprintf(a->mountpoint, sizeof(a->mountpoint), "/dev/fd/%d", a->fd);
	snprintf(a->label, sizeof(a->label), "%s", a->mountpoint);
	return 0;
}

static int prepare_fusermount(struct attach *a, char *err, size_t errlen)
{
	const char *path = getenv("PATH");
	int rc, n;

	rc = run_setup(err, errlen);
	if (rc)
		return rc;
	/* The filesystem never sees the real mount: it gets an empty
	 * directory of its own to stat and realpath, and its requests
	 * through the socket the shim hands it. */
	snprintf(a->mountpoint, sizeof(a->mountpoint), "%s", run.mnt);
	snprintf(a->label, sizeof(a->label), "fusermount");
	snprintf(a->fd_env, sizeof(a->fd_env), SHIM_FD_ENV "=%d", a->fd);
	n = snprintf(a->path_env, sizeof(a->path_env), "PATH=%s:%s", run.bin,
		     path && *path ? path : "/usr/bin:/bin");
	if (n < 0 || (size_t)n >= sizeof(a->path_env)) {
		snprintf(err, errlen, "PATH is too long");
		return -ENAMETOOLONG;
	}
	return 0;
}

int attach_prepare(struct attach *a, int method, int fd, char *err,
		   size_t errlen)
{
	memset(a, 0, sizeof(*a));
	if (method < 0 || method >= ATTACH_NMETHODS ||
	    !methods[method].prepare) {
		snprintf(err, errlen, "no such attach method %d", method);
		return -EINVAL;
	}
	a->method = method;
	a->fd = fd;
	return methods[method].prepare(a, err, errlen);
}

/* ---- in the child ------------------------------------------------ */

#if defined(__x86_64__)
#define FC_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define FC_AUDIT_ARCH AUDIT_ARCH_AARCH64
#elif defined(__i386__)
#define FC_AUDIT_ARCH AUDIT_ARCH_I386
#elif defined(__riscv) && __riscv_xlen == 64
#define FC_AUDIT_ARCH AUDIT_ARCH_RISCV64
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define FC_AUDIT_ARCH AUDIT_ARCH_PPC64LE
#elif defined(__s390x__)
#define FC_AUDIT_ARCH AUDIT_ARCH_S390X
#endif

/* Every way to make or undo a mount: the filesystem under test gets its
 * connection from us, never by mounting (and must not unmount ours). */
static const int denied_syscalls[] = {
	SYS_mount,
	SYS_umount2,
#ifdef SYS_umount
	SYS_umount,
#endif
#ifdef SYS_fsopen
	SYS_fsopen, SYS_fsconfig, SYS_fsmount, SYS_fspick,
#endif
#ifdef SYS_move_mount
	SYS_move_mount, SYS_open_tree,
#endif
#ifdef SYS_mount_setattr
	SYS_mount_setattr,
#endif
};

#define NDENIED (sizeof(denied_syscalls) / sizeof(denied_syscalls[0]))

static int install_filter(void)
{
#ifdef FC_AUDIT_ARCH
	/* arch check (3), load nr (1), one test each, allow, deny */
	struct sock_filter f[4 + NDENIED + 2];
	struct sock_fprog prog = { .len = 0, .filter = f };
	unsigned short n = 0;
	size_t i;

	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		offsetof(struct seccomp_data, arch));
	/* Another ABI's numbers mean other calls: let those through. */
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
		FC_AUDIT_ARCH, 1, 0);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
		SECCOMP_RET_ALLOW);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		offsetof(struct seccomp_data, nr));
	for (i = 0; i < NDENIED; i++)
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ |
			BPF_K, (unsigned)denied_syscalls[i],
			(unsigned char)(NDENIED - i), 0);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
		SECCOMP_RET_ALLOW);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
		SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA));
	prog.len = n;
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) == 0)
		return 0;
	/* Without CAP_SYS_ADMIN a filter needs no_new_privs. */
	if (errno == EACCES && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) == 0)
		return 0;
	return -errno;
#else
	return -ENOSYS;
#endif
}

int attach_child(void *arg)
{
	struct attach *a = arg;
	int rc;

	if (a->method == ATTACH_FUSERMOUNT) {
		if (putenv(a->fd_env) || putenv(a->path_env))
			return -errno;
	}
	/* With /dev/fd/N the filesystem needs no mount of its own, but may
	 * make others for itself (lxcfs does): it gets a mount namespace
	 * of its own, private, so that whatever it mounts or unmounts stays
	 * there and fusecheck's mount is out of its reach.  Only where that
	 * cannot be had does the filter stand in. */
	if (a->method != ATTACH_FUSERMOUNT && unshare(CLONE_NEWNS) == 0 &&
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0) {
		/* its copy of fusecheck's mount goes, or it would keep the
		 * connection alive past the unmount */
		if (a->hide[0])
			umount2(a->hide, MNT_DETACH);
		return 0;
	}
	rc = install_filter();
	/* fd needs no filter to work; fusermount does, or libfuse3 would
	 * mount by itself, beside the tap. */
	return a->method == ATTACH_FUSERMOUNT ? rc : 0;
}

/* ---- auto -------------------------------------------------------- */

int attach_refused(int err)
{
	return err == -ECHILD || err == -ETIMEDOUT;
}

int attach_start(int method, const char *fs_cmd, attach_try_fn try_fn,
		 void *ctx, int *used, char *err, size_t errlen)
{
	const int *order = &method;
	size_t norder = 1, i, off;
	char label[PATH_MAX + 16], why[1024];
	int rc = -EINVAL;

	if (method == ATTACH_AUTO) {
		order = auto_order;
		norder = sizeof(auto_order) / sizeof(auto_order[0]);
	}
	off = (size_t)snprintf(err, errlen, "cannot attach to '%s': ",
			       fs_cmd);
	for (i = 0; i < norder; i++) {
		label[0] = 0;
		rc = try_fn(ctx, order[i], label, sizeof(label), why,
			    sizeof(why));
		if (!rc) {
			*used = order[i];
			err[0] = 0;
			return 0;
		}
		if (!attach_refused(rc)) {
			snprintf(err, errlen, "%s", why);
			return rc;
		}
		if (off < errlen)
			off += (size_t)snprintf(err + off, errlen - off,
						"%s%s: %s", i ? "; " : "",
						label, why);
	}
	return rc;
}
