/* config.c - the settings of one run: defaults and pure checks. */
#include <string.h>

#include "dfw/config.h"

void config_init(struct dfw_config *c)
{
	memset(c, 0, sizeof(*c));
}

int config_seconds(const char *name, const char *v, int *ms, struct err *e)
{
	uint64_t s;

	*ms = 0;
	if (!v || !*v)
		return 0;
	if (parse_uint(v, 1, 86400, &s))
		return err_set(e, EXIT_USAGE,
			       "%s=\"%s\": not a number of "
			       "seconds from 1 to 86400",
			       name, v);
	*ms = (int)s * 1000;
	return 0;
}

int config_backend_check(const char *v, struct err *e)
{
	if (!strcmp(v, "iptc") || !strcmp(v, "nft"))
		return 0;
	return err_set(e, EXIT_USAGE,
		       "backend \"%s\": iptc (legacy iptables, "
		       "libiptc) or nft (iptables-nft)",
		       v);
}
