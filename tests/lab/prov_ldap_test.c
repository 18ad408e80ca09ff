/*
 * sekisho-provision's directory sync without the registry, for
 * tests/integration/81-provision-ldap.sh and the sync bench:
 *
 *   prov-ldap-test CONF list          the directory's staff as CSV (sorted)
 *   prov-ldap-test CONF plan CURRENT  the plan against CURRENT (a staff CSV
 *                                     standing in for the registry), as
 *                                     `user sync --dry-run` prints it
 *   prov-ldap-test CONF count         "entries N pages P" only
 *
 * Exit 0, or 1 with the problems on stderr.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"
#include "provisioning/sekisho-provision/importmap.h"
#include "provisioning/sekisho-provision/ldapsync.h"
#include "provisioning/sekisho-provision/reclist.h"
#include "provisioning/sekisho-provision/table.h"

static void
usage(void)
{
	fprintf(stderr, "usage: prov-ldap-test CONF list | count | plan CURRENT.csv\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	struct ldapsync_conf conf;
	struct ldapsync_stats st;
	struct import_report rep;
	struct staff_list dir = { 0 }, cur = { 0 };
	struct sk_error err;
	int rc = 0;

	if (argc < 3)
		usage();
	if (ldapsync_conf_load(argv[1], &conf, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	if (ldapsync_search(&conf, &dir, &rep, &st, &err) < 0) {
		if (rep.n_err > 0)
			import_report_print(&rep, stderr);
		else
			fprintf(stderr, "%s\n", err.msg);
		import_report_free(&rep);
		return 1;
	}
	import_report_free(&rep);
	if (strcmp(argv[2], "count") == 0) {
		printf("entries %zu pages %zu\n", st.entries, st.pages);
	} else if (strcmp(argv[2], "list") == 0) {
		struct table *t;

		reclist_staff_sort(&dir);
		if ((t = table_from_staff(&dir)) == NULL ||
		    table_print(t, TABLE_CSV, TEXTENC_UTF8, stdout, &err) < 0) {
			fprintf(stderr, "%s\n", t ? err.msg : "out of memory");
			rc = 1;
		}
		table_free(t);
	} else if (strcmp(argv[2], "plan") == 0 && argc == 4) {
		struct ldapsync_plan plan;

		if (importmap_staff_file(argv[3], TEXTENC_AUTO, &cur, &rep) < 0) {
			import_report_print(&rep, stderr);
			rc = 1;
		} else if (ldapsync_plan(&cur, &dir, ldapsync_conf_fields(&conf),
		    &plan, &err) < 0) {
			fprintf(stderr, "%s\n", err.msg);
			rc = 1;
		} else {
			ldapsync_plan_print(&plan, stdout);
			ldapsync_plan_free(&plan);
		}
		import_report_free(&rep);
	} else
		usage();
	fprintf(stderr, "entries %zu pages %zu\n", st.entries, st.pages);
	reclist_staff_free(&dir);
	reclist_staff_free(&cur);
	return rc;
}
