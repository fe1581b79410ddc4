# tls-certs.sh - certificates for the TLS e2e tests, made with openssl.
#
# Sourced by tests (after testing.sh). Everything is written under the
# folder given; nothing outside it is read or changed (openssl runs with a
# config of its own, never the system's openssl.cnf).
#
#   tls_key FILE rsa|ec          a new key, PEM PKCS#8 (BEGIN PRIVATE KEY):
#                                RSA 2048 or EC P-256 (prime256v1)
#   tls_ca DIR NAME rsa|ec       a self-signed CA: DIR/NAME.pem, DIR/NAME-key.pem
#   tls_leaf DIR CA NAME rsa|ec server|client [SAN]
#                                DIR/NAME.pem signed by DIR/CA.pem, key in
#                                DIR/NAME-key.pem; server: serverAuth and
#                                subjectAltName SAN (e.g. IP:127.0.0.1,DNS:x);
#                                client: clientAuth
#   tls_leaf_dated DIR CA NAME rsa|ec server|client SAN START END
#                                as tls_leaf with the validity given
#                                (YYYYMMDDHHMMSSZ), through `openssl ca`: OpenSSL
#                                3.0's x509 has no -not_before/-not_after
#   tls_pkcs1 IN OUT             an RSA key as PKCS#1 (BEGIN RSA PRIVATE KEY)
#   tls_sec1 IN OUT              an EC key as SEC1 (BEGIN EC PRIVATE KEY)
#   tls_certdir DIR CA CERT KEY  DIR/ca.pem, DIR/cert.pem, DIR/key.pem (copies),
#                                as DOCKER_CERT_PATH wants them; "-" leaves
#                                one out
#   tls_pki DIR                  the whole set tls.test and rules.test use
#                                (see there)
#
# Validity: from now to 30 days ahead (srv-expired aside).

tls_cnf() {	# tls_cnf DIR: the openssl config, written once
	[ -s "$1/openssl.cnf" ] && return 0
	mkdir -p "$1/ca.db/new" || return 1
	: >"$1/ca.db/index.txt"
	echo 1000 >"$1/ca.db/serial"
	cat >"$1/openssl.cnf" <<-EOF
	[req]
	distinguished_name = dn
	prompt = no
	[dn]
	CN = unused
	[v3_ca]
	basicConstraints = critical,CA:TRUE
	keyUsage = critical,keyCertSign,cRLSign
	subjectKeyIdentifier = hash
	[server_rsa]
	basicConstraints = critical,CA:FALSE
	keyUsage = critical,digitalSignature,keyEncipherment
	extendedKeyUsage = serverAuth
	subjectAltName = \$ENV::TLS_SAN
	subjectKeyIdentifier = hash
	authorityKeyIdentifier = keyid
	[server_ec]
	basicConstraints = critical,CA:FALSE
	keyUsage = critical,digitalSignature
	extendedKeyUsage = serverAuth
	subjectAltName = \$ENV::TLS_SAN
	subjectKeyIdentifier = hash
	authorityKeyIdentifier = keyid
	[client_rsa]
	basicConstraints = critical,CA:FALSE
	keyUsage = critical,digitalSignature,keyEncipherment
	extendedKeyUsage = clientAuth
	subjectKeyIdentifier = hash
	authorityKeyIdentifier = keyid
	[client_ec]
	basicConstraints = critical,CA:FALSE
	keyUsage = critical,digitalSignature
	extendedKeyUsage = clientAuth
	subjectKeyIdentifier = hash
	authorityKeyIdentifier = keyid
	[ca]
	default_ca = dfw_ca
	[dfw_ca]
	dir = $1/ca.db
	database = \$dir/index.txt
	new_certs_dir = \$dir/new
	serial = \$dir/serial
	default_md = sha256
	policy = any
	unique_subject = no
	copy_extensions = none
	[any]
	commonName = supplied
	EOF
}

tls_ossl() {	# openssl with our config and nothing of the system's
	OPENSSL_CONF=$TLS_CNF TLS_SAN=${TLS_SAN:-DNS:unused} \
		openssl "$@" 2>>"$TLS_LOG"
}

tls_key() {
	case $2 in
	rsa)	tls_ossl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
			-out "$1" ;;
	ec)	tls_ossl genpkey -algorithm EC \
			-pkeyopt ec_paramgen_curve:prime256v1 -out "$1" ;;
	*)	return 1 ;;
	esac
}

tls_ca() {	# DIR NAME rsa|ec
	tls_key "$1/$2-key.pem" "$3" &&
	tls_ossl req -config "$TLS_CNF" -x509 -new -key "$1/$2-key.pem" \
		-subj "/CN=docker-fw test CA $2" -extensions v3_ca \
		-sha256 -days 30 -out "$1/$2.pem"
}

tls_csr() {	# DIR NAME rsa|ec
	tls_key "$1/$2-key.pem" "$3" &&
	tls_ossl req -config "$TLS_CNF" -new -key "$1/$2-key.pem" \
		-subj "/CN=docker-fw test $2" -out "$1/$2.csr"
}

tls_leaf() {	# DIR CA NAME rsa|ec server|client [SAN]
	tls_csr "$1" "$3" "$4" &&
	TLS_SAN=${6:-DNS:unused} tls_ossl x509 -req -in "$1/$3.csr" \
		-CA "$1/$2.pem" -CAkey "$1/$2-key.pem" -set_serial "0x$(
			od -An -N8 -tx1 /dev/urandom | tr -d ' \n')" \
		-sha256 -days 30 -extfile "$TLS_CNF" -extensions "$5_$4" \
		-out "$1/$3.pem"
}

tls_leaf_dated() {	# DIR CA NAME rsa|ec server|client SAN START END
	tls_csr "$1" "$3" "$4" &&
	TLS_SAN=$6 tls_ossl ca -batch -config "$TLS_CNF" -notext \
		-cert "$1/$2.pem" -keyfile "$1/$2-key.pem" -in "$1/$3.csr" \
		-startdate "$7" -enddate "$8" -extensions "$5_$4" \
		-out "$1/$3.pem"
}

tls_pkcs1() { tls_ossl rsa -in "$1" -traditional -out "$2"; }
tls_sec1() { tls_ossl ec -in "$1" -out "$2"; }

tls_certdir() {	# DIR CA CERT KEY
	mkdir -p "$1" || return 1
	rm -f "$1/ca.pem" "$1/cert.pem" "$1/key.pem"
	[ "$2" = - ] || cp "$2" "$1/ca.pem" || return 1
	[ "$3" = - ] || cp "$3" "$1/cert.pem" || return 1
	[ "$4" = - ] || cp "$4" "$1/key.pem" || return 1
}

# tls_pki DIR: in DIR (all PEM):
#   ca-rsa, ca-ec        the CAs dockerd trusts (cas.pem: both)
#   srv-rsa, srv-ec      dockerd's certificates: IP:127.0.0.1, DNS:dockerd.test
#   cli-rsa, cli-ec      client certificates of ca-rsa, ca-ec
#   cli-rsa2             another client of ca-rsa (its key does not match cli-rsa)
#   ca-other             a CA nobody trusts; cli-other, a client of it;
#                        srv-other, a server certificate of it
#   srv-expired          of ca-rsa, valid 2020-01-01 to 2020-01-02 only
#   srv-dnsonly          of ca-rsa, DNS:elsewhere.test and nothing else
#   cli-rsa-key.pkcs1.pem, cli-ec-key.sec1.pem, cli-ec-key.params.pem
#                        the client keys in their other PEM forms (the last
#                        one as `openssl ecparam -genkey` writes it: an EC
#                        PARAMETERS block, then the SEC1 key)
# and DOCKER_CERT_PATH folders rsa/ and ec/ (ca, client cert and key of
# each). Returns non-zero, with openssl's messages in DIR/openssl.log, if
# anything could not be made.
tls_pki() {
	d=$1
	mkdir -p "$d" || return 1
	TLS_CNF=$d/openssl.cnf TLS_LOG=$d/openssl.log
	: >"$TLS_LOG"
	san=IP:127.0.0.1,DNS:dockerd.test
	tls_cnf "$d" &&
	tls_ca "$d" ca-rsa rsa &&
	tls_ca "$d" ca-ec ec &&
	tls_ca "$d" ca-other rsa &&
	cat "$d/ca-rsa.pem" "$d/ca-ec.pem" >"$d/cas.pem" &&
	tls_leaf "$d" ca-rsa srv-rsa rsa server "$san" &&
	tls_leaf "$d" ca-ec srv-ec ec server "$san" &&
	tls_leaf "$d" ca-rsa cli-rsa rsa client &&
	tls_leaf "$d" ca-ec cli-ec ec client &&
	tls_leaf "$d" ca-rsa cli-rsa2 rsa client &&
	tls_leaf "$d" ca-other cli-other rsa client &&
	tls_leaf "$d" ca-other srv-other rsa server "$san" &&
	tls_leaf_dated "$d" ca-rsa srv-expired rsa server "$san" \
		20200101000000Z 20200102000000Z &&
	tls_leaf "$d" ca-rsa srv-dnsonly rsa server DNS:elsewhere.test &&
	tls_pkcs1 "$d/cli-rsa-key.pem" "$d/cli-rsa-key.pkcs1.pem" &&
	tls_sec1 "$d/cli-ec-key.pem" "$d/cli-ec-key.sec1.pem" &&
	{ tls_ossl ecparam -name prime256v1 &&
	  cat "$d/cli-ec-key.sec1.pem"; } >"$d/cli-ec-key.params.pem" &&
	tls_certdir "$d/rsa" "$d/ca-rsa.pem" "$d/cli-rsa.pem" \
		"$d/cli-rsa-key.pem" &&
	tls_certdir "$d/ec" "$d/ca-ec.pem" "$d/cli-ec.pem" "$d/cli-ec-key.pem"
}
