#include "guestagent/sekisho-agent/agent.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/proto/signon_wire.h"
#include "lib/util.h"

#define STATE_FILE	"session"

int
state_parse(const char *line, struct agent_session *s)
{
	char staff[SIGNON_STAFF_LEN + 2], end;
	unsigned long long until;
	unsigned pres = SIGNON_PRES_NONE, pres_s = 0;
	int factor;

	memset(s, 0, sizeof(*s));
	if (strlen(line) > 200 ||
	    (sscanf(line, "v1 %65s %d %llu %u %u%c", staff, &factor, &until, &pres,
	    &pres_s, &end) != 6 &&
	    (pres = pres_s = 0,
	    sscanf(line, "v1 %65s %d %llu%c", staff, &factor, &until, &end) != 4)) ||
	    end != '\n' || strlen(staff) > SIGNON_STAFF_LEN || !signon_staff_valid(staff) ||
	    factor < SIGNON_F_CARD_PIN || factor > SIGNON_F_MAX ||
	    pres > SIGNON_PRES_MAX || (pres == SIGNON_PRES_NONE ? pres_s != 0 :
	    pres_s < SIGNON_PRES_PERIOD_MIN || pres_s > SIGNON_PRES_PERIOD_MAX))
		return -1;
	sk_strlcpy(s->staff, staff, sizeof(s->staff));
	s->factor = factor;
	s->until = until;
	s->presence = (uint8_t)pres;
	s->presence_s = (uint8_t)pres_s;
	return 0;
}

int
state_save(const char *dir, const struct agent_session *s)
{
	char path[4096], tmp[4200], line[128];
	int fd, n;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return -1;
	snprintf(path, sizeof(path), "%s/%s", dir, STATE_FILE);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	n = snprintf(line, sizeof(line), "v1 %s %d %llu %u %u\n", s->staff, s->factor,
	    (unsigned long long)s->until, (unsigned)s->presence, (unsigned)s->presence_s);
	(void)unlink(tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0)
		return -1;
	if (write(fd, line, (size_t)n) != n || close(fd) != 0 || rename(tmp, path) != 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

int
state_load(const char *dir, struct agent_session *s)
{
	char path[4096], line[256];
	size_t len;
	int fd, rc;

	snprintf(path, sizeof(path), "%s/%s", dir, STATE_FILE);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return -1;
	rc = read_full(fd, line, sizeof(line) - 1, &len);
	close(fd);
	if (rc != 0)
		return -1;
	line[len] = '\0';
	return state_parse(line, s);
}

void
state_clear(const char *dir)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, STATE_FILE);
	(void)unlink(path);
}

int
state_line(const char *dir, char *buf, size_t size)
{
	struct agent_session s;
	char when[64];
	time_t until;
	struct tm tm;

	if (state_load(dir, &s) != 0 || s.until <= (uint64_t)time(NULL)) {
		snprintf(buf, size, "Not signed on.");
		return 0;
	}
	until = (time_t)s.until;
	if (gmtime_r(&until, &tm) == NULL ||
	    strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm) == 0) {
		snprintf(buf, size, "Not signed on.");
		return 0;
	}
	snprintf(buf, size, "Signed on as %s with %s until %s.", s.staff,
	    s.factor == SIGNON_F_CARD_PIN ? "card + PIN" :
	    s.factor == SIGNON_F_CARD_KEY ? "card key + PIN" :
	    s.factor == SIGNON_F_CODE_PIN ? "emergency code + PIN" : "fingerprint", when);
	return 1;
}
