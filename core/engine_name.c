/* engine_name.c - containers by their name, the key of the store. */
#include <string.h>

#include "dfw/engine.h"

const struct docker_container *engine_named(struct engine *g, const char *name,
					    struct err *e)
{
	/* what the list gives (ID, name, state, networks, ports) is what
	 * a sync needs of it: no inspect */
	const struct docker_container *c = view_container(&g->view, name, 0, e);

	if (c && strcmp(c->name, *name == '/' ? name + 1 : name)) {
		err_set(e, EXIT_USAGE, "no such container \"%.255s\"", name);
		return NULL;
	}
	return c;
}
