/* cli/cmd_vm.c - `fusecheck vm --kernel SPEC... [run options]`: the
 * bundled suite (or whatever the run options name) on other kernels,
 * each booted under qemu, then one matrix of the results.  The same
 * fusecheck binary runs inside each guest; this file only turns options
 * into guests (vm/) and their reports into rows (report/matrix.c). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "cli/cmd.h"
#include "cli/options.h"
#include "report/report.h"
#include "vm/guest.h"
#include "vm/initramfs.h"
#include "vm/kernel.h"
#include "vm/kvm.h"
#include "vm/modules.h"

#define VM_KERNELS_MAX 16

static const char vm_usage[] =
"usage: fusecheck vm --kernel SPEC [--kernel SPEC]... [VM OPTIONS]\n"
"                    [RUN OPTIONS] [SCENARIO|DIR]...\n"
"\n"
"Boot each kernel under qemu and run `fusecheck run` inside it, with the\n"
"host's root shared read-only (the same fusecheck, memfs, scenarios and\n"
"profiles), then print a matrix: scenario x kernel, lock rule x kernel,\n"
"and the INIT negotiation of each.\n"
"\n"
"SPEC is a kernel image (bzImage; its modules from /lib/modules/RELEASE\n"
"when there), a Debian kernel package file (.deb), or a Debian package\n"
"name (e.g. linux-image-6.1.0-57-amd64) fetched with apt-get download.\n"
"\n"
"VM options:\n"
"  --kernel SPEC        a kernel to boot (up to 16)\n"
"  --out DIR            reports go to DIR/RELEASE/ (default fusecheck-vm)\n"
"  --cache DIR          downloads, unpacked packages and initramfs\n"
"                       (default $XDG_CACHE_HOME/fusecheck/vm)\n"
"  --memory MB          guest memory (2048)\n"
"  --cpus N             guest CPUs (2)\n"
"  --vm-timeout S       longest a guest may run, boot to poweroff (3600)\n"
"  --accel auto|kvm|tcg KVM when a probe guest runs under it (auto), or\n"
"                       forced; tcg emulates\n"
"  --qemu PROGRAM       qemu-system-x86_64\n"
"  --busybox PATH       a static busybox for the guest (/bin/busybox)\n"
"  -h, --help           this text\n"
"\n"
"Every other option and operand goes to `fusecheck run` in the guest\n"
"(see `fusecheck run --help`).  The guest writes only under --out: each\n"
"kernel's report.json, event log, run.log (fusecheck's output) and\n"
"console.log are in DIR/RELEASE/.  Without KVM the guest is emulated and\n"
"many times slower: unless --time-scale is given, timeouts are scaled by\n"
"10 there, and the report says so.\n"
"\n"
"Exit status: 0 every kernel passed, 1 violations on some kernel, 2 a\n"
"kernel could not be booted or run (its row says why).\n";

enum { VM_ACCEL_AUTO, VM_ACCEL_KVM, VM_ACCEL_TCG };

struct vm_args {
	const char *kernels[VM_KERNELS_MAX];
	size_t nkernels;
	const char *out, *cache, *qemu, *busybox;
	unsigned memory_mb, cpus, timeout_s;
	char **run_argv;         /* passed through to `run`, NULL-ended */
	size_t nrun;
	int time_scale_given;
	int accel;               /* VM_ACCEL_* */
	int help;
};

static int number(const char *opt, const char *s, long lo, long hi,
		  unsigned *out)
{
	long v = opt_number(opt, s, lo, hi);

	if (v < 0)
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

static const char *const vm_options[] = {
	"--kernel", "--out", "--cache", "--qemu", "--busybox", "--memory",
	"--cpus", "--vm-timeout", "--accel",
};

static int is_vm_option(const char *o, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(vm_options) / sizeof(vm_options[0]); i++)
		if (strlen(vm_options[i]) == len &&
		    !strncmp(vm_options[i], o, len))
			return 1;
	return 0;
}

/* Our own options out of argv; everything else is kept, in order, for
 * the guest's `fusecheck run`. */
static int parse(int argc, char **argv, struct vm_args *a)
{
	int i;

	a->out = "fusecheck-vm";
	a->qemu = "qemu-system-x86_64";
	a->busybox = "/bin/busybox";
	a->memory_mb = 2048;
	a->cpus = 2;
	a->timeout_s = 3600;
	a->run_argv = calloc((size_t)argc + 1, sizeof(*a->run_argv));
	if (!a->run_argv)
		return -ENOMEM;
	for (i = 1; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		const char *eq = strncmp(o, "--", 2) ? NULL : strchr(o, '=');
		int takes = 1, rc = 0;
		char name[32];

		/* --opt=value: split it, and it takes no following word */
		if (eq && (size_t)(eq - o) < sizeof(name) &&
		    is_vm_option(o, (size_t)(eq - o))) {
			memcpy(name, o, eq - o);
			name[eq - o] = '\0';
			o = name;
			v = eq + 1;
			i--; /* balanced by i += takes below */
		}

		if (!strcmp(o, "-h") || !strcmp(o, "--help")) {
			a->help = 1;
			return 0;
		}
		if (is_vm_option(o, strlen(o))) {
			if (!v) {
				fprintf(stderr, "fusecheck vm: %s takes a "
					"value\n", o);
				return -EINVAL;
			}
		} else {
			takes = 0;
		}
		if (!strcmp(o, "--kernel")) {
			if (a->nkernels == VM_KERNELS_MAX) {
				fprintf(stderr, "fusecheck vm: at most %d "
					"kernels\n", VM_KERNELS_MAX);
				return -E2BIG;
			}
			a->kernels[a->nkernels++] = v;
		} else if (!strcmp(o, "--out")) {
			a->out = v;
		} else if (!strcmp(o, "--cache")) {
			a->cache = v;
		} else if (!strcmp(o, "--qemu")) {
			a->qemu = v;
		} else if (!strcmp(o, "--busybox")) {
			a->busybox = v;
		} else if (!strcmp(o, "--accel")) {
			a->accel = !strcmp(v, "kvm") ? VM_ACCEL_KVM :
				   !strcmp(v, "tcg") ? VM_ACCEL_TCG :
				   !strcmp(v, "auto") ? VM_ACCEL_AUTO : -1;
			if (a->accel < 0) {
				fprintf(stderr, "fusecheck vm: --accel takes "
					"auto, kvm or tcg, not '%s'\n", v);
				return -EINVAL;
			}
		} else if (!strcmp(o, "--memory")) {
			rc = number("memory", v, 256, 65536, &a->memory_mb);
		} else if (!strcmp(o, "--cpus")) {
			rc = number("cpus", v, 1, 64, &a->cpus);
		} else if (!strcmp(o, "--vm-timeout")) {
			rc = number("vm-timeout", v, 10, 86400, &a->timeout_s);
		} else if (!strncmp(o, "--junit", 7) ||
			   !strncmp(o, "--timeline", 10)) {
			/* the guest's root is a throwaway overlay: a file
			 * written outside --out would be lost without a word */
			fprintf(stderr, "fusecheck vm: %s: a guest writes only "
				"under --out (each kernel's reports are in "
				"DIR/RELEASE/)\n", o);
			return -EINVAL;
		} else {
			if (!strcmp(o, "--time-scale") ||
			    !strncmp(o, "--time-scale=", 13))
				a->time_scale_given = 1;
			a->run_argv[a->nrun++] = argv[i];
		}
		if (rc)
			return rc;
		i += takes;
	}
	if (!a->nkernels) {
		fputs("fusecheck vm: name at least one --kernel\n", stderr);
		return -EINVAL;
	}
	return 0;
}

static int mkdir_p(const char *path)
{
	char buf[PATH_MAX], *p;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int default_cache(char *buf, size_t size)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");

	if (xdg && *xdg == '/')
		snprintf(buf, size, "%s/fusecheck/vm", xdg);
	else if (home && *home == '/')
		snprintf(buf, size, "%s/.cache/fusecheck/vm", home);
	else
		snprintf(buf, size, "/var/tmp/fusecheck-vm-cache");
	return mkdir_p(buf);
}

/* The kernel command line splits on blanks and the results path rides
 * on it: refuse what would not come through whole. */
static int path_fits_cmdline(const char *p)
{
	for (; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == '"' || *p == '\\' ||
		    (unsigned char)*p >= 0x7f)
			return 0;
	return 1;
}

/* Results of one kernel, for the summary and the exit code. */
struct vm_row {
	char release[128];
	char resdir[PATH_MAX];
	int exit_code;           /* -1: broken before fusecheck finished */
	char why[1024];
	double seconds;
};

/* The modules a guest needs, when the kernel has them as modules:
 * virtio for the shares, 9p to mount them, overlay for a writable root,
 * fuse for the filesystems under test. */
static const char *const guest_modules[] = {
	"virtio_pci", "9pnet_virtio", "9p", "overlay", "fuse", NULL,
};

static int build_initrd(const struct vm_kernel *k, const char *cache,
			const char *busybox, char *initrd, size_t size,
			char *err, unsigned errlen)
{
	struct vm_modules mods;
	char tmp[PATH_MAX + 16];
	char *init;
	int rc;

	rc = vm_modules_resolve(k->moddir, guest_modules, &mods);
	if (rc) {
		snprintf(err, errlen, "%.900s: cannot read its modules: %s",
			 k->moddir, rc == -ELOOP ? "a dependency loop" :
			 strerror(-rc));
		return rc;
	}
	init = vm_guest_init_text(&mods);
	if (!init) {
		rc = -ENOMEM;
		goto out_mods;
	}
	if (snprintf(initrd, size, "%s/initramfs-%s.cpio", cache,
		     k->release) >= (int)size) {
		rc = -ENAMETOOLONG;
		snprintf(err, errlen, "%.900s: path too long", cache);
		goto out_init;
	}
	snprintf(tmp, sizeof(tmp), "%s.%d", initrd, (int)getpid());
	rc = vm_initramfs_write(tmp, busybox, init, &mods, err, errlen);
	if (!rc && rename(tmp, initrd) < 0) {
		rc = -errno;
		snprintf(err, errlen, "%.900s: %s", initrd, strerror(errno));
	}
out_init:
	free(init);
out_mods:
	vm_modules_free(&mods);
	return rc;
}

/* Files a previous run of this kernel left that must not be read as
 * this run's. */
static void clear_results(const char *resdir)
{
	static const char *const stale[] = {
		"report.json", "exit-code", "console.log", "run.log",
		"qemu.log", "guest.sh",
	};
	char p[PATH_MAX + 32];
	size_t i;

	for (i = 0; i < sizeof(stale) / sizeof(stale[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", resdir, stale[i]);
		unlink(p);
	}
}

static int run_one(const struct vm_args *a, const char *out,
		   const char *cache, struct vm_guest_opts *go,
		   const char *spec, struct vm_row *row)
{
	struct vm_kernel k;
	struct vm_guest_result gr;
	char initrd[PATH_MAX], cwd[PATH_MAX], self[PATH_MAX], scale[8];
	char **argv;
	size_t n = 0, i;
	ssize_t len;
	int rc;

	row->exit_code = -1;
	snprintf(row->release, sizeof(row->release), "%s", spec);
	rc = vm_kernel_resolve(spec, cache, &k, row->why, sizeof(row->why));
	if (rc)
		return 0;
	snprintf(row->release, sizeof(row->release), "%s", k.release);
	if (snprintf(row->resdir, sizeof(row->resdir), "%s/%s", out,
		     k.release) >= (int)sizeof(row->resdir) ||
	    mkdir_p(row->resdir)) {
		snprintf(row->why, sizeof(row->why), "%.900s: cannot make it",
			 row->resdir);
		return 0;
	}
	clear_results(row->resdir);
	if (build_initrd(&k, cache, a->busybox, initrd, sizeof(initrd),
			 row->why, sizeof(row->why)))
		return 0;
	len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (len <= 0 || !getcwd(cwd, sizeof(cwd))) {
		snprintf(row->why, sizeof(row->why), "cannot find fusecheck "
			 "itself or the working directory");
		return 0;
	}
	self[len] = '\0';
	argv = calloc(a->nrun + 8, sizeof(*argv));
	if (!argv)
		return -ENOMEM;
	argv[n++] = self;
	argv[n++] = "run";
	if (!go->kvm && !a->time_scale_given) {
		snprintf(scale, sizeof(scale), "10");
		argv[n++] = "--time-scale";
		argv[n++] = scale;
	}
	for (i = 0; i < a->nrun; i++)
		argv[n++] = a->run_argv[i];
	argv[n++] = "--out";
	argv[n++] = row->resdir;
	rc = vm_guest_write_script(row->resdir, cwd, argv);
	free(argv);
	if (rc) {
		snprintf(row->why, sizeof(row->why), "%.900s/guest.sh: %s",
			 row->resdir, strerror(-rc));
		return 0;
	}
	printf("%s: booting %s (%s, %u MB, %u CPUs)\n", k.release, k.image,
	       go->kvm ? "kvm" : "tcg, emulated", go->memory_mb, go->cpus);
	vm_guest_run(&k, initrd, row->resdir, go, &gr);
	if (gr.silent) {
		/* a KVM that passed the probe but runs no real guest: this
		 * and every later guest are emulated instead */
		printf("%s: %s: emulating it (TCG) instead\n", k.release,
		       gr.why);
		go->kvm = 0;
		return run_one(a, out, cache, go, spec, row);
	}
	row->seconds = gr.seconds;
	row->exit_code = gr.exit_code;
	if (gr.exit_code < 0)
		snprintf(row->why, sizeof(row->why), "%s", gr.why);
	return 0;
}

static void print_row(const struct vm_row *row)
{
	char tail[2048];

	if (row->exit_code == 0 || row->exit_code == 1) {
		printf("%s: fusecheck exited %d in %.0f s; %s/report.json\n",
		       row->release, row->exit_code, row->seconds,
		       row->resdir);
		return;
	}
	if (row->exit_code > 1)
		printf("%s: BROKEN: fusecheck exited %d in %.0f s (its output "
		       "is in %s/run.log)\n", row->release, row->exit_code,
		       row->seconds, row->resdir);
	else
		printf("%s: BROKEN: %s\n", row->release, row->why);
	if (!row->resdir[0])
		return;
	vm_guest_console_tail(row->resdir, 15, tail, sizeof(tail));
	if (tail[0]) {
		printf("  console (last lines of %s/console.log):\n",
		       row->resdir);
		report_put_escaped(stdout, tail);
	}
}

static int print_matrix(struct vm_row *rows, size_t n)
{
	const char *labels[VM_KERNELS_MAX], *paths[VM_KERNELS_MAX];
	char buf[VM_KERNELS_MAX][PATH_MAX + 16];
	struct stat st;
	size_t k, m = 0;

	for (k = 0; k < n; k++) {
		snprintf(buf[m], sizeof(buf[m]), "%s/report.json",
			 rows[k].resdir);
		if (!rows[k].resdir[0] || stat(buf[m], &st))
			continue;
		labels[m] = rows[k].release;
		paths[m] = buf[m];
		m++;
	}
	if (!m)
		return 0;
	putchar('\n');
	return report_matrix(stdout, labels, paths, m);
}

int cmd_vm(int argc, char **argv)
{
	struct vm_args a = { 0 };
	struct vm_guest_opts go;
	struct vm_row *rows;
	char out[PATH_MAX], cache[PATH_MAX], why[256];
	size_t k;
	int rc, code = 0;

	rc = parse(argc, argv, &a);
	if (a.help) {
		fputs(vm_usage, stdout);
		free(a.run_argv);
		return 0;
	}
	if (rc) {
		fputs("fusecheck vm: try 'fusecheck vm --help'\n", stderr);
		free(a.run_argv);
		return 2;
	}
	code = 2;
	if (mkdir_p(a.out) || !realpath(a.out, out)) {
		fprintf(stderr, "fusecheck vm: --out %s: %s\n", a.out,
			strerror(errno));
		goto out_args;
	}
	if (!path_fits_cmdline(out)) {
		fprintf(stderr, "fusecheck vm: --out %s: the path must have no "
			"blanks, quotes or backslashes (it rides on the guest "
			"kernel's command line)\n", out);
		goto out_args;
	}
	if (a.cache ? mkdir_p(a.cache) || !realpath(a.cache, cache) :
		      default_cache(cache, sizeof(cache)) != 0) {
		fprintf(stderr, "fusecheck vm: cache %s: %s\n",
			a.cache ? a.cache : cache, strerror(errno));
		goto out_args;
	}
	go = (struct vm_guest_opts){ .qemu = a.qemu, .memory_mb = a.memory_mb,
				     .cpus = a.cpus, .timeout_s = a.timeout_s,
				     .first_line_s = 30 };
	if (a.accel == VM_ACCEL_AUTO)
		go.kvm = vm_kvm_works(why, sizeof(why));
	else
		go.kvm = a.accel == VM_ACCEL_KVM;
	if (a.accel == VM_ACCEL_AUTO && !go.kvm)
		printf("fusecheck vm: emulated guests (TCG): %s\n", why);
	rows = calloc(a.nkernels, sizeof(*rows));
	if (!rows)
		goto out_args;
	code = 0;
	for (k = 0; k < a.nkernels; k++) {
		if (run_one(&a, out, cache, &go, a.kernels[k], &rows[k]) < 0) {
			code = 2;
			break;
		}
		print_row(&rows[k]);
		if (rows[k].exit_code < 0 || rows[k].exit_code > 1)
			code = 2;
		else if (rows[k].exit_code == 1 && code == 0)
			code = 1;
	}
	if (print_matrix(rows, k) < 0)
		code = 2;
	free(rows);
out_args:
	free(a.run_argv);
	return code;
}
