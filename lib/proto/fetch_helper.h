/*
 * What sekishod and its sekisho-fetch helper (docs/distribution.md) agree
 * on: the helper writes a newer bundle, or when nothing is newer the
 * freshness statement the server had, to its standard output (a regular
 * file sekishod opened), one line on standard error when it fails, and
 * says which by its exit status.
 */
#ifndef SK_PROTO_FETCH_HELPER_H
#define SK_PROTO_FETCH_HELPER_H

#define FETCH_EXIT_NEWER	0	/* a newer bundle was written to stdout */
#define FETCH_EXIT_ERROR	1	/* one line on stderr says why */
#define FETCH_EXIT_USAGE	2
#define FETCH_EXIT_NONE		3	/* the server holds nothing newer */
#define FETCH_EXIT_FRESH	4	/* nothing newer; the agency's freshness
					 * statement was written to stdout */

#define FETCH_HELPER_TIMEOUT_MS	15000	/* the helper's own deadline (-t) */
#define FETCH_TIMEOUT_MS	20000	/* then sekishod ends it */

#endif
