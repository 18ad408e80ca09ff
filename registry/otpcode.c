#include "registry/otpcode.h"

#include <errno.h>
#include <string.h>

const char otp_alphabet[33] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

int
otp_code_norm(const char *in, size_t len, char out[OTP_SYMBOLS + 1])
{
	size_t i, n = 0;

	if (len > OTP_INPUT_MAX)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		char c = in[i];

		if (c == '-' || c == ' ')
			continue;
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (c == '\0' || n == OTP_SYMBOLS || memchr(otp_alphabet, c, 32) == NULL)
			return -EINVAL;
		out[n++] = c;
	}
	if (n != OTP_SYMBOLS)
		return -EINVAL;
	out[n] = '\0';
	return 0;
}

void
otp_code_make(const uint8_t rnd[OTP_SYMBOLS], char out[OTP_SHOWN_LEN + 1])
{
	size_t i, o = 0;

	for (i = 0; i < OTP_SYMBOLS; i++) {
		if (i && i % 4 == 0)
			out[o++] = '-';
		out[o++] = otp_alphabet[rnd[i] & 31];
	}
	out[o] = '\0';
}
