/* libFuzzer: the messages between sekishod's parent and its engine
 * process (netvm/sekishod/engmsg.h), both decoders on the same bytes.
 * Whatever they are: refused with one line, or accepted only when they
 * are exactly what the encoder writes for the decoded values. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "netvm/sekishod/engmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
one_line(const struct sk_error *err)
{
	size_t n = strlen(err->msg);

	if (n == 0 || n >= sizeof(err->msg) - 1 || strchr(err->msg, '\n') != NULL)
		__builtin_trap();
}

/* The parent's checks of a fetch's and a statement's result: a fetch's
 * line passes only printable and one line, and only for the outcome the
 * exit status gives; a statement's fields only from an accepted one. */
static void
others(const struct eng_parsed *r, const struct eng_parse *asked)
{
	char line[ENG_PARSED_ERR];
	uint8_t dev[ENG_STMT_KEY];
	struct sk_error err;
	uint64_t serial, t;
	uint32_t n;
	enum eng_fetch want = ENG_FETCH_ERROR;

	if (asked != NULL && asked->kind == ENG_PARSE_FETCH)
		want = asked->n >= ENG_FETCH_SIGNALED ? ENG_FETCH_FAILED :
		    eng_fetch_outcome((int)(asked->n & 0xff) << 8, &n);
	if (eng_parsed_check_fetch(r, want, line, sizeof(line), &err) == 0) {
		if (!r->ok || r->kind != ENG_PARSE_FETCH || strlen(line) >= sizeof(line))
			__builtin_trap();
		for (size_t i = 0; line[i] != '\0'; i++)
			if (line[i] < 0x20 || line[i] > 0x7e)
				__builtin_trap();
		if ((want == ENG_FETCH_ERROR) != (line[0] != '\0'))
			__builtin_trap();
	} else
		one_line(&err);
	if (eng_parsed_check_fresh(r, &serial, &t, dev, &err) == 0) {
		if (!r->ok || r->kind != ENG_PARSE_FRESH)
			__builtin_trap();
	} else
		one_line(&err);
}

/* A helper's line: the engine's decoder of the parent's message, the
 * helper's parser run on it, and the parent's decoder of the answer;
 * each refuses with one line or gives back exactly what was encoded, and
 * the parent's check never passes more verdicts than it asked for. */
static void
helper(const uint8_t *data, size_t size)
{
	static uint8_t pb[ENG_PARSE_LEN], rb[ENG_PARSED_LEN];
	static struct eng_parse p;
	static struct eng_parsed r, r2;
	uint8_t alive[DNS_MAX_RESOLVERS];
	struct sk_error err;

	if (eng_parse_decode(data, size, &p, &err) == 0) {
		eng_parse_encode(pb, &p);
		if (size != ENG_PARSE_LEN || memcmp(pb, data, size) != 0)
			__builtin_trap();
		eng_parse_run(&p, &r);
		eng_parsed_encode(rb, &r);
		if (eng_parsed_decode(rb, sizeof(rb), &r2, &err) != 0)
			__builtin_trap();	/* the engine's own answer */
		if (eng_parsed_check_dns(&r2, p.n, alive, &err) == 0) {
			if (!r2.ok || r2.n != p.n)
				__builtin_trap();
		} else
			one_line(&err);
		others(&r2, &p);
	} else
		one_line(&err);
	if (eng_parsed_decode(data, size, &r, &err) == 0) {
		eng_parsed_encode(rb, &r);
		if (size != ENG_PARSED_LEN || memcmp(rb, data, size) != 0)
			__builtin_trap();
		if (eng_parsed_check_dns(&r, 3, alive, &err) == 0) {
			if (r.n != 3 || !r.ok)
				__builtin_trap();
		} else
			one_line(&err);
		others(&r, NULL);
	} else
		one_line(&err);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t back[ENG_RESULT_LEN], cb[ENG_CALL_LEN];
	static struct eng_result r;
	struct eng_call k;
	struct sk_error err;

	if (eng_call_decode(data, size, &k, &err) == 0) {
		eng_call_encode(cb, &k);
		if (size != ENG_CALL_LEN || memcmp(cb, data, size) != 0)
			__builtin_trap();
	} else
		one_line(&err);
	if (eng_result_decode(data, size, &r, &err) == 0) {
		if (r.n > ENG_MAX_ACTS || r.state.n_uplinks > ENGINE_MAX_UPLINKS)
			__builtin_trap();
		eng_result_encode(back, &r);
		if (size != ENG_RESULT_LEN || memcmp(back, data, size) != 0)
			__builtin_trap();
	} else
		one_line(&err);
	helper(data, size);
	return 0;
}
