/*
 * test_tls.c - TLS settings (docker CLI semantics), credential files in
 * every form and every bad form, and handshakes against a real TLS
 * server (openssl s_server on loopback): the iPAddress subjectAltName
 * check for IPv4 and IPv6, DNS names with SNI, an untrusted chain, the
 * unchecked mode, a plaintext server. Certificates are made by openssl.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "dfw/tls.h"
#include "dfw/transport.h"
#include "dfw/util.h"
#include "failalloc.h"
#include "unit.h"

static char dir[64];

static const char *f(const char *name)
{
	static char path[4][256];
	static int k;

	k = (k + 1) % 4;
	snprintf(path[k], sizeof(path[k]), "%s/%s", dir, name);
	return path[k];
}

static int sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

/* CA, server certs (IP:127.0.0.1 + DNS:localhost; IP:127.0.0.2 only;
 * IP:::1), client keys in every form, another CA and its client. */
static void make_certs(void)
{
	static const char script[] =
		"set -e; cd %s; exec 2>/dev/null\n"
		"ca() { openssl req -x509 -newkey rsa:2048 -nodes -keyout $1-key.pem"
		" -out $1.pem -days 30 -subj /CN=$1; }\n"
		"cert() { # cert NAME CA KEYALG EXT [EXT [CN]]\n"
		"  openssl req -newkey $3 -nodes -keyout $1-key.pem -out $1.csr"
		" -subj /CN=${6:-$1}\n"
		"  printf '%%s\\n' \"$4\" \"${5:-}\" >$1.ext\n"
		"  openssl x509 -req -in $1.csr -CA $2.pem -CAkey $2-key.pem"
		" -CAcreateserial -out $1.pem -days 30 -extfile $1.ext; }\n"
		"ca ca; ca other\n"
		"cert srv ca rsa:2048 'subjectAltName=IP:127.0.0.1,DNS:localhost'\n"
		"cert srv2 ca rsa:2048 'subjectAltName=IP:127.0.0.2,DNS:other.test'\n"
		"cert srv6 ca ec:ecp.pem 'subjectAltName=IP:::1' || {\n"
		"  openssl ecparam -name prime256v1 -out ecp.pem\n"
		"  cert srv6 ca ec:ecp.pem 'subjectAltName=IP:::1'; }\n"
		"cert rsacli ca rsa:2048 extendedKeyUsage=clientAuth\n"
		"cert eccli ca ec:ecp.pem extendedKeyUsage=clientAuth\n"
		"cert othercli other rsa:2048 extendedKeyUsage=clientAuth\n"
		"cert rsa4k ca rsa:4096 extendedKeyUsage=clientAuth\n"
		"cert srvmap ca rsa:2048 'subjectAltName=IP:::ffff:127.0.0.1'\n"
		"openssl rsa -in rsacli-key.pem -traditional -aes128 -passout"
		" pass:x -out rsacli-enc1.pem\n"
		"for f in ca rsacli rsacli-key; do sed 's/$/\\r/' $f.pem"
		" >$f-crlf.pem; done\n"
		"openssl rsa -in rsa4k-key.pem -traditional -out rsa4k-pkcs1.pem\n"
		"openssl rsa -in rsacli-key.pem -traditional -out rsacli-pkcs1.pem\n"
		"openssl ec -in eccli-key.pem -out eccli-sec1.pem\n"
		"openssl pkey -in eccli-key.pem -out eccli-pkcs8.pem\n"
		"openssl pkcs8 -topk8 -in rsacli-key.pem -passout pass:x"
		" -out rsacli-enc.pem\n"
		"head -c 300 ca.pem >trunc.pem\n"
		"echo 'not pem' >garbage.pem; : >empty.pem\n"
		"cat eccli-key.pem rsacli-key.pem >twokeys.pem\n"
		/* #19.9: extended key usage, the CN, intermediates */
		"san='subjectAltName=IP:127.0.0.1,DNS:localhost'\n"
		"cert srvcli ca rsa:2048 \"$san\" extendedKeyUsage=clientAuth\n"
		"cert srvboth ca rsa:2048 \"$san\""
		" extendedKeyUsage=clientAuth,serverAuth\n"
		"cert srvany ca rsa:2048 \"$san\""
		" extendedKeyUsage=anyExtendedKeyUsage\n"
		"cert srveku ca rsa:2048 \"$san\" extendedKeyUsage=serverAuth\n"
		"cert srvcn ca rsa:2048 extendedKeyUsage=serverAuth '' localhost\n"
		"cert srvcnip ca rsa:2048 extendedKeyUsage=serverAuth ''"
		" 127.0.0.1\n"
		"cert srvdnsip ca rsa:2048 subjectAltName=DNS:127.0.0.1 ''"
		" 127.0.0.1\n"
		"cert intcli ca rsa:2048 basicConstraints=critical,CA:TRUE"
		" extendedKeyUsage=clientAuth\n"
		"cert intok ca rsa:2048 basicConstraints=critical,CA:TRUE\n"
		"cert srvi1 intcli rsa:2048 \"$san\" extendedKeyUsage=serverAuth\n"
		"cert srvi2 intok rsa:2048 \"$san\" extendedKeyUsage=serverAuth\n"
		"cert wild ca rsa:2048"
		" 'subjectAltName=DNS:*.example.com,DNS:Exact.Test.,DNS:f*.x.org'\n"
		"for c in srvcli srveku srvany srvcn wild intcli; do"
		" openssl x509 -in $c.pem -outform der -out $c.der; done\n";

	strcpy(dir, "/tmp/dfwtls.XXXXXX");
	if (!mkdtemp(dir))
		exit(3);
	sh("cd %s && openssl ecparam -name prime256v1 -out ecp.pem "
	   "2>/dev/null",
	   dir);
	if (sh(script, dir)) {
		fprintf(stderr,
			"openssl failed to make the test certificates\n");
		exit(3);
	}
}

/* A test's environment: "NAME=VALUE" strings, NULL-ended. */
static const char *fake_env(void *arg, const char *name)
{
	const char *const *v = arg;
	size_t n = strlen(name);

	for (; *v; v++)
		if (!strncmp(*v, name, n) && (*v)[n] == '=')
			return *v + n + 1;
	return NULL;
}

/* The TLS settings in force for the environment env and the global
 * options args (blank-separated, or NULL), as docker-fw reads them. */
static int conf(const char *const *env, const char *args, struct tls_conf *o,
		struct err *e)
{
	static char copy[4096];
	char *argv[16], *p;
	struct cli c;
	int argc = 0;

	config_env(&c, fake_env, (void *)env);
	snprintf(copy, sizeof(copy), "%s", args ? args : "");
	for (p = strtok(copy, " "); p && argc < 15; p = strtok(NULL, " "))
		argv[argc++] = p;
	if (config_globals(&c, argc, argv, e) != argc)
		return -1;
	return tls_conf_get(&c.cfg.tls, o, e);
}

static void test_opts(void)
{
	char certs[300], cli[600];
	struct tls_conf o;
	struct tls_creds *c;
	struct err e;

	snprintf(certs, sizeof(certs), "DOCKER_CERT_PATH=%s", dir);
	check(!conf((const char *[]){ NULL }, NULL, &o, &e) && !o.tls &&
	      !o.verify);

	/* DOCKER_TLS_VERIFY: any non-empty value, even "0" (docker CLI) */
	check(!conf((const char *[]){ "DOCKER_TLS_VERIFY=0", certs, NULL },
		    NULL, &o, &e) &&
	      o.tls && o.verify);
	check_str(o.ca, f("ca.pem"));
	/* no DIR/cert.pem: no client cert (when the files are read) */
	check_str(o.cert, f("cert.pem"));
	check(o.cert_default && o.key_default);
	check(!conf((const char *[]){ "DOCKER_TLS_VERIFY=", certs, NULL }, NULL,
		    &o, &e) &&
	      !o.tls);

	/* DOCKER_TLS: unchecked; the CA is not used */
	check(!conf((const char *[]){ "DOCKER_TLS=1", certs, NULL }, NULL, &o,
		    &e) &&
	      o.tls && !o.verify && !*o.ca);

	/* --tlsverify=false still turns TLS on, unchecked; the options win
	 * over the variables */
	check(!conf((const char *[]){ certs, NULL }, "--tlsverify=false", &o,
		    &e) &&
	      o.tls && !o.verify);
	check(!conf((const char *[]){ "DOCKER_TLS=1", NULL }, "--tls=0", &o,
		    &e) &&
	      !o.tls);
	check(!conf((const char *[]){ "DOCKER_TLS_VERIFY=1", NULL },
		    "--tlsverify=0 --tls=0", &o, &e) &&
	      o.tls && !o.verify);

	/* DOCKER_CONFIG, then HOME/.docker */
	check(!conf((const char *[]){ "DOCKER_TLS_VERIFY=1",
				      "DOCKER_CONFIG=/etc/dc", NULL },
		    NULL, &o, &e));
	check_str(o.ca, "/etc/dc/ca.pem");
	check(!conf((const char *[]){ "DOCKER_TLS_VERIFY=1", "HOME=/home/u",
				      NULL },
		    NULL, &o, &e));
	check_str(o.ca, "/home/u/.docker/ca.pem");

	/* no HOME: no default files; verify then asks for a CA */
	check(!conf((const char *[]){ "DOCKER_TLS_VERIFY=1", NULL }, NULL, &o,
		    &e) &&
	      o.verify && !*o.ca && !*o.cert);
	check(tls_creds_load(&o, &c, &e) == -1);
	check(strstr(e.msg, "needs a CA file") != NULL);

	/* files given on the command line win; a cert without its key */
	snprintf(cli, sizeof(cli), "--tlscert %s", f("rsacli.pem"));
	check(!conf((const char *[]){ "DOCKER_TLS_VERIFY=1", "HOME=/home/u",
				      NULL },
		    cli, &o, &e) &&
	      o.verify);
	check_str(o.cert, f("rsacli.pem"));
	check(tls_creds_load(&o, &c, &e) == -1 && e.code == EXIT_USAGE);
	check(strstr(e.msg, "rsacli.pem") && strstr(e.msg, "without its key"));
	snprintf(cli, sizeof(cli), "--tlscert %s --tlskey=%s --tlscacert %s",
		 f("rsacli.pem"), f("rsacli-key.pem"), f("ca.pem"));
	check(!conf((const char *[]){ "DOCKER_TLS_VERIFY=1", NULL }, cli, &o,
		    &e) &&
	      o.verify);
	check_str(o.cert, f("rsacli.pem"));
	check_str(o.key, f("rsacli-key.pem"));
	check(!o.cert_default && !o.key_default);
	check(tls_creds_load(&o, &c, &e) == 0);
	tls_creds_free(c);
	/* the default files that are not there are none */
	check(!conf((const char *[]){ "DOCKER_TLS_VERIFY=1", certs, NULL },
		    NULL, &o, &e));
	check(tls_creds_load(&o, &c, &e) == 0);
	tls_creds_free(c);
}

/* Loads with CA ca (verify when non-NULL), client cert and key. */
static int load(const char *ca, const char *cert, const char *key,
		struct err *e)
{
	struct tls_conf o = { .tls = 1 };
	struct tls_creds *c;

	if (ca) {
		o.verify = 1;
		strcpy(o.ca, f(ca));
	}
	if (cert) {
		strcpy(o.cert, f(cert));
		strcpy(o.key, f(key));
	}
	if (tls_creds_load(&o, &c, e))
		return -1;
	tls_creds_free(c);
	return 0;
}

static void test_files(void)
{
	struct err e;

	/* every key form */
	check(!load("ca.pem", "rsacli.pem", "rsacli-key.pem", &e));
	check(!load("ca.pem", "rsacli.pem", "rsacli-pkcs1.pem", &e));
	check(!load("ca.pem", "eccli.pem", "eccli-sec1.pem", &e));
	check(!load("ca.pem", "eccli.pem", "eccli-pkcs8.pem", &e));
	check(!load(NULL, "eccli.pem", "eccli-key.pem", &e));
	/* 4096 bits, Docker's documented `openssl genrsa 4096` */
	check(!load("ca.pem", "rsa4k.pem", "rsa4k-key.pem", &e));
	check(!load("ca.pem", "rsa4k.pem", "rsa4k-pkcs1.pem", &e));
	check(load("ca.pem", "rsa4k.pem", "rsacli-key.pem", &e) == -1 &&
	      strstr(e.msg, "does not match"));
	check(load("ca.pem", "rsacli.pem", "rsa4k-key.pem", &e) == -1 &&
	      strstr(e.msg, "does not match"));
	/* a chain file with the CA after the client cert */
	sh("cat %s %s >%s", f("rsacli.pem"), f("ca.pem"), f("chain.pem"));
	check(!load("ca.pem", "chain.pem", "rsacli-key.pem", &e));
	/* a CA file with two CAs */
	sh("cat %s %s >%s", f("other.pem"), f("ca.pem"), f("cas.pem"));
	check(!load("cas.pem", NULL, NULL, &e));

	/* CR LF line ends */
	check(!load("ca-crlf.pem", "rsacli-crlf.pem", "rsacli-key-crlf.pem",
		    &e));

	/* each bad file: exit 2, its name in the message */
#define BAD(ca, cert, key, named, what) \
	do { \
		check(load(ca, cert, key, &e) == -1); \
		check(e.code == EXIT_USAGE); \
		check(strstr(e.msg, named) != NULL); \
		check(strstr(e.msg, what) != NULL); \
		if (!strstr(e.msg, what)) \
			fprintf(stderr, "  message: %s\n", e.msg); \
	} while (0)
	BAD("nosuch.pem", NULL, NULL, "nosuch.pem", "No such file");
	BAD("garbage.pem", NULL, NULL, "garbage.pem", "not a PEM file");
	BAD("empty.pem", NULL, NULL, "empty.pem", "not a PEM file");
	BAD("trunc.pem", NULL, NULL, "trunc.pem", "not finished");
	BAD("rsacli-key.pem", NULL, NULL, "rsacli-key.pem", "no certificate");
	BAD(".", NULL, NULL, "/.", "directory");
	BAD("ca.pem", "rsacli.pem", "ca.pem", "ca.pem", "no private key");
	BAD("ca.pem", "rsacli.pem", "rsacli-enc.pem", "rsacli-enc.pem",
	    "encrypted");
	BAD("ca.pem", "rsacli.pem", "rsacli-enc1.pem", "rsacli-enc1.pem",
	    "encrypted");
	BAD("ca.pem", "rsacli.pem", "twokeys.pem", "twokeys.pem",
	    "more than one");
	BAD("ca.pem", "rsacli.pem", "eccli-key.pem", "eccli-key.pem",
	    "does not match");
	BAD("ca.pem", "rsacli.pem", "othercli-key.pem", "othercli-key.pem",
	    "does not match");
	BAD("ca.pem", "eccli.pem", "srv6-key.pem", "srv6-key.pem",
	    "does not match");
	BAD("ca.pem", "garbage.pem", "rsacli-key.pem", "garbage.pem",
	    "not a PEM");
	BAD("ca.pem", "rsacli.pem", "nosuch.pem", "nosuch.pem", "No such file");
#undef BAD
	{ /* a file larger than any PEM docker-fw reads */
		FILE *big = fopen(f("big.pem"), "w");
		int i;

		for (i = 0; big && i < (1 << 21) / 64; i++)
			fputs("0123456789012345678901234567890123456789012345"
			      "678901234567890\n",
			      big);
		if (big)
			fclose(big);
		check(load("big.pem", NULL, NULL, &e) == -1);
		check(strstr(e.msg, "larger than") != NULL);
	}
}

/* ---- handshakes against openssl s_server ------------------------------- */

static pid_t srv_pid;
static int srv_port;

static void srv_stop(void)
{
	if (srv_pid > 0) {
		kill(srv_pid, SIGTERM);
		waitpid(srv_pid, NULL, 0);
	}
	srv_pid = 0;
}

/* Starts s_server on addr with the server cert name; requires a client
 * certificate from ca.pem when verify & 1; sends chain (a CA certificate
 * file) after it when not NULL. 0 when it listens. */
static int srv_start_chain(const char *addr, const char *name, int verify,
			   const char *chain)
{
	char cert[256], key[256], port[16], acc[64], ch[256];
	const char *argv[20];
	int i, k = 0;

	srv_stop();
	srv_port = 20000 + (getpid() * 7 + srv_port + 1) % 30000;
	snprintf(cert, sizeof(cert), "%s", f(name));
	snprintf(key, sizeof(key), "%s", f(name));
	strcpy(strrchr(key, '.'), "-key.pem");
	snprintf(port, sizeof(port), "%d", srv_port);
	snprintf(acc, sizeof(acc), strchr(addr, ':') ? "[%s]:%s" : "%s:%s",
		 addr, port);
	srv_pid = fork();
	if (!srv_pid) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		argv[k++] = "openssl";
		argv[k++] = "s_server";
		argv[k++] = "-accept";
		argv[k++] = acc;
		argv[k++] = "-cert";
		argv[k++] = cert;
		argv[k++] = "-key";
		argv[k++] = key;
		argv[k++] = "-www";
		if (verify & 1) {
			argv[k++] = "-CAfile";
			argv[k++] = f("ca.pem");
			argv[k++] = "-Verify";
			argv[k++] = "1";
			argv[k++] = "-verify_return_error";
		}
		if (chain) {
			snprintf(ch, sizeof(ch), "%s", f(chain));
			argv[k++] = "-cert_chain";
			argv[k++] = ch;
		}
		argv[k] = NULL;
		execvp("openssl", (char *const *)argv);
		_exit(127);
	}
	for (i = 0; i < 100; i++) {
		struct endpoint ep;
		struct transport t = { 0 };
		struct err e;
		char url[128];

		snprintf(url, sizeof(url), "tcp://%s", acc);
		usleep(50000);
		if (endpoint_parse(url, &ep, &e))
			return -1;
		if (!transport_connect(&t, &ep, 1000, &e)) {
			t.close(&t);
			return 0;
		}
	}
	return -1;
}

static int srv_start(const char *addr, const char *name, int verify)
{
	return srv_start_chain(addr, name, verify, NULL);
}

/* Connects to host at the server's port with TLS (CA ca, or unchecked
 * when NULL; client cert when cert): 0 with an HTTP answer read, or -1
 * with the error in e. */
static int hs(const char *host, const char *ca, const char *cert,
	      const char *key, struct err *e)
{
	struct tls_conf o = { .tls = 1 };
	struct tls_creds *c;
	struct transport t = { 0 };
	static struct tls_conn conn; /* 41 KB: not on the stack */
	struct endpoint ep;
	char url[128], got[64];
	ssize_t n;
	int rc = -1;

	if (ca) {
		o.verify = 1;
		strcpy(o.ca, f(ca));
	}
	if (cert) {
		strcpy(o.cert, f(cert));
		strcpy(o.key, f(key));
	}
	snprintf(url, sizeof(url),
		 strchr(host, ':') ? "tcp://[%s]:%d" : "tcp://%s:%d", host,
		 srv_port);
	if (endpoint_parse(url, &ep, e) || tls_creds_load(&o, &c, e))
		return -1;
	if (transport_connect(&t, &ep, 2000, e) ||
	    tls_start(&conn, &t, c, ep.host, e))
		goto out;
	if (transport_write_all(&t, "GET / HTTP/1.0\r\n\r\n", 18)) {
		err_set(e, 3, "write: %s", strerror(errno));
		t.close(&t);
		goto out;
	}
	n = t.read(&t, got, sizeof(got) - 1);
	got[n > 0 ? n : 0] = 0;
	t.close(&t);
	if (strncmp(got, "HTTP/1.0 200", 12)) {
		err_set(e, 3, "answer \"%s\"", got);
		goto out;
	}
	rc = 0;
out:
	tls_creds_free(c);
	return rc;
}

#define HS_FAILS(host, ca, cert, key, what) \
	do { \
		struct err e_; \
		check(hs(host, ca, cert, key, &e_) == -1); \
		check(e_.code == EXIT_RUNTIME); \
		check(strstr(e_.msg, what) != NULL); \
		check(strstr(e_.msg, "tcp://") != NULL); \
		if (!strstr(e_.msg, what)) \
			fprintf(stderr, "  message: %s\n", e_.msg); \
	} while (0)

static void test_handshake(void)
{
	struct err e;

	if (srv_start("127.0.0.1", "srv.pem", 0)) {
		check(!"openssl s_server did not start");
		return;
	}
	check(!hs("127.0.0.1", "ca.pem", NULL, NULL, &e));
	check(!hs("localhost", "ca.pem", NULL, NULL, &e)); /* SNI, DNS */
	check(!hs("127.0.0.1", NULL, NULL, NULL, &e));	   /* unchecked */
	check(!hs("127.0.0.1", "cas.pem", NULL, NULL, &e));
	HS_FAILS("127.0.0.1", "other.pem", NULL, NULL, "not trusted");
	HS_FAILS("127.0.0.1", "other.pem", NULL, NULL, "other.pem");
	/* unchecked mode ignores the chain */
	check(!hs("127.0.0.1", NULL, "rsacli.pem", "rsacli-key.pem", &e));

	/* the certificate names 127.0.0.2 and other.test only */
	check(!srv_start("127.0.0.1", "srv2.pem", 0));
	HS_FAILS("127.0.0.1", "ca.pem", NULL, NULL, "name mismatch");
	HS_FAILS("localhost", "ca.pem", NULL, NULL, "name mismatch");
	check(!hs("127.0.0.1", NULL, NULL, NULL, &e));

	/* IP:::ffff:127.0.0.1 names 127.0.0.1 (Go's net.IP.Equal) */
	check(!srv_start("127.0.0.1", "srvmap.pem", 0));
	check(!hs("127.0.0.1", "ca.pem", NULL, NULL, &e));

	/* IPv6: IP:::1 */
	if (!srv_start("::1", "srv6.pem", 0)) {
		check(!hs("::1", "ca.pem", NULL, NULL, &e));
		check(!srv_start("::1", "srv.pem", 0));
		HS_FAILS("::1", "ca.pem", NULL, NULL, "name mismatch");
	} else {
		fprintf(stderr, "  (no IPv6 loopback here: ::1 not tested)\n");
	}

	/* client certificates */
	check(!srv_start("127.0.0.1", "srv.pem", 1));
	check(!hs("127.0.0.1", "ca.pem", "rsacli.pem", "rsacli-pkcs1.pem", &e));
	check(!hs("127.0.0.1", "ca.pem", "eccli.pem", "eccli-sec1.pem", &e));
	check(!hs("127.0.0.1", "ca.pem", "eccli.pem", "eccli-pkcs8.pem", &e));
	check(!hs("127.0.0.1", "ca.pem", "rsa4k.pem", "rsa4k-pkcs1.pem", &e));
	HS_FAILS("127.0.0.1", "ca.pem", NULL, NULL,
		 "requires a client certificate");
	HS_FAILS("127.0.0.1", "ca.pem", "othercli.pem", "othercli-key.pem",
		 "rejected the client certificate");
	HS_FAILS("127.0.0.1", "ca.pem", "othercli.pem", "othercli-key.pem",
		 "othercli.pem");
	srv_stop();
}

/*
 * #19.9: with --tlsverify, the server's certificate must be one for a
 * server by its extended key usage (a client certificate of the same CA
 * is not: Docker's documented setup signs both with one CA), and so must
 * the CA certificates it sends; its name is looked for in the
 * subjectAltName only, never in the Common Name (Go, the docker CLI).
 */
static void test_server_cert_use(void)
{
	struct err e;

	/* a client's certificate (clientAuth only) as the server's */
	check(!srv_start("127.0.0.1", "srvcli.pem", 0));
	HS_FAILS("127.0.0.1", "ca.pem", NULL, NULL,
		 "TLS: the server's "
		 "certificate is not for a TLS server: its extended key usage "
		 "lacks serverAuth");
	HS_FAILS("localhost", "ca.pem", NULL, NULL, "lacks serverAuth");
	check(!hs("127.0.0.1", NULL, NULL, NULL, &e)); /* --tls alone */
	/* serverAuth, with clientAuth, or any: fine */
	check(!srv_start("127.0.0.1", "srvboth.pem", 0));
	check(!hs("127.0.0.1", "ca.pem", NULL, NULL, &e));
	check(!srv_start("127.0.0.1", "srvany.pem", 0));
	check(!hs("localhost", "ca.pem", NULL, NULL, &e));
	check(!srv_start("127.0.0.1", "srveku.pem", 0));
	check(!hs("localhost", "ca.pem", NULL, NULL, &e));

	/* the host in the CN only */
	check(!srv_start("127.0.0.1", "srvcn.pem", 0));
	HS_FAILS("localhost", "ca.pem", NULL, NULL,
		 "TLS: name mismatch: the "
		 "server's certificate is not valid for localhost (it has no "
		 "DNS name in its subjectAltName; its Common Name is not used, "
		 "as in Go and the docker CLI)");
	check(!srv_start("127.0.0.1", "srvcnip.pem", 0));
	HS_FAILS("127.0.0.1", "ca.pem", NULL, NULL,
		 "not valid for 127.0.0.1 "
		 "(it has no IP address in its subjectAltName)");
	/* an address as a DNS name names no address (Go) */
	check(!srv_start("127.0.0.1", "srvdnsip.pem", 0));
	HS_FAILS("127.0.0.1", "ca.pem", NULL, NULL,
		 "not valid for 127.0.0.1 "
		 "(it has no IP address");

	/* a CA certificate the server sends, clientAuth only */
	check(!srv_start_chain("127.0.0.1", "srvi1.pem", 0, "intcli.pem"));
	HS_FAILS("127.0.0.1", "ca.pem", NULL, NULL,
		 "TLS: a CA certificate "
		 "the server sent is not for TLS servers: its extended key "
		 "usage lacks serverAuth");
	check(!srv_start_chain("127.0.0.1", "srvi2.pem", 0, "intok.pem"));
	check(!hs("127.0.0.1", "ca.pem", NULL, NULL, &e));
	srv_stop();
}

static int read_der(const char *name, unsigned char *der, size_t size,
		    size_t *n)
{
	FILE *fp = fopen(f(name), "rb");

	if (!fp)
		return -1;
	*n = fread(der, 1, size, fp);
	fclose(fp);
	return 0;
}

/* The checks on DER: Go's host name matching, the EKU, every prefix of a
 * certificate malformed. */
static void test_cert_checks(void)
{
	static const struct {
		const char *host;
		int ok;
	} names[] = {
		{ "a.example.com", 1 },	  { "A.Example.COM", 1 },
		{ "a.example.com.", 1 },  { "exact.test", 1 },
		{ "EXACT.TEST.", 1 },	  { "example.com", 0 },
		{ "a.b.example.com", 0 }, { ".example.com", 0 },
		{ "fa.x.org", 0 },	  { "f*.x.org", 1 },
		{ "exact.test..", 0 },	  { "", 0 },
		{ "x.exact.test", 0 },
	};
	static const struct {
		const char *file;
		int eku;
	} ekus[] = {
		{ "srvcli.der", 0 }, { "srveku.der", 1 }, { "srvany.der", 1 },
		{ "wild.der", 1 },   { "intcli.der", 0 },
	};
	unsigned char der[8192];
	size_t i, n, k;

	check(!read_der("wild.der", der, sizeof(der), &n));
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		check(tls_cert_has_dns(der, n, names[i].host) == names[i].ok);
		if (tls_cert_has_dns(der, n, names[i].host) != names[i].ok)
			fprintf(stderr, "  host \"%s\"\n", names[i].host);
	}
	check(tls_cert_san_count(der, n, 0x82) == 3);
	check(tls_cert_san_count(der, n, 0x87) == 0);
	for (i = 0; i < sizeof(ekus) / sizeof(ekus[0]); i++) {
		check(!read_der(ekus[i].file, der, sizeof(der), &n));
		check(tls_cert_server_eku(der, n) == ekus[i].eku);
		for (k = 0; k < n; k++)
			check(tls_cert_server_eku(der, k) == -1);
	}
	check(!read_der("srvcn.der", der, sizeof(der), &n));
	check(tls_cert_san_count(der, n, 0x82) == 0);
	check(tls_cert_has_dns(der, n, "localhost") == 0);
	check(tls_cert_has_dns(der, n, "srvcn") == 0);
}

/*
 * #19.10: every allocation of reading the credentials fails in turn (and,
 * a second time, every one from there on): -1 with "out of memory",
 * EXIT_RUNTIME, nothing returned, nothing written past a buffer (ASan)
 * and nothing leaked (LeakSanitizer at exit). A load that reached no
 * failing allocation must succeed: a failure is never ignored.
 */
static void test_pem_nomem(void)
{
	static const struct {
		const char *ca, *cert, *key;
	} sets[] = {
		{ "ca.pem", "rsacli.pem", "rsacli-key.pem" },
		{ "ca-crlf.pem", "rsacli-crlf.pem", "rsacli-key-crlf.pem" },
		{ "ca.pem", "eccli.pem", "eccli-sec1.pem" },
		{ "ca.pem", "rsa4k.pem", "rsa4k-pkcs1.pem" },
	};
	size_t i;
	long n;
	int sticky, rc, runs = 0;

	for (i = 0; i < sizeof(sets) / sizeof(sets[0]); i++)
		for (sticky = 0; sticky < 2; sticky++)
			for (n = 0; n < 100000; n++) {
				struct tls_conf o = { .tls = 1, .verify = 1 };
				struct tls_creds *c = (void *)1;
				struct err e = { 0 };
				unsigned long failed;

				strcpy(o.ca, f(sets[i].ca));
				strcpy(o.cert, f(sets[i].cert));
				strcpy(o.key, f(sets[i].key));
				if (sticky)
					failalloc_all(n);
				else
					failalloc_after(n);
				rc = tls_creds_load(&o, &c, &e);
				failed = failalloc_off();
				runs++;
				if (!failed) {
					check(rc == 0 && c);
					tls_creds_free(c);
					break;
				}
				check(rc == -1 && c == NULL);
				check(e.code == EXIT_RUNTIME);
				check(strstr(e.msg, "out of memory") != NULL);
				if (rc != -1 ||
				    !strstr(e.msg, "out of memory")) {
					fprintf(stderr,
						"  %s, allocation %ld: "
						"%s\n",
						sets[i].cert, n, e.msg);
					tls_creds_free(rc ? NULL : c);
					break;
				}
			}
	check(runs > 40);
}

/* A server on loopback that answers each connection with reply (or
 * closes it at once when reply is NULL), like a dockerd without TLS. */
static pid_t plain_server(const char *reply)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int one = 1, s = socket(AF_INET, SOCK_STREAM, 0);
	pid_t pid;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(s, 8))
		return -1;
	{
		socklen_t len = sizeof(sa);

		getsockname(s, (struct sockaddr *)&sa, &len);
		srv_port = ntohs(sa.sin_port);
	}
	pid = fork();
	if (!pid) {
		for (;;) {
			char buf[512];
			int c = accept(s, NULL, NULL);

			if (c < 0)
				_exit(0);
			if (reply) {
				(void)!read(c, buf, sizeof(buf));
				(void)!write(c, reply, strlen(reply));
			}
			close(c);
		}
	}
	close(s);
	return pid;
}

static void test_not_tls(void)
{
	struct err e;
	pid_t pid = plain_server("HTTP/1.1 400 Bad Request\r\n"
				 "Content-Length: 0\r\n\r\n");

	check(pid > 0);
	check(hs("127.0.0.1", "ca.pem", NULL, NULL, &e) == -1);
	check(e.code == EXIT_RUNTIME);
	check(strstr(e.msg, "does not speak TLS") != NULL);
	check(strstr(e.msg, "tcp://127.0.0.1:") != NULL);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);

	pid = plain_server(NULL);
	check(hs("127.0.0.1", NULL, NULL, NULL, &e) == -1);
	check(strstr(e.msg, "closed the connection during the TLS "
			    "handshake") != NULL);
	if (!strstr(e.msg, "closed the connection"))
		fprintf(stderr, "  message: %s\n", e.msg);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

/* The SAN walk on the fuzz seeds: their addresses, and every strict
 * prefix malformed. */
static void test_san(void)
{
	static const unsigned char lo[] = { 127, 0, 0, 1 },
				   ten[] = { 10, 1, 2, 3 };
	static const unsigned char lo6[16] = { [15] = 1 };
	static const struct {
		const char *file;
		int lo, ten, lo6;
	} certs[] = {
		{ "tests/fuzz/corpus/x509/cert1.der", 1, 0, 1 },
		{ "tests/fuzz/corpus/x509/cert2.der", 0, 1, 0 },
		{ "tests/fuzz/corpus/x509/cert3.der", 0, 0, 0 }, /* no SAN */
	};
	unsigned char der[4096];
	size_t i, n, k;

	for (i = 0; i < sizeof(certs) / sizeof(certs[0]); i++) {
		FILE *fp = fopen(certs[i].file, "rb");

		check(fp != NULL);
		if (!fp)
			continue;
		n = fread(der, 1, sizeof(der), fp);
		fclose(fp);
		check(tls_cert_has_ip(der, n, lo, 4) == certs[i].lo);
		check(tls_cert_has_ip(der, n, ten, 4) == certs[i].ten);
		check(tls_cert_has_ip(der, n, lo6, 16) == certs[i].lo6);
		check(tls_cert_has_ip(der, n, lo6, 4) == 0);
		for (k = 0; k < n; k++)
			check(tls_cert_has_ip(der, k, lo, 4) == -1);
	}
}

static void test_cleanup(void)
{
	srv_stop();
	check(!sh("rm -rf %s", dir));
}

static void setup(void) __attribute__((constructor));
static void setup(void)
{
	signal(SIGPIPE, SIG_IGN);
	make_certs();
}

UNIT_TESTS(T(test_opts) T(test_files) T(test_san) T(test_handshake)
		   T(test_not_tls) T(test_server_cert_use) T(test_cert_checks)
			   T(test_pem_nomem) T(test_cleanup))
