/* libFuzzer: the agent's audit outbox file (guestagent/sekisho-agent/
 * outbox.h), a file in the work partition anyone at its keyboard could
 * have written. Whatever the bytes: each line is refused, or parsed
 * within bounds and formatted back to the very same line; and the whole
 * file, read as the agent reads it, gives events in order above the
 * acknowledged seq, or one error line. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guestagent/sekisho-agent/outbox.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];

static void
cleanup(void)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", dir, OUTBOX_FILE);
	unlink(path);
	snprintf(path, sizeof(path), "%s/%s", dir, OUTBOX_LOCK);
	unlink(path);
	rmdir(dir);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char line[OUTBOX_LINE_MAX + 8], back[OUTBOX_LINE_MAX + 8], path[128], err[256];
	struct outbox_ev ev, *evs;
	uint64_t through, last, id;
	size_t n;
	FILE *f;

	if (size < sizeof(line)) {
		memcpy(line, data, size);
		line[size] = '\0';
		if (outbox_parse_line(line, &ev, &through, &last) == 'E') {
			int l = outbox_format(&ev, back, sizeof(back));

			if (l < 1 || (size_t)l != strlen(line) + 1 ||
			    memcmp(back, line, strlen(line)) != 0)
				__builtin_trap();
		}
		if (outbox_parse_id(line, &id) == 0) {
			snprintf(back, sizeof(back), "O,%016llx", (unsigned long long)id);
			if (id == 0 || strcmp(back, line) != 0)
				__builtin_trap();
		}
	}
	if (dir[0] == '\0') {
		snprintf(dir, sizeof(dir), "/tmp/fuzz_outbox.%d", (int)getpid());
		mkdir(dir, 0700);
		atexit(cleanup);
	}
	snprintf(path, sizeof(path), "%s/%s", dir, OUTBOX_FILE);
	if ((f = fopen(path, "w")) == NULL)
		return 0;
	fchmod(fileno(f), 0600);
	fwrite(data, 1, size, f);
	fclose(f);
	if (outbox_pending(dir, &id, &evs, &n, &through, err, sizeof(err)) == 0) {
		if (n > 0 && id == 0)
			__builtin_trap();
		for (size_t i = 0; i < n; i++)
			if (evs[i].seq <= through || (i > 0 && evs[i].seq != evs[i - 1].seq + 1))
				__builtin_trap();
		free(evs);
	} else if (strlen(err) == 0 || strchr(err, '\n') != NULL)
		__builtin_trap();
	return 0;
}
