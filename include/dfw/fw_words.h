/*
 * fw_words.h - the words of rules, inside the kernel side (fw*.c only):
 * what reading iptables-save output (fw_decode.c) and checking --filter
 * words (fw_filter.c) share, and the helpers of the rule model
 * (fw_rule.c) they use. Words are as iptables 1.8.9 takes them
 * (iptables/xshared.c, extensions/libxt_tcp.c and the like).
 */
#ifndef DFW_FW_WORDS_H
#define DFW_FW_WORDS_H

#include <stddef.h>
#include <stdint.h>

#include "dfw/fw.h"

/* The letter of an option of iptables itself ("-s", "--source": 's'), 0
 * for anything else (a match's option, a value). */
int fw_opt_letter(const char *w);

/* Whether word j of w[0..n) ends a match block: an option of iptables
 * itself, or "!" before one. */
int fw_block_end(char *const *w, size_t n, size_t j);

/* The end of the match block of w[0..n) that starts at i (w[i] "-m",
 * w[i + 1] its name): the index of the first word after it. */
size_t fw_match_end(char *const *w, size_t n, size_t i);

/* Appends w[0..n) to x (fw_quote'd), after a blank when x is not empty.
 * 0, or -1 (EINVAL: a word that may not be written; ENOMEM). */
int fw_words_add(struct buf *x, char *const *w, size_t n);

/* Whether o is a port option of tcp/udp (*dst: the destination's). */
int fw_port_opt(const char *o, int *dst);

/*
 * A match block `-m NAME w[0..n)` (NAME tcp or udp also NULL: options
 * given after -p without -m): what docker-fw models (plain ports, a
 * conntrack state, the comment) into r, the rest, in order, appended to
 * x as iptables-save words. filter 0 (decode): -1 (e not set) makes the
 * rule foreign; filter 1 (a --filter): -1 with e set (EXIT_USAGE naming
 * the word): -m comment, a port the rule spec gives, an empty -m
 * tcp/udp.
 */
int fw_match_tcpudp(struct fw_rule *r, const char *name, char *const *w,
		    size_t n, int filter, struct buf *x, struct err *e);
int fw_match_block(struct fw_rule *r, const char *name, char *const *w,
		   size_t n, int filter, struct buf *x, struct err *e);

/* r->extra from the words in x (fw_intern): 0, or -1 (ENOMEM). */
int fw_extra_set(struct fw_rule *r, const struct buf *x);

/* "tcp", "udp", or NULL for another protocol number. */
const char *fw_proto_name(uint8_t p);

/* Why the value v may not be written into a table (at most max bytes;
 * iface: as an interface name), or NULL when it may. */
const char *fw_word_why(const char *v, size_t max, int iface);

/* "NEW,RELATED": the names of the FW_CT_* bits in iptables' order, into
 * out[0..len). */
void fw_ctstate_list(unsigned bits, char *out, size_t len);

/* Whether p[0..n) is all zero (a mask: any address). */
int fw_zero(const uint8_t *p, int n);

#endif
