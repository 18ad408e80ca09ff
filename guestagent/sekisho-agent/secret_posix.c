#include "guestagent/sekisho-agent/secret.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

void
secret_wipe(void *buf, size_t size)
{
	explicit_bzero(buf, size);
}

/* One line, byte by byte so nothing after it is consumed. */
static int
read_line(int fd, char *buf, size_t size)
{
	size_t n = 0;
	char c;

	for (;;) {
		ssize_t r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || c == '\n')
			break;
		if (n + 1 >= size) {
			explicit_bzero(buf, size);
			c = 0;
			return -2;
		}
		buf[n++] = c;
	}
	c = 0;
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	return (int)n;
}

int
secret_read(int fd, const char *prompt, char *buf, size_t size)
{
	struct termios old, noecho;
	int tty, n;

	if (fd >= 0)
		return read_line(fd, buf, size);
	if ((tty = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY)) == -1)
		return -1;
	if (tcgetattr(tty, &old) == -1) {
		close(tty);
		return -1;
	}
	noecho = old;
	noecho.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	noecho.c_lflag |= ICANON;
	if (write(tty, prompt, strlen(prompt)) < 0 ||
	    tcsetattr(tty, TCSAFLUSH, &noecho) == -1) {
		close(tty);
		return -1;
	}
	n = read_line(tty, buf, size);
	(void)tcsetattr(tty, TCSAFLUSH, &old);
	(void)!write(tty, "\n", 1);
	close(tty);
	return n;
}
