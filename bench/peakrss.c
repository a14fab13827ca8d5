/* bench/peakrss.c - run a command and print its peak RSS and CPU time.
 *
 * A process's ru_maxrss also counts the memory it had before exec: a
 * child forked from python starts at python's size, so a small run
 * measured from there reads as large as the interpreter.  Forked from
 * this small program instead, the floor is this program's own RSS.
 *
 *   usage: peakrss CMD [ARG...]
 *   prints on stderr: "peakrss KB USER_S SYS_S" and exits with CMD's code
 *   (128 + signal when it was killed).
 */
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct rusage ru;
	int status;
	pid_t pid;

	if (argc < 2) {
		fputs("usage: peakrss CMD [ARG...]\n", stderr);
		return 2;
	}
	pid = fork();
	if (pid < 0) {
		perror("peakrss: fork");
		return 2;
	}
	if (!pid) {
		execvp(argv[1], argv + 1);
		perror(argv[1]);
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) < 0) {
		perror("peakrss: wait4");
		return 2;
	}
	fprintf(stderr, "peakrss %ld %ld.%06ld %ld.%06ld\n", ru.ru_maxrss,
		(long)ru.ru_utime.tv_sec, (long)ru.ru_utime.tv_usec,
		(long)ru.ru_stime.tv_sec, (long)ru.ru_stime.tv_usec);
	return WIFEXITED(status) ? WEXITSTATUS(status)
				 : 128 + WTERMSIG(status);
}
