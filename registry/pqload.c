/* libpq loaded at the first PostgreSQL URL (registry/pqload.h). */
#define REG_PQ_NO_MACROS
#include "registry/pqload.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>

struct reg_pq reg_pq;

static pthread_mutex_t load_mu = PTHREAD_MUTEX_INITIALIZER;
static int loaded;

int
reg_pq_load(struct sk_error *err)
{
	struct reg_pq t;
	const char *why;
	void *h;
	int rc = 0;

	pthread_mutex_lock(&load_mu);
	if (loaded)
		goto out;
	/* RTLD_NOW: every symbol libpq needs is bound here, at start, not at
	 * a first query made after a sandbox closed the file system */
	if ((h = dlopen(REG_PQ_SONAME, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		why = dlerror();
		rc = sk_errorf(err, ENOENT, "registry: postgresql: %s cannot be loaded: %s"
		    " (the libpq5 package)", REG_PQ_SONAME, why ? why : "?");
		goto out;
	}
	memset(&t, 0, sizeof(t));
#define REG_PQ_SYM(f) \
	if (rc == 0 && (*(void **)&t.f = dlsym(h, #f)) == NULL) \
		rc = sk_errorf(err, ENOENT, "registry: postgresql: %s has no %s (libpq" \
		    " 14 or later is needed)", REG_PQ_SONAME, #f);
	REG_PQ_FUNCS(REG_PQ_SYM)
#undef REG_PQ_SYM
	if (rc < 0) {
		dlclose(h);
		goto out;
	}
	reg_pq = t;
	loaded = 1;
out:
	pthread_mutex_unlock(&load_mu);
	return rc;
}
