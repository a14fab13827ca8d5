/* test_vm.c - what `fusecheck vm` reads from files it was given: a
 * kernel's release from its bzImage header (vm/kernel.c), module
 * dependencies from .modinfo and module names from a package's file
 * names (vm/modules.c), and the guest's init script (vm/guest.c). */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>
#include "vm/guest.h"
#include "vm/kernel.h"
#include "vm/modules.h"

/* A file with an x86 setup header whose version string is `version`
 * (NULL: no "HdrS" magic at all). */
static void fake_image(const char *path, const char *version)
{
	unsigned char img[0x400] = { 0 };
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	if (version) {
		memcpy(img + 0x202, "HdrS", 4);
		img[0x20e] = 0x00; /* the string at 0x100 + 0x200 */
		img[0x20f] = 0x01;
		memcpy(img + 0x300, version, strlen(version));
	}
	assert_int_equal(fwrite(img, 1, sizeof(img), f), sizeof(img));
	fclose(f);
}

static void image_release(void **state)
{
	char tmpl[] = "/tmp/fc-test-vm.XXXXXX", path[64], rel[128];

	(void)state;
	assert_non_null(mkdtemp(tmpl));
	snprintf(path, sizeof(path), "%s/bz", tmpl);
	fake_image(path, "6.1.0-57-amd64 (debian-kernel@lists) #1 SMP");
	assert_int_equal(vm_kernel_image_release(path, rel, sizeof(rel)), 0);
	assert_string_equal(rel, "6.1.0-57-amd64");
	/* the release names a directory under --out */
	fake_image(path, ".. (x)");
	assert_int_equal(vm_kernel_image_release(path, rel, sizeof(rel)),
			 -EINVAL);
	fake_image(path, "a/b (x)");
	assert_int_equal(vm_kernel_image_release(path, rel, sizeof(rel)),
			 -EINVAL);
	fake_image(path, NULL);
	assert_int_equal(vm_kernel_image_release(path, rel, sizeof(rel)),
			 -EINVAL);
	unlink(path);
	rmdir(tmpl);
}

static void put_module(const char *dir, const char *name, const char *deps)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.ko", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	/* what depmod reads: NUL-separated strings of .modinfo */
	fprintf(f, "ELF junk");
	fputc(0, f);
	fprintf(f, "license=GPL");
	fputc(0, f);
	fprintf(f, "depends=%s", deps);
	fputc(0, f);
	fclose(f);
}

static void module_order(void **state)
{
	char tmpl[] = "/tmp/fc-test-vm.XXXXXX", kdir[128], sub[160];
	const char *const wanted[] = { "9p", "fuse", "absent", NULL };
	struct vm_modules mods;
	char *init;
	size_t i;

	(void)state;
	assert_non_null(mkdtemp(tmpl));
	snprintf(kdir, sizeof(kdir), "%s/kernel", tmpl);
	snprintf(sub, sizeof(sub), "%s/fs", kdir);
	assert_int_equal(mkdir(kdir, 0755), 0);
	assert_int_equal(mkdir(sub, 0755), 0);
	put_module(sub, "9p", "9pnet,netfs");
	put_module(sub, "9pnet", "");
	put_module(sub, "netfs", "9pnet");
	put_module(sub, "fuse", "");
	/* a name a shell would read as a command is never taken */
	put_module(sub, "evil;reboot", "");
	put_module(sub, "loop_a", "loop-b");
	put_module(sub, "loop_b", "loop_a");
	assert_int_equal(vm_modules_resolve(tmpl, wanted, &mods), 0);
	assert_int_equal(mods.n, 4);
	assert_string_equal(mods.m[0].name, "9pnet");
	assert_string_equal(mods.m[1].name, "netfs");
	assert_string_equal(mods.m[2].name, "9p");
	assert_string_equal(mods.m[3].name, "fuse");
	init = vm_guest_init_text(&mods);
	assert_non_null(init);
	assert_non_null(strstr(init, "for m in 9pnet netfs 9p fuse; do"));
	assert_null(strstr(init, "evil"));
	free(init);
	vm_modules_free(&mods);
	/* a dependency loop ("-" and "_" are one) ends, as an error */
	{
		const char *const loop[] = { "loop_a", NULL };

		assert_int_equal(vm_modules_resolve(tmpl, loop, &mods),
				 -ELOOP);
		assert_int_equal(mods.n, 0);
	}
	for (i = 0; i < 7; i++) {
		static const char *const names[] = {
			"9p", "9pnet", "netfs", "fuse", "evil;reboot",
			"loop_a", "loop_b",
		};
		char p[256];

		snprintf(p, sizeof(p), "%s/%s.ko", sub, names[i]);
		unlink(p);
	}
	rmdir(sub);
	rmdir(kdir);
	rmdir(tmpl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(image_release),
		cmocka_unit_test(module_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
