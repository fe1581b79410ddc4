/*
 * The applet table, an X-macro list: APPLET(name, c_name, usage, help).
 * Keep it sorted by name. Adding an applet is one line here plus
 * `int c_name_main(int argc, char **argv, struct cli *cli)` in applets/:
 * applets that share their work share a file (add.c: add, add-internal,
 * add-input, add-two-ways, allow; replay.c: replay, drop; start.c: start,
 * save-hostconfig; init.c, ls.c, watch.c).
 */
/* clang-format off */
#define RULE_OPTS_HELP \
"Rule options (the original docker-fw's):\n" \
"  -s, --source S     where the flow comes from (required)\n" \
"  -d, --dest D       where it goes (default \".\"; add-input: \"/\")\n" \
"  --sport P, --dport P   source / destination port, 1-65535\n" \
"  -p, --protocol tcp|udp (default tcp)\n" \
"  --filter \"...\"     extra conditions, split like a shell would (never\n" \
"                     run by one). nf_tables hosts: any iptables\n" \
"                     condition (-m limit --limit 5/s, ! -f, ...), checked\n" \
"                     by iptables itself; no target, -s/-d, -m comment.\n" \
"                     Legacy hosts (libiptc): [!] -i IF, [!] -o IF (IF up\n" \
"                     to 15 characters, IF+ a prefix) and\n" \
"                     -m conntrack [!] --ctstate STATES only\n" \
"  --network NAME     the network whose addresses the rule uses (needed\n" \
"                     when the containers share several; add: the one\n" \
"                     Docker's DNAT sends published ports to, chosen\n" \
"                     without it). Without it, the network a rule is\n" \
"                     made on is kept with it\n" \
"  --rev-lookup       an address on a Docker network means the container\n" \
"                     holding it (recorded by name)\n" \
"  --from FILE|-      one rule spec per line, as OPTIONS... (CONTAINER\n" \
"                     from the command line), CONTAINER OPTIONS... or\n" \
"                     ACTION CONTAINER OPTIONS... (ls prints this form;\n" \
"                     the original's ls too); shell-like quoting, #\n" \
"                     comments; all lines or none are applied\n" \
"Addresses: \".\" the container, \"/\" the gateway of its network, a\n" \
"container name or ID (must be running), A.B.C.D[/N], an IPv6 address\n" \
"or network (fd99::2, 2001:db8::/32). Exactly one of --source and\n" \
"--dest is \".\".\n" \
"Common options: --state-dir DIR (default $DFW_STATE_DIR, else\n" \
"/var/lib/docker-fw), -v/--verbose (print the table changes),\n" \
"--backend=iptc|nft (default $DFW_BACKEND, else where Docker's chains\n" \
"are: iptc legacy iptables through libiptc, nft iptables-nft).\n"

APPLET("add", add, "CONTAINER --source S [RULE OPTIONS] | [CONTAINER] --from FILE",
"Lets S (an outside address or network) reach CONTAINER's published\n"
"ports: a rule in DFW-FORWARD jumps to Docker's DOCKER chain for traffic\n"
"from S to the container (--dest is \".\"). The rule is stored and\n"
"re-applied by replay with fresh addresses. Between containers, use\n"
"add-internal.\n\n" RULE_OPTS_HELP)
APPLET("add-input", add_input, "CONTAINER --source . [--dest D] --dport P [RULE OPTIONS]",
"Lets CONTAINER reach the host (INPUT): an ACCEPT rule in DFW-INPUT. Use\n"
"--dest / for the gateway address of the container's network. --dport is\n"
"required.\n\n" RULE_OPTS_HELP)
APPLET("add-internal", add_internal, "CONTAINER --source PEER --dport P [RULE OPTIONS]",
"Lets one container reach another: an ACCEPT rule in DFW-FORWARD, e.g.\n"
"from PEER to CONTAINER (--source PEER) or from CONTAINER to PEER\n"
"(--source . --dest PEER). --dport is required.\n\n" RULE_OPTS_HELP)
APPLET("add-two-ways", add_two_ways, "CONTAINER --source PEER --dport P [RULE OPTIONS]",
"As add-internal (PEER may reach CONTAINER on port P), and PEER's\n"
"/etc/hosts maps CONTAINER's name to its address, so PEER reaches it by\n"
"name. The hosts file is edited in place from the host when the daemon\n"
"is local (paused containers stay paused), else through `docker exec`\n"
"with POSIX sh (a paused peer is unpaused and paused again; DFW_HOSTS=exec\n"
"forces this way). replay and start put the entry back after Docker\n"
"rewrites the file; drop removes it. --source must be a container.\n\n"
RULE_OPTS_HELP)
APPLET("allow", allow, "CONTAINER ADDRESS... [--network NAME]",
"An add rule for each published tcp and udp port of CONTAINER and each\n"
"ADDRESS (A.B.C.D[/N] or IPv6, outside Docker's networks). Exposed ports\n"
"that are not published are skipped, and so are ports published on a\n"
"loopback address only (said on stderr). The rules go to the network\n"
"Docker's DNAT sends published ports to; --network NAME must be that\n"
"one. All rules or none are applied.\n"
"Options: --network NAME, --state-dir DIR, -v/--verbose,\n"
"--backend=iptc|nft.\n")
APPLET("check", check, "[--quiet] [--format text|kv]",
"Says whether the whitelist holds, changing nothing: reads the filter\n"
"tables, Docker's state and the store. Every change a dry run of init\n"
"and of a full replay would make is a finding (a jump into DOCKER-USER,\n"
"DFW-FORWARD or DFW-INPUT missing, Docker's catch-all back, a stored rule\n"
"missing or with an old address, a rule of a container gone, a tail or\n"
"guard missing), and so are: a stored rule that cannot be applied, a\n"
"store file that cannot be read, bridge netfilter off\n"
"(net.bridge.bridge-nf-call-iptables, -ip6tables), the other rule set\n"
"(legacy on an nf_tables host, or the reverse) holding docker-fw's or\n"
"Docker's rules, a container on the host's network (unfiltered), a rule\n"
"past docker-fw's that lets new traffic into a bridge (a path around it).\n"
"Container -> host left open by init's choice is a note. One line per\n"
"finding on stdout: KIND (WHERE): WHAT [CHANGE]; fix: HOW. KIND is one\n"
"of chain, jump, catch-all, policy, init-rule, rule-missing, rule-stale,\n"
"table, hosts, rule-unapplied, network-open, store, bridge-nf,\n"
"other-rule-set, path, host-network; notes: host-open, unread (README,\n"
"\"check\", says each).\n"
"Exit 0: the whitelist holds; 1: it does not; 3: cannot tell (Docker,\n"
"a table or the store unreadable); 2: usage.\n"
"  -q, --quiet       print no finding (the exit code says it)\n"
"  --format kv       one key=value record per finding (kind status family\n"
"                    chain container what change fix), then one\n"
"                    `result=holds|broken findings=N notes=N backend=B\n"
"                    layout=L` line\n"
"Options: --state-dir DIR, --backend=iptc|nft.\n")
APPLET("drop", drop, "CONTAINER...",
"Removes the rules of each CONTAINER from the table and from the store.\n"
"Works for containers Docker no longer knows (by a stored name or ID);\n"
"carries on over every name, and exits non-zero if one was unknown.\n"
"Options: --state-dir DIR, -v/--verbose, --backend=iptc|nft.\n")
APPLET("import", import, "[--docker-root DIR] [--dry-run] [--force]",
"Carries the original Go docker-fw's state over: for each container of\n"
"Docker's data root, its rules (containers/ID/extraRules.json: the\n"
"action and the address specs from Chain/JumpTo and the aliases, a\n"
"container given by ID resolved to its name), its add-two-ways hosts\n"
"entries (customHosts.json) and its save-hostconfig (backupHostConfig.\n"
"json). The rules are checked as add checks them, then stored and\n"
"applied in one run. What cannot be carried over (an alias naming a\n"
"container that no longer exists, a filter the backend refuses, the\n"
"original's hard-coded 172.17.42.1...) is listed with its file and rule,\n"
"and nothing is imported unless --force leaves those out; a rule that is\n"
"not what the original writes (malformed, an unknown Chain/JumpTo)\n"
"stops the import even then. The original's files are only read.\n"
"  --docker-root DIR  Docker's data root (default /var/lib/docker)\n"
"  --dry-run   print the rules as `ls` lines (and the hostconfig lines\n"
"              as # comments), change nothing\n"
"  --force     import what can be carried over, leave the rest out\n"
"Options: --state-dir DIR, -v/--verbose, --backend=iptc|nft.\n")
APPLET("init", init, "[--dry-run] [--network NAME]... [--to-host open|closed]",
"Makes what the whitelist relies on true, again at any time (idempotent),\n"
"and says what it changed: docker-fw's chains DFW-FORWARD (from\n"
"DOCKER-USER) and DFW-INPUT (from INPUT), the jumps first (Docker's\n"
"FORWARD -j DOCKER-USER too), the FORWARD policy DROP, bridge netfilter\n"
"on (net.bridge.bridge-nf-call-ip[6]tables), and for each bridge network\n"
"(all when none is named) Docker's catch-all `-o BRIDGE -j DOCKER`\n"
"removed, traffic between its containers and from them to the host\n"
"ended in DROP (open host services with add-input). The networks and\n"
"the choice are kept in the store: replay, start, add and watch\n"
"re-assert them. Run it again after a network is created.\n"
"  --dry-run   print the changes, change nothing; exit 1 if there are any\n"
"  --to-host open|closed  container -> host traffic left to the host's\n"
"              INPUT (open, Docker's behaviour) or dropped (closed, the\n"
"              default); kept until said again\n"
"Options: --state-dir DIR, --backend=iptc|nft (default: where Docker's\n"
"chains are).\n")
APPLET("ls", ls, "[CONTAINER...]",
"Prints every stored rule as `ACTION CONTAINER RULE OPTIONS`, sorted by\n"
"container name, rules in the order they were added. Works for stopped\n"
"containers.\n"
"Options: --state-dir DIR.\n")
APPLET("replay", replay, "[--dry-run] [CONTAINER...]",
"Re-applies the stored rules of each CONTAINER (and of the containers\n"
"whose rules name it) with the addresses Docker gives now, changing\n"
"only what differs, in one commit. Rules of stopped containers leave the\n"
"table. Without names: every stored container, and rules of containers\n"
"no longer stored are removed.\n"
"  --dry-run   print the changes, change nothing; exit 1 if there are any\n"
"Options: --state-dir DIR, -v/--verbose, --backend=iptc|nft.\n")
APPLET("save-hostconfig", save_hostconfig, "CONTAINER...",
"Stores, with CONTAINER's rules, the parts of its configuration that\n"
"decide its networking and dependencies: published ports as Docker\n"
"assigned them, links, network mode, volumes-from, extra hosts, DNS,\n"
"capabilities, privileged, restart policy, binds. start compares them\n"
"before starting the container again, and saves them after. The\n"
"container must be running.\n"
"Options: --state-dir DIR.\n")
APPLET("start", start, "[--dry-run] [--paused [--unpause]] [--pull-deps] [--force] CONTAINER...",
"Starts the containers in dependency order (links, volumes-from,\n"
"--network container:X; ties in the order given), printing the order,\n"
"then restores their hosts entries and replays their rules (and the\n"
"rules naming them) in one commit, and saves their configuration.\n"
"Containers already running or paused keep their state.\n"
"  --dry-run     print the order only; touches nothing\n"
"  --paused      pause each container as soon as it starts, so nothing\n"
"                runs before its rules are in place (they stay paused)\n"
"  --unpause     with --paused: unpause them once their rules and hosts\n"
"                entries are in place (else they stay paused; exit 3\n"
"                names a container that cannot be unpaused)\n"
"  --pull-deps   dependencies not named join the start (else an error)\n"
"  --force       start even when the configuration differs from the\n"
"                saved one (else: the difference is shown, exit 1)\n"
"Options: --state-dir DIR, -v/--verbose, --backend=iptc|nft.\n")
APPLET("watch", watch, "[--once] [--syslog] [--window MS]",
"Keeps the table in line with the store as Docker starts and stops\n"
"containers, by itself: follows Docker's events (GET /events). A\n"
"container that starts, restarts, is unpaused or connects to a network:\n"
"its rules and the rules naming it follow its new addresses (and hosts\n"
"entries are restored). One that dies, stops, is removed or disconnects:\n"
"its rules (and those naming it) leave the table at once, as its address\n"
"may go to the next container; the store is kept. A network created:\n"
"init. Events within the burst window make one run. When it starts, and\n"
"whenever the stream ends (dockerd restarts), it reconnects with backoff\n"
"and runs init and a full replay. One line per action on stderr.\n"
"Signals: SIGTERM and SIGINT end it (exit 0) between runs; SIGHUP reads\n"
"the store again (init and a full replay).\n"
"  --once       init and a full replay, then exit (for boot scripts)\n"
"  --syslog     log to syslog (daemon facility) instead of stderr\n"
"  --window MS  the burst window, 1 to 10000 ms (default 200)\n"
"Options: --state-dir DIR, -v/--verbose (the changes on stdout),\n"
"--backend=iptc|nft.\n")
/* clang-format on */
