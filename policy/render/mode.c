#include "policy/render/mode.h"

const char *
mode_name(enum mode m)
{
	switch (m) {
	case MODE_BLOCKED:
		return "blocked";
	case MODE_REMOTE:
		return "remote";
	case MODE_OFFICE:
		return "office";
	}
	return "?";
}

unsigned int
mode_mark(enum mode m)
{
	return m == MODE_OFFICE ? SK_MARK_OFFICE : SK_MARK_TUNNEL;
}
