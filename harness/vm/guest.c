/* vm/guest.c - one guest: the init script it runs, the command it is
 * given, and qemu around it.
 *
 * The guest sees the host's root read-only over virtio-9p (tag
 * "hostroot") with a tmpfs overlaid on it, so the same fusecheck binary,
 * memfs, scenarios and profiles are found at the same paths and /tmp is
 * writable, and nothing the guest does reaches the host but the results
 * directory (tag "results"), mounted at its own host path.  fusecheck's
 * exit status is written there; a guest that dies before writing it is a
 * broken row, never a verdict. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include "util/clock.h"
#include "util/spawn.h"
#include "vm/guest.h"

/* Mount options of both shares: a large msize, or every read of a host
 * binary is cut into 8 KiB messages. */
#define NINEP_OPTS "trans=virtio,version=9p2000.L,msize=262144"

static const char init_head[] =
	"#!/bin/busybox sh\n"
	"# fusecheck vm: the guest's init (harness/vm/guest.c)\n"
	"/bin/busybox --install -s /bin\n"
	"export PATH=/bin\n"
	"say() { echo \"fusecheck-guest: $*\"; }\n"
	"fail() { say \"FAILED: $*\"; poweroff -f; sleep 5; }\n"
	"mount -t proc proc /proc\n"
	"mount -t sysfs sys /sys\n"
	"mount -t devtmpfs dev /dev\n"
	"say \"kernel $(uname -r)\"\n"
	"RES=\n"
	"for w in $(cat /proc/cmdline); do\n"
	"\tcase $w in fusecheck.res=*) RES=${w#fusecheck.res=};; esac\n"
	"done\n"
	"[ -n \"$RES\" ] || fail \"no fusecheck.res= on the command line\"\n"
	"for m in";

static const char init_tail[] =
	"; do\n"
	"\tinsmod /lib/modules/$m.ko || say \"insmod $m failed\"\n"
	"done\n"
	"mount -t 9p -o " NINEP_OPTS ",ro hostroot /lower ||\n"
	"\tfail \"cannot mount the host's root over 9p\"\n"
	"mount -t tmpfs -o size=50% upper /upper\n"
	"mkdir -p /upper/u /upper/w\n"
	"R=/newroot\n"
	"if ! mount -t overlay -o lowerdir=/lower,upperdir=/upper/u,"
	"workdir=/upper/w\\\n"
	"\troot /newroot; then\n"
	"\tsay \"no overlay: the host's root read-only, a tmpfs on /tmp\"\n"
	"\tR=/lower\n"
	"\tmount -t tmpfs tmp $R/tmp\n"
	"fi\n"
	"mount -t proc proc $R/proc\n"
	"mount -t sysfs sys $R/sys\n"
	"mount -t devtmpfs dev $R/dev\n"
	"mount -t tmpfs run $R/run\n"
	"mkdir -p $R$RES\n"
	"mount -t 9p -o " NINEP_OPTS " results $R$RES ||\n"
	"\tfail \"cannot mount the results share at $RES\"\n"
	"say \"running $RES/guest.sh\"\n"
	"chroot $R /bin/sh $RES/guest.sh >$R$RES/run.log 2>&1\n"
	"echo $? >$R$RES/exit-code\n"
	"say \"fusecheck exited with status $(cat $R$RES/exit-code)\"\n"
	"sync\n"
	"umount $R$RES\n"
	"poweroff -f\n"
	"sleep 5\n";

char *vm_guest_init_text(const struct vm_modules *mods)
{
	char *text = NULL;
	size_t size = 0, i;
	FILE *f = open_memstream(&text, &size);

	if (!f)
		return NULL;
	fputs(init_head, f);
	for (i = 0; i < mods->n; i++)
		fprintf(f, " %s", mods->m[i].name);
	fputs(init_tail, f);
	if (fclose(f)) {
		free(text);
		return NULL;
	}
	return text;
}

/* One word for sh: in single quotes, each ' as '\''. */
static void put_quoted(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			fputs("'\\''", f);
		else
			fputc(*s, f);
	}
	fputc('\'', f);
}

int vm_guest_write_script(const char *resdir, const char *cwd,
			  char *const argv[])
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/guest.sh", resdir);
	f = fopen(path, "we");
	if (!f)
		return -errno;
	fputs("# fusecheck vm: the command the guest runs\n"
	      "export HOME=/root TMPDIR=/tmp LC_ALL=C.UTF-8 "
	      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:"
	      "/sbin:/bin\ncd ", f);
	put_quoted(f, cwd);
	fputs(" 2>/dev/null || cd /\nexec", f);
	for (; *argv; argv++) {
		fputc(' ', f);
		put_quoted(f, *argv);
	}
	fputc('\n', f);
	return fclose(f) ? -errno : 0;
}

static int read_exit_code(const char *resdir)
{
	char path[4096], buf[16];
	FILE *f;
	int code;

	snprintf(path, sizeof(path), "%s/exit-code", resdir);
	f = fopen(path, "re");
	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f) || sscanf(buf, "%d", &code) != 1 ||
	    code < 0 || code > 255)
		code = -1;
	fclose(f);
	return code;
}

/* Has the guest's init said its first line?  A KVM that takes every
 * ioctl may still never run a guest (seen here): its silence is caught
 * in seconds, not at --vm-timeout. */
struct watch {
	const char *console;
	unsigned limit_ms;
};

static int silent_too_long(void *arg, unsigned waited_ms)
{
	const struct watch *w = arg;
	char buf[4096];
	size_t n;
	FILE *f;

	if (!w->limit_ms || waited_ms < w->limit_ms || waited_ms % 1000)
		return 0;
	f = fopen(w->console, "re");
	if (!f)
		return 1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return !strstr(buf, "fusecheck-guest:");
}

int vm_guest_run(const struct vm_kernel *k, const char *initrd,
		 const char *resdir, const struct vm_guest_opts *o,
		 struct vm_guest_result *r)
{
	char mem[16], cpus[16], append[4400], serial[4200], root9p[256];
	char res9p[4300], log[4200], exitpath[4200], st[64];
	char console[4200];
	struct watch w;
	char *argv[] = {
		(char *)o->qemu, "-nodefaults", "-no-reboot", "-display", "none",
		"-vga", "none", "-monitor", "none", "-accel",
		o->kvm ? "kvm" : "tcg", "-m", mem, "-smp", cpus,
		"-kernel", (char *)k->image, "-initrd", (char *)initrd,
		"-append", append, "-serial", serial, "-virtfs", root9p,
		"-virtfs", res9p, NULL,
	};
	uint64_t t0 = clock_now_ns();
	int status, rc;

	memset(r, 0, sizeof(*r));
	r->exit_code = -1;
	snprintf(mem, sizeof(mem), "%u", o->memory_mb);
	snprintf(cpus, sizeof(cpus), "%u", o->cpus);
	/* panic=-1 with -no-reboot: a panicking guest ends qemu at once */
	snprintf(append, sizeof(append),
		 "console=ttyS0 panic=-1 loglevel=4 fusecheck.res=%s", resdir);
	snprintf(serial, sizeof(serial), "file:%s/console.log", resdir);
	snprintf(root9p, sizeof(root9p), "local,path=/,mount_tag=hostroot,"
		 "security_model=none,readonly=on,multidevs=remap");
	snprintf(res9p, sizeof(res9p), "local,path=%s,mount_tag=results,"
		 "security_model=none,multidevs=remap", resdir);
	snprintf(log, sizeof(log), "%s/qemu.log", resdir);
	snprintf(exitpath, sizeof(exitpath), "%s/exit-code", resdir);
	unlink(exitpath);
	w.console = console;
	w.limit_ms = o->kvm ? o->first_line_s * 1000u : 0;
	snprintf(console, sizeof(console), "%s/console.log", resdir);
	rc = spawn_wait_watched(argv, NULL, log, o->timeout_s * 1000u,
				&status, silent_too_long, &w);
	r->seconds = (double)(clock_now_ns() - t0) / 1e9;
	if (rc == -ECANCELED) {
		r->silent = 1;
		snprintf(r->why, sizeof(r->why), "the guest printed nothing "
			 "within %u s under KVM", o->first_line_s);
		return 0;
	}
	if (rc == -ETIMEDOUT) {
		snprintf(r->why, sizeof(r->why), "the guest did not power off "
			 "within %u s (--vm-timeout): qemu was killed",
			 o->timeout_s);
		return 0;
	}
	if (rc) {
		snprintf(r->why, sizeof(r->why), "cannot start %s: %s",
			 o->qemu, strerror(-rc));
		return 0;
	}
	r->exit_code = read_exit_code(resdir);
	if (r->exit_code < 0)
		snprintf(r->why, sizeof(r->why), "the guest ended (qemu %s) "
			 "before fusecheck finished in it",
			 spawn_status_text(status, st, sizeof(st)));
	return 0;
}

void vm_guest_console_tail(const char *resdir, unsigned lines, char *buf,
			   size_t size)
{
	char path[4200];
	char *text = NULL, *p;
	size_t len = 0;
	unsigned seen = 0;
	FILE *f;
	long end, start;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "%s/console.log", resdir);
	f = fopen(path, "re");
	if (!f)
		return;
	/* only the tail is wanted: a guest may print without end */
	fseek(f, 0, SEEK_END);
	end = ftell(f);
	start = end > 16384 ? end - 16384 : 0;
	fseek(f, start, SEEK_SET);
	text = calloc(1, 16385);
	if (text)
		len = fread(text, 1, 16384, f);
	fclose(f);
	if (!text)
		return;
	text[len] = '\0';
	for (p = text + len; p > text; p--)
		if (p[-1] == '\n' && p != text + len && ++seen > lines)
			break;
	snprintf(buf, size, "%s", p);
	free(text);
}
