/*
 * tls_conf.c - the TLS settings in force (tls.h, struct tls_conf) from
 * the configuration the applet layer made: the docker CLI's rules for
 * --tls/--tlsverify and the default file names. Pure: reads no file and
 * no environment.
 */
#include <stdio.h>
#include <string.h>

#include "dfw/tls.h"

int tls_conf_get(const struct dfw_config_tls *in, struct tls_conf *o,
		 struct err *e)
{
	static const char *const names[] = { "ca.pem", "cert.pem", "key.pem" };
	const unsigned given[] = { CONFIG_TLSCACERT, CONFIG_TLSCERT,
				   CONFIG_TLSKEY };
	const char *files[] = { in->ca, in->cert, in->key };
	char *out[] = { o->ca, o->cert, o->key };
	const char *dir = in->cert_dir;
	char def[PATH_MAX];
	size_t i;

	memset(o, 0, sizeof(*o));
	o->tls = in->tls;
	o->verify = in->verify;
	/* --tlsverify at all, even =false, turns TLS on (docker CLI) */
	if (o->verify || (in->given & CONFIG_TLSVERIFY))
		o->tls = 1;
	if (!o->tls)
		return 0;
	/* no HOME: no default files (a CA is asked for if needed) */
	if ((!dir || !*dir) && in->home && *in->home &&
	    (size_t)snprintf(def, sizeof(def), "%s/.docker", in->home) <
		    sizeof(def))
		dir = def;
	else if (!dir || !*dir)
		dir = NULL;
	o->cert_default = !(in->given & CONFIG_TLSCERT);
	o->key_default = !(in->given & CONFIG_TLSKEY);
	for (i = 0; i < 3; i++) {
		int n;

		if (in->given & given[i])
			n = snprintf(out[i], PATH_MAX, "%s", files[i]);
		else if (dir)
			n = snprintf(out[i], PATH_MAX, "%s/%s", dir, names[i]);
		else
			continue;
		if (n < 0 || n >= PATH_MAX)
			return err_set(e, EXIT_USAGE,
				       "TLS: the certificate "
				       "path \"%s\" is too long",
				       in->given & given[i] ? files[i] : dir);
	}
	if (!o->verify)
		*o->ca = 0; /* the server is not checked */
	return 0;
}
