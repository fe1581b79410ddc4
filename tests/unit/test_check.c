/* test_check.c - check's kv records (the format README documents). */
#include <netinet/in.h>

#include "unit.h"

#include "dfw/check.h"

static const char *kv_value(const char *v)
{
	static char out[256];
	struct buf b = { 0 };

	check(check_kv_value(v, &b) == 0);
	snprintf(out, sizeof(out), "%s", b.data ? b.data : "");
	buf_free(&b);
	return out;
}

static void test_kv_value(void)
{
	check_str(kv_value("DOCKER-USER"), "DOCKER-USER");
	check_str(kv_value(""), "\"\"");
	check_str(kv_value("a b"), "\"a b\"");
	check_str(kv_value("k=v"), "\"k=v\"");
	check_str(kv_value("say \"x\\y\""), "\"say \\\"x\\\\y\\\"\"");
	check_str(kv_value("tab\there"), "\"tab\there\"");
}

static void test_kv_record(void)
{
	struct check_finding f = { CHECK_JUMP,
				   0,
				   AF_INET,
				   "DOCKER-USER",
				   "",
				   "no jump",
				   "-I DOCKER-USER 1 -j DFW-FORWARD",
				   "docker-fw init" };
	struct buf b = { 0 };

	check(check_kv(&f, &b) == 0);
	check_str(b.data, "kind=jump status=fail family=ip chain=DOCKER-USER "
			  "container=\"\" what=\"no jump\" change=\"-I "
			  "DOCKER-USER 1 -j DFW-FORWARD\" fix=\"docker-fw "
			  "init\"");
	b.len = 0;
	f.note = 1;
	f.family = 0;
	f.kind = CHECK_HOST_OPEN;
	f.chain = "";
	f.container = "web";
	check(check_kv(&f, &b) == 0);
	check(!strncmp(b.data,
		       "kind=host-open status=note family=- chain=\"\" "
		       "container=web ",
		       strlen("kind=host-open status=note family=- chain=\"\" "
			      "container=web ")));
	buf_free(&b);
}

UNIT_TESTS(T(test_kv_value) T(test_kv_record))
