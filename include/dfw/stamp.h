/*
 * stamp.h - a full replay's stamp (#18): what the inputs of a replay were
 * when one last ran through clean, so that the next one can tell that
 * nothing changed since without reading the store into rules.
 *
 * A replay with nothing to change still parses every stored rule, asks
 * Docker, resolves each rule and compares it with the table: at 10,000
 * rules about twice what `iptables-save -t filter` costs. Its outcome is
 * a function of what it reads: the store, Docker's containers and
 * networks, the bridge sysctls, whether this kernel has IPv6, the
 * filter tables, the settings that choose a daemon and a backend, and
 * the program itself. The stamp ($state_dir/.stamp, text, 0600) holds a
 * digest of each (hash64, seeded with a random key it keeps), written by
 * a full `replay` (no names, no --dry-run) that ended clean: exit 0, no
 * warning, nothing left out, no container inspected (add-two-ways' hosts
 * entries, a container the list lacks: their files are not digested
 * here), no live probe chain, its inputs read again at the end equal to
 * those it started from, and the tables taken as it left them. A
 * replay whose
 * inputs all give the same digests would change nothing and say
 * nothing: it ends there. Any other replay runs in full, and removes
 * the stamp when it cannot write one.
 *
 * The tables: a legacy one by a digest of its entries as the kernel
 * hands them to iptc_init, without counters (fw_iptc_digest: the whole
 * table is read, as iptables-save reads it). A full run stamps the
 * digest of the table as its libiptc read it or committed it
 * (fw_iptc_seen), never a read after its commit, which would take a
 * writer that ignores the lock for the run. nf_tables by the ruleset's
 * generation, which every commit of any table moves on, with the
 * namespace's cookie and the boot's ID (fw_nft_generation). A stamp
 * written after nf_tables commits holds only if the generation, read
 * under the lock after them, moved by those commits alone.
 */
#ifndef DFW_STAMP_H
#define DFW_STAMP_H

#include "dfw/engine.h"
#include "dfw/fw.h"

#define STAMP_FILE ".stamp" /* in the store's folder */

/* One replay's side: the key of every digest (the stamp's own, else a
 * new random one) and the inputs but the tables as it started. */
struct stamp {
	uint64_t key;
	struct buf head;
	int have; /* head made: the run may be stamped */
};

/*
 * Digests the inputs (all but the tables) into s, as the run starts,
 * and with use says whether the stamp in g's store (locked) matches
 * them and the tables now: 1 (a replay would change nothing), 0 (it
 * may, or something could not be read: run in full). Asks Docker for
 * its list and networks through g->view, which keeps them (or their
 * failure) for the full run. s is the caller's (stamp_free).
 */
int stamp_fresh(struct engine *g, struct stamp *s, int use);

/* Before the full run: g->be.mark set to k (for the tables its commit
 * leaves), seeded with s's key, when s may be stamped. 1, or 0. */
int stamp_mark(const struct stamp *s, struct engine *g, struct fw_state *k);

/*
 * After the full run (ok: it returned EXIT_DONE): writes the stamp when
 * the run was clean (see above) and its inputs read again are those s
 * holds (a file or a sysctl changed during the run is not stamped as
 * seen); k: the tables as the run left them (stamp_mark). Otherwise, or
 * when it cannot be written, removes it: the next replay runs in full.
 */
void stamp_update(struct engine *g, const struct stamp *s,
		  const struct fw_state *k, int ok);

void stamp_free(struct stamp *s);

#endif
