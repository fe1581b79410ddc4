/*
 * test_settings.c - init's settings file: written and read back, no file
 * (init never ran), bad files named by FILE:LINE, a link refused,
 * dfw_host_open for check.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dfw/settings.h"
#include "unit.h"

static char tmpdir[64];

static void put(const char *text)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/" SETTINGS_FILE, tmpdir);
	f = fopen(path, "w");
	check(f != NULL);
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/dfw-settings-XXXXXX");
	check(mkdtemp(tmpdir) != NULL);
}

static void cleanup(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	check(system(cmd) == 0);
}

static void test_round_trip(void)
{
	struct settings st = { 0 }, got;
	struct settings_txn t;
	struct dfw_config c;
	struct store s;
	struct err e;

	setup();
	config_init(&c);
	c.state_dir = tmpdir;
	check(store_open(&s, tmpdir, 1, &e) == 0);
	check(settings_load(&s, &got, &e) == 0 && !got.found);
	check(dfw_host_open(&c, &e) == 0);
	st.host_open = 1;
	check(settings_add_net(&st, "bridge") == 0);
	check(settings_add_net(&st, "front") == 0);
	check(settings_add_net(&st, "bridge") == 0 && st.nets.n == 2);
	check(settings_add_net(&st, "a b") == -1);
	check(settings_add_net(&st, "") == -1);
	check(settings_prepare(&s, &st, &t, &e) == 0);
	/* not in place before the commit */
	check(settings_load(&s, &got, &e) == 0 && !got.found);
	check(settings_commit(&t, &e) == 0);
	check(settings_load(&s, &got, &e) == 0 && got.found && got.host_open &&
	      got.nets.n == 2 && !strcmp(got.nets.v[1], "front"));
	settings_free(&got);
	check(dfw_host_open(&c, &e) == 1);
	/* aborted: the old file stays */
	st.host_open = 0;
	check(settings_prepare(&s, &st, &t, &e) == 0);
	settings_abort(&t);
	check(dfw_host_open(&c, &e) == 1);
	settings_free(&st);
	store_close(&s);
	cleanup();
}

static void test_bad_files(void)
{
	static const struct {
		const char *text, *want;
	} v[] = {
		{ "docker-fw-settings 2\nend\n", "settings:1: not a settings" },
		{ "docker-fw-settings 1\nto-host maybe\nend\n",
		  "settings:2: not a settings line" },
		{ "docker-fw-settings 1\nto-host open\n",
		  "settings:2: truncated (no `end`)" },
		{ "docker-fw-settings 1\nend", "settings:2: truncated (no "
					       "newline)" },
		{ "docker-fw-settings 1\nend\nnetwork x\n",
		  "settings:3: a line after `end`" },
		{ "docker-fw-settings 1\nnetwork\nend\n",
		  "settings:2: not a settings line" },
	};
	struct settings got;
	struct store s;
	struct err e;
	char path[128];
	size_t i;

	setup();
	check(store_open(&s, tmpdir, 0, &e) == 0);
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		put(v[i].text);
		e.msg[0] = 0;
		check(settings_load(&s, &got, &e) == -1);
		check(strstr(e.msg, v[i].want) != NULL);
		if (!strstr(e.msg, v[i].want))
			fprintf(stderr, "  %zu: %s\n", i, e.msg);
	}
	snprintf(path, sizeof(path), "%s/" SETTINGS_FILE, tmpdir);
	unlink(path);
	check(symlink("/etc/passwd", path) == 0);
	check(settings_load(&s, &got, &e) == -1 &&
	      strstr(e.msg, "symbolic link") != NULL);
	store_close(&s);
	cleanup();
}

UNIT_TESTS(T(test_round_trip) T(test_bad_files))
