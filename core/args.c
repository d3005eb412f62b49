/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Parse manifold-core's own options (see mf_args_usage). Every error names what is wrong and
 * what would be right, in the form "<wrong>; <right>"; main prefixes "manifold-core: error: ".
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "fwd_conf.h"

#define MF_MAX_LCORE_ID 1023 /* bound of the lcore list parser, well above RTE_MAX_LCORE */
#define MF_EAL_MAX_LCORE 128 /* RTE_MAX_LCORE of Debian's DPDK: lcore ids 0..127 */

static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* [A-Za-z0-9_-]{1,max} */
static int
valid_name(const char *s, size_t max)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > max)
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-')
			return 0;
	return 1;
}

/* --opt is one of two words: *out = (val is `yes`); `hint` says what each means. */
static int
parse_choice(const char *opt, const char *val, const char *no, const char *yes, const char *hint,
	     bool *out, char *err, size_t errlen)
{
	if (strcmp(val, yes) == 0)
		*out = true;
	else if (strcmp(val, no) == 0)
		*out = false;
	else
		return fail(err, errlen, "%s '%s' is not valid; use %s", opt, val, hint);
	return 0;
}

static int
parse_uint(const char *opt, const char *s, unsigned long min, unsigned long max,
	   unsigned int *out, char *err, size_t errlen)
{
	unsigned long v;
	char *end;

	errno = 0;
	if (!isdigit((unsigned char)s[0]))
		goto bad;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		goto bad;
	*out = (unsigned int)v;
	return 0;
bad:
	return fail(err, errlen, "%s '%s' is not valid; use an integer from %lu to %lu",
		    opt, s, min, max);
}

int
mf_mac_parse(const char *s, uint8_t mac[6])
{
	unsigned int i;

	if (strlen(s) != 17)
		return -EINVAL;
	for (i = 0; i < 6; i++) {
		const char *b = s + 3 * i;
		char hex[3] = { b[0], b[1], 0 };

		if (!isxdigit((unsigned char)b[0]) || !isxdigit((unsigned char)b[1]))
			return -EINVAL;
		if (i < 5 && b[2] != ':')
			return -EINVAL;
		mac[i] = (uint8_t)strtoul(hex, NULL, 16);
	}
	return 0;
}

/* testpmd's default peer address: 02:00:00:00:00:<peer port index>. */
void
mf_mac_default(uint16_t peer, uint8_t mac[6])
{
	static const uint8_t base[6] = { 0x02, 0, 0, 0, 0, 0 };

	memcpy(mac, base, 6);
	mac[5] = (uint8_t)peer;
}

/* "0000:00:04.0" or "00:04.0", optionally followed by ",key=value...". Fills the normalized
 * name DPDK gives the device (lower-case, with domain). */
static int
pci_addr(const char *s, char *dev, size_t devlen)
{
	unsigned int dom = 0, bus, slot, fn;
	int n = 0;

	if (sscanf(s, "%4x:%2x:%2x.%1u%n", &dom, &bus, &slot, &fn, &n) == 4 &&
	    n == 12 && (s[n] == '\0' || s[n] == ','))
		goto ok;
	dom = 0;
	n = 0;
	if (sscanf(s, "%2x:%2x.%1u%n", &bus, &slot, &fn, &n) == 3 && n == 7 &&
	    (s[n] == '\0' || s[n] == ','))
		goto ok;
	return 0;
ok:
	if (fn > 7 || slot > 0x1f)
		return 0;
	snprintf(dev, devlen, "%04x:%02x:%02x.%u", dom, bus, slot, fn);
	return 1;
}

static int
opt_port(struct mf_config *cfg, const char *v, char *err, size_t errlen)
{
	struct mf_port_conf *p;
	const char *eq = strchr(v, '=');
	const char *devargs, *comma;
	size_t nlen, dlen, i;

	if (cfg->n_ports == MF_MAX_PORTS)
		return fail(err, errlen, "too many --port options; at most %d ports are supported",
			    MF_MAX_PORTS);
	if (eq == NULL)
		return fail(err, errlen, "--port '%s' has no '='; use --port NAME=DEVARGS, "
			    "e.g. --port p0=net_null0 or --port p0=0000:00:04.0", v);
	p = &cfg->port[cfg->n_ports];
	nlen = (size_t)(eq - v);
	if (nlen == 0 || nlen >= sizeof(p->name))
		return fail(err, errlen, "--port '%s': the port name must have 1 to %zu "
			    "characters; use --port NAME=DEVARGS with NAME from A-Z a-z 0-9 _ -",
			    v, sizeof(p->name) - 1);
	memcpy(p->name, v, nlen);
	p->name[nlen] = '\0';
	if (!valid_name(p->name, sizeof(p->name) - 1))
		return fail(err, errlen, "port name '%s' is not valid; use 1 to %zu characters "
			    "from A-Z a-z 0-9 _ -", p->name, sizeof(p->name) - 1);
	if (strcmp(p->name, "none") == 0)
		return fail(err, errlen, "port name 'none' is reserved (--fwd NAME=MODE:none means "
			    "no peer); give the port another name, e.g. p0");
	devargs = eq + 1;
	dlen = strlen(devargs);
	if (dlen == 0 || dlen >= sizeof(p->devargs))
		return fail(err, errlen, "--port %s: DEVARGS must have 1 to %zu characters; use a "
			    "vdev such as net_null0 or a PCI address such as 0000:00:04.0",
			    p->name, sizeof(p->devargs) - 1);
	for (i = 0; i < dlen; i++)
		if (isspace((unsigned char)devargs[i]))
			return fail(err, errlen, "--port %s: DEVARGS '%s' contains white space; "
				    "write it as one word, e.g. net_tap0,iface=mf0",
				    p->name, devargs);
	strcpy(p->devargs, devargs);
	p->is_pci = pci_addr(devargs, p->dev, sizeof(p->dev));
	if (!p->is_pci) {
		comma = strchr(devargs, ',');
		nlen = comma ? (size_t)(comma - devargs) : dlen;
		if (nlen == 0 || nlen >= sizeof(p->dev))
			return fail(err, errlen, "--port %s: device name in '%s' must have 1 to "
				    "%zu characters before the first ','; e.g. net_tap0,iface=mf0",
				    p->name, devargs, sizeof(p->dev) - 1);
		memcpy(p->dev, devargs, nlen);
		p->dev[nlen] = '\0';
	}
	for (i = 0; i < cfg->n_ports; i++) {
		if (strcmp(cfg->port[i].name, p->name) == 0)
			return fail(err, errlen, "port name '%s' is used twice; give each --port "
				    "a unique NAME", p->name);
		if (strcmp(cfg->port[i].dev, p->dev) == 0)
			return fail(err, errlen, "device '%s' is given to ports '%s' and '%s'; "
				    "give each port its own device (e.g. net_null0, net_null1)",
				    p->dev, cfg->port[i].name, p->name);
	}
	cfg->n_ports++;
	return 0;
}

/* An EAL lcore list as "0-1" or "0,2,4-5", where an lcore may name the CPU it runs on: "0@1,1@1"
 * (both lcores on CPU 1, so a client can have CPU 0 to itself). No EAL (...)@ groups. */
static int
opt_lcores(struct mf_config *cfg, const char *v, unsigned int n_cpus, char *err, size_t errlen)
{
	static unsigned char seen[MF_MAX_LCORE_ID + 1];
	const char *s = v;
	unsigned int n = 0, id;

	memset(seen, 0, sizeof(seen));
	if (strlen(v) >= sizeof(cfg->lcores))
		goto bad;
	while (*s != '\0') {
		unsigned long a, b;
		char *end;

		if (!isdigit((unsigned char)*s))
			goto bad;
		a = strtoul(s, &end, 10);
		b = a;
		if (*end == '-') {
			if (!isdigit((unsigned char)end[1]))
				goto bad;
			b = strtoul(end + 1, &end, 10);
		}
		if (a > b || b > MF_MAX_LCORE_ID)
			goto bad;
		if (*end == '@') {
			unsigned long cpu;

			if (a != b || !isdigit((unsigned char)end[1]))
				goto bad;
			if (a >= MF_EAL_MAX_LCORE)
				return fail(err, errlen, "--lcores '%s' names lcore %lu; DPDK numbers "
					    "lcores 0..%d", v, a, MF_EAL_MAX_LCORE - 1);
			cpu = strtoul(end + 1, &end, 10);
			if (cpu >= n_cpus)
				return fail(err, errlen, "--lcores '%s' puts lcore %lu on CPU %lu, which "
					    "does not exist; this machine has CPUs 0..%u", v, a, cpu,
					    n_cpus - 1);
			cfg->lcores_mapped = true;
		} else if (b >= n_cpus) {
			return fail(err, errlen, "--lcores '%s' names lcore %lu, which does not "
				    "exist; this machine has lcores 0..%u (or give it a CPU: %lu@0)",
				    v, b, n_cpus - 1, b);
		}
		for (id = (unsigned int)a; id <= b; id++) {
			if (seen[id])
				return fail(err, errlen, "--lcores '%s' lists lcore %u twice; list each "
					    "once", v, id);
			seen[id] = 1;
		}
		if (*end == ',' && end[1] != '\0')
			end++;
		else if (*end != '\0')
			goto bad;
		s = end;
	}
	for (id = 0; id <= MF_MAX_LCORE_ID; id++) {
		if (!seen[id])
			continue;
		if (n == MF_MAX_LCORES)
			return fail(err, errlen, "--lcores '%s' lists more than %d lcores; list at "
				    "most %d", v, MF_MAX_LCORES, MF_MAX_LCORES);
		cfg->lcore_ids[n++] = id;
	}
	if (n == 0)
		goto bad;
	cfg->n_lcores = n;
	strcpy(cfg->lcores, v);
	return 0;
bad:
	return fail(err, errlen, "--lcores '%s' is not a valid lcore list; use ids and ranges "
		    "like 0-1 or 0,2,3, or lcores on CPUs like 0@1,1@1 (the first is the control "
		    "lcore)", v);
}

static int
port_index(const struct mf_config *cfg, const char *name)
{
	unsigned int i;

	for (i = 0; i < cfg->n_ports; i++)
		if (strcmp(cfg->port[i].name, name) == 0)
			return (int)i;
	return -1;
}

static void
port_names(const struct mf_config *cfg, char *buf, size_t len)
{
	unsigned int i;
	size_t off = 0;

	buf[0] = '\0';
	for (i = 0; i < cfg->n_ports && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? ", " : "",
					cfg->port[i].name);
	if (cfg->n_ports == 0)
		snprintf(buf, len, "(none)");
}

/* NAME=MODE[:PEER][@MAC], applied on top of the default topology. */
static int
apply_fwd(struct mf_config *cfg, const char *v, unsigned char *given, char *err, size_t errlen)
{
	char buf[MF_DEVARGS_LEN], names[MF_MAX_PORTS * MF_NAME_LEN];
	char *mode, *peer, *mac;
	struct mf_port_conf *p;
	int idx, m, pi;

	if (strlen(v) >= sizeof(buf))
		return fail(err, errlen, "--fwd '%.40s...' is too long; use --fwd "
			    "NAME=MODE[:PEER][@MAC]", v);
	strcpy(buf, v);
	mode = strchr(buf, '=');
	if (mode == NULL)
		return fail(err, errlen, "--fwd '%s' has no '='; use --fwd NAME=MODE[:PEER][@MAC], "
			    "e.g. --fwd p0=mac:p1@02:00:00:00:00:01", v);
	*mode++ = '\0';
	mac = strchr(mode, '@');
	if (mac != NULL)
		*mac++ = '\0';
	peer = strchr(mode, ':');
	if (peer != NULL)
		*peer++ = '\0';
	port_names(cfg, names, sizeof(names));
	idx = port_index(cfg, buf);
	if (idx < 0)
		return fail(err, errlen, "--fwd names port '%s', which no --port defines; defined "
			    "ports are %s", buf, names);
	if (given[idx])
		return fail(err, errlen, "--fwd for port '%s' is given twice; give one --fwd per "
			    "port", buf);
	given[idx] = 1;
	p = &cfg->port[idx];
	m = mf_fwd_mode_parse(mode);
	if (m < 0)
		return fail(err, errlen, "--fwd %s: mode '%s' is not known; use io, mac, stack or "
			    "drop", buf, mode);
	p->mode = (uint8_t)m;
	if (peer != NULL && strcmp(peer, "none") == 0) {
		p->peer = MF_PORT_NONE; /* io and mac drop, as drop_no_egress */
	} else if (peer != NULL) {
		pi = port_index(cfg, peer);
		if (pi < 0)
			return fail(err, errlen, "--fwd %s: peer '%s' is not a port; defined ports "
				    "are %s, or none for no peer", buf, peer, names);
		p->peer = (uint16_t)pi;
	}
	if (mac != NULL) {
		if (mf_mac_parse(mac, p->peer_mac) < 0)
			return fail(err, errlen, "--fwd %s: MAC '%s' is not valid; use six hex "
				    "bytes like 02:00:00:00:00:01", buf, mac);
		p->mac_explicit = true;
	}
	return 0;
}

int
mf_ipv4_parse(const char *s, uint32_t *ip)
{
	unsigned int i, v;
	uint32_t r = 0;

	for (i = 0; i < 4; i++) {
		if (!isdigit((unsigned char)*s))
			return -EINVAL;
		v = 0;
		while (isdigit((unsigned char)*s)) {
			v = v * 10 + (unsigned int)(*s++ - '0');
			if (v > 255)
				return -EINVAL;
		}
		r = (r << 8) | v;
		if (i < 3 && *s++ != '.')
			return -EINVAL;
	}
	if (*s != '\0')
		return -EINVAL;
	*ip = r;
	return 0;
}

/* --addr NAME=IP/PREFIX or --gateway NAME=IP, once every --port is known. */
static int
apply_addr(struct mf_config *cfg, const char *v, bool gateway, char *err, size_t errlen)
{
	const char *opt = gateway ? "--gateway" : "--addr";
	const char *form = gateway ? "NAME=IP, e.g. p0=198.18.0.254" :
				     "NAME=IP/PREFIX, e.g. p0=198.18.0.1/24";
	char buf[MF_DEVARGS_LEN], names[MF_MAX_PORTS * MF_NAME_LEN];
	struct mf_port_conf *p;
	char *ip, *len;
	unsigned int plen = 32;
	uint32_t a;
	int idx;

	if (strlen(v) >= sizeof(buf))
		return fail(err, errlen, "%s '%.40s...' is too long; use %s %s", opt, v, opt, form);
	strcpy(buf, v);
	ip = strchr(buf, '=');
	if (ip == NULL)
		return fail(err, errlen, "%s '%s' has no '='; use %s %s", opt, v, opt, form);
	*ip++ = '\0';
	port_names(cfg, names, sizeof(names));
	idx = port_index(cfg, buf);
	if (idx < 0)
		return fail(err, errlen, "%s names port '%s', which no --port defines; defined "
			    "ports are %s", opt, buf, names);
	p = &cfg->port[idx];
	len = strchr(ip, '/');
	if (len != NULL) {
		*len++ = '\0';
		if (gateway || parse_uint(opt, len, 1, 32, &plen, err, errlen) < 0)
			return fail(err, errlen, "%s %s: prefix '/%s' is not valid; use %s", opt,
				    v, len, form);
	} else if (!gateway) {
		return fail(err, errlen, "%s %s has no prefix length; use %s", opt, v, form);
	}
	if (mf_ipv4_parse(ip, &a) < 0 || a == 0 || a == 0xffffffffu)
		return fail(err, errlen, "%s %s: '%s' is not a unicast IPv4 address; use %s", opt,
			    v, ip, form);
	if (gateway) {
		if (p->gateway != 0)
			return fail(err, errlen, "--gateway for port '%s' is given twice; give one "
				    "per port", buf);
		p->gateway = a;
		return 0;
	}
	if (p->n_addrs == MF_STACK_MAX_ADDRS)
		return fail(err, errlen, "--addr: port '%s' has %d addresses already, the most "
			    "a port holds; drop one", buf, MF_STACK_MAX_ADDRS);
	p->addr[p->n_addrs].ip = a;
	p->addr[p->n_addrs].prefix_len = (uint8_t)plen;
	p->n_addrs++;
	return 0;
}

/* testpmd's default topology: 0<->1, 2<->3, ...; an odd last port forwards to itself. */
static void
default_topology(struct mf_config *cfg)
{
	unsigned int i, n = cfg->n_ports;

	for (i = 0; i < n; i++) {
		struct mf_port_conf *p = &cfg->port[i];

		p->mode = MF_FWD_IO;
		if (i % 2 == 0)
			p->peer = (uint16_t)(i + 1 < n ? i + 1 : i);
		else
			p->peer = (uint16_t)(i - 1);
		p->mac_explicit = false;
	}
}

enum opt_id { O_HELP, O_NAME, O_LCORES, O_HUGE, O_MEM, O_MBUFS, O_MBUF_DATA_ROOM, O_POLICY_MBUFS, O_PORT, O_FWD, O_BURST,
	      O_BACKOFF, O_STATS_MS, O_LOG_LEVEL, O_EXIT_WITH_PARENT, O_ADDR, O_GATEWAY,
	      O_WORKER_SCHED };

static const struct {
	const char *name;
	enum opt_id id;
	int has_value;
} opts[] = {
	{ "help", O_HELP, 0 },       { "name", O_NAME, 1 },     { "lcores", O_LCORES, 1 },
	{ "huge", O_HUGE, 1 },       { "mem", O_MEM, 1 },       { "mbufs", O_MBUFS, 1 },
	{ "port", O_PORT, 1 },       { "fwd", O_FWD, 1 },       { "burst", O_BURST, 1 },
	{ "backoff", O_BACKOFF, 1 }, { "stats-ms", O_STATS_MS, 1 },
	{ "log-level", O_LOG_LEVEL, 1 }, { "exit-with-parent", O_EXIT_WITH_PARENT, 0 },
	{ "addr", O_ADDR, 1 },       { "gateway", O_GATEWAY, 1 },
	{ "mbuf-data-room", O_MBUF_DATA_ROOM, 1 }, { "policy-mbufs", O_POLICY_MBUFS, 1 },
	{ "worker-sched", O_WORKER_SCHED, 1 },
};
#define MF_MAX_ADDR_OPTS (MF_MAX_PORTS * (MF_STACK_MAX_ADDRS + 1))
#define N_OPTS (sizeof(opts) / sizeof(opts[0]))

int
mf_args_parse(struct mf_config *cfg, int argc, char **argv, unsigned int n_cpus,
	      char *err, size_t errlen)
{
	const char *fwd[MF_MAX_PORTS], *addr[MF_MAX_ADDR_OPTS];
	bool addr_gw[MF_MAX_ADDR_OPTS];
	unsigned int n_addr = 0;
	unsigned char given[MF_MAX_PORTS] = { 0 };
	unsigned int n_fwd = 0, i, k, lvl;
	int a, rc;

	memset(cfg, 0, sizeof(*cfg));
	strcpy(cfg->name, MF_DEF_NAME);
	cfg->huge = MF_HUGE_AUTO;
	cfg->mem_mb = MF_DEF_MEM_MB;
	cfg->mbufs = MF_DEF_MBUFS;
	cfg->mbuf_data_room = MF_DEF_MBUF_DATA_ROOM;
	cfg->policy_mbufs = MF_DEF_POLICY_MBUFS;
	cfg->burst = MF_DEF_BURST;
	cfg->backoff = true;
	cfg->stats_ms = MF_DEF_STATS_MS;
	cfg->log_level = -1;
	if (n_cpus == 0)
		n_cpus = 1;
	err[0] = '\0';

	for (a = 1; a < argc; a++) {
		const char *arg = argv[a], *val = NULL, *eq;
		char key[32];
		size_t klen;

		if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0')
			return fail(err, errlen, "unexpected argument '%s'; options start with --, "
				    "see manifold-core --help", arg);
		eq = strchr(arg, '=');
		klen = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
		if (klen >= sizeof(key))
			klen = sizeof(key) - 1;
		memcpy(key, arg + 2, klen);
		key[klen] = '\0';
		for (k = 0; k < N_OPTS; k++)
			if (strcmp(key, opts[k].name) == 0)
				break;
		if (k == N_OPTS)
			return fail(err, errlen, "unknown option '%s'; see manifold-core --help "
				    "for the options", arg);
		if (opts[k].has_value) {
			if (eq != NULL)
				val = eq + 1;
			else if (a + 1 < argc)
				val = argv[++a];
			else
				return fail(err, errlen, "--%s needs a value; see manifold-core "
					    "--help", key);
		} else if (eq != NULL) {
			return fail(err, errlen, "--%s takes no value; write just --%s", key, key);
		}

		switch (opts[k].id) {
		case O_HELP:
			cfg->help = true;
			return 0;
		case O_NAME:
			if (!valid_name(val, MF_INSTANCE_NAME_MAX))
				return fail(err, errlen, "--name '%s' is not a valid instance "
					    "name; use 1 to %d characters from A-Z a-z 0-9 _ -",
					    val, MF_INSTANCE_NAME_MAX);
			strcpy(cfg->name, val);
			break;
		case O_LCORES:
			rc = opt_lcores(cfg, val, n_cpus, err, errlen);
			if (rc < 0)
				return rc;
			break;
		case O_HUGE:
			if (strcmp(val, "auto") == 0)
				cfg->huge = MF_HUGE_AUTO;
			else if (strcmp(val, "on") == 0)
				cfg->huge = MF_HUGE_ON;
			else if (strcmp(val, "off") == 0)
				cfg->huge = MF_HUGE_OFF;
			else
				return fail(err, errlen, "--huge '%s' is not valid; use auto, on "
					    "or off", val);
			break;
		case O_MEM:
			rc = parse_uint("--mem", val, 16, 1048576, &cfg->mem_mb, err, errlen);
			if (rc < 0)
				return rc;
			break;
		case O_MBUFS:
			rc = parse_uint("--mbufs", val, 1023, 16777215, &cfg->mbufs, err, errlen);
			if (rc < 0)
				return rc;
			break;
		case O_MBUF_DATA_ROOM:
			if (parse_uint("--mbuf-data-room", val, MF_MIN_MBUF_DATA_ROOM,
				       MF_MAX_MBUF_DATA_ROOM, &cfg->mbuf_data_room, err,
				       errlen) < 0)
				return fail(err, errlen, "--mbuf-data-room '%s' is not valid; use "
					    "bytes per mbuf from %u to %u, the %u-byte headroom "
					    "included (65535, the largest, leaves 65407 for the frame)", val,
					    MF_MIN_MBUF_DATA_ROOM, MF_MAX_MBUF_DATA_ROOM, MF_HEADROOM);
			break;
		case O_POLICY_MBUFS:
			rc = parse_uint("--policy-mbufs", val, MF_MIN_POLICY_MBUFS, 16777215,
					&cfg->policy_mbufs, err, errlen);
			if (rc < 0)
				return rc;
			break;
		case O_PORT:
			rc = opt_port(cfg, val, err, errlen);
			if (rc < 0)
				return rc;
			break;
		case O_FWD:
			if (n_fwd == MF_MAX_PORTS)
				return fail(err, errlen, "too many --fwd options; give at most one "
					    "per port (%d ports at most)", MF_MAX_PORTS);
			fwd[n_fwd++] = val;
			break;
		case O_BURST:
			rc = parse_uint("--burst", val, 1, MF_MAX_BURST, &cfg->burst, err, errlen);
			if (rc < 0)
				return rc;
			break;
		case O_BACKOFF:
			rc = parse_choice("--backoff", val, "off", "on", "on or off",
					  &cfg->backoff, err, errlen);
			if (rc < 0)
				return rc;
			break;
		case O_WORKER_SCHED:
			rc = parse_choice("--worker-sched", val, "other", "fifo",
					  "other (the default time-sharing scheduler) or fifo "
					  "(real-time SCHED_FIFO)", &cfg->worker_fifo, err, errlen);
			if (rc < 0)
				return rc;
			break;
		case O_ADDR:
		case O_GATEWAY:
			if (n_addr == MF_MAX_ADDR_OPTS)
				return fail(err, errlen, "too many --addr/--gateway options; give at "
					    "most %d addresses and one gateway per port",
					    MF_STACK_MAX_ADDRS);
			addr_gw[n_addr] = opts[k].id == O_GATEWAY;
			addr[n_addr++] = val;
			break;
		case O_EXIT_WITH_PARENT:
			cfg->exit_with_parent = true;
			break;
		case O_STATS_MS:
			rc = parse_uint("--stats-ms", val, 1, 3600000, &cfg->stats_ms, err, errlen);
			if (rc < 0)
				return rc;
			break;
		case O_LOG_LEVEL:
			rc = parse_uint("--log-level", val, 1, 8, &lvl, err, errlen);
			if (rc < 0)
				return rc;
			cfg->log_level = (int)lvl;
			break;
		}
	}

	if (cfg->n_lcores == 0) {
		rc = opt_lcores(cfg, n_cpus >= 2 ? "0-1" : "0", n_cpus, err, errlen);
		if (rc < 0)
			return rc;
	}
	default_topology(cfg);
	for (i = 0; i < n_fwd; i++) {
		rc = apply_fwd(cfg, fwd[i], given, err, errlen);
		if (rc < 0)
			return rc;
	}
	for (i = 0; i < n_addr; i++) {
		rc = apply_addr(cfg, addr[i], addr_gw[i], err, errlen);
		if (rc < 0)
			return rc;
	}
	for (i = 0; i < cfg->n_ports; i++)
		if (!cfg->port[i].mac_explicit)
			mf_mac_default(cfg->port[i].peer, cfg->port[i].peer_mac);
	return 0;
}

void
mf_args_usage(FILE *f)
{
	fprintf(f,
		"usage: manifold-core [--name NAME] [--lcores LIST] [--huge auto|on|off]\n"
		"         [--mem MB] [--mbufs N] [--mbuf-data-room BYTES] [--policy-mbufs N]\n"
		"         [--port NAME=DEVARGS]...\n"
		"         [--fwd NAME=MODE[:PEER][@MAC]]... [--burst N] [--backoff on|off]\n"
		"         [--worker-sched other|fifo]\n"
		"         [--exit-with-parent] [--addr NAME=IP/PREFIX]... [--gateway NAME=IP]...\n"
		"         [--stats-ms N] [--log-level N]\n"
		"\n"
		"  --name NAME     instance name, [A-Za-z0-9_-]{1,%d} (default %s); selects\n"
		"                  the control segment /dev/shm/manifold.NAME and the EAL\n"
		"                  file prefix manifold-NAME\n"
		"  --lcores LIST   EAL lcore list (default 0-1, or 0 on a one-CPU machine);\n"
		"                  the first is the control lcore, the others are workers;\n"
		"                  a single lcore does both; LCORE@CPU puts an lcore on a CPU\n"
		"                  (0@1,1@1: both on CPU 1, CPU 0 left to the application)\n"
		"  --huge MODE     auto: hugepages when enough are free and a hugetlbfs is\n"
		"                  mounted; on: require them; off: --no-huge --no-shconf\n"
		"                  (default auto)\n"
		"  --mem MB        memory without hugepages, and the least free hugepage\n"
		"                  memory that auto accepts (default %u)\n"
		"  --mbufs N       mbufs in the pool of each socket (default %u)\n"
		"  --mbuf-data-room BYTES\n"
		"                  bytes per port mbuf, the %u-byte headroom included, %u..%u\n"
		"                  (default %u); a frame longer than it arrives as a chain\n"
		"                  where the device can scatter, else is dropped by the device\n"
		"  --policy-mbufs N\n"
		"                  mbufs in each of the policy engine's pools (copies' headers,\n"
		"                  payload clones, small split pieces: at most 8191), %u..16777215\n"
		"                  (default %u); when they run dry a copy is dropped and\n"
		"                  counted as nombuf\n"
		"  --port NAME=DEVARGS\n"
		"                  a port, in index order: a vdev (net_null0, net_ring0,\n"
		"                  net_tap0,iface=mf0, net_af_packet0,iface=veth0, ...) or a\n"
		"                  PCI address (0000:00:04.0[,key=value]); at most %d\n"
		"  --fwd NAME=MODE[:PEER|:none][@MAC]\n"
		"                  what port NAME does with what it receives: io (send it\n"
		"                  unchanged out of PEER), mac (io, with source := PEER's\n"
		"                  MAC, destination := MAC, default 02:00:00:00:00:<peer>),\n"
		"                  stack (hand it to the stack) or drop; default: io, with\n"
		"                  testpmd's pairs 0<->1, 2<->3, an odd last port to itself;\n"
		"                  PEER none: no peer (io and mac drop, as drop_no_egress)\n"
		"  --addr NAME=IP/PREFIX\n"
		"                  an address of port NAME for the stack (several per port,\n"
		"                  at most %d), e.g. p0=198.18.0.1/24\n"
		"  --gateway NAME=IP\n"
		"                  the default gateway reached through port NAME\n"
		"  --burst N       rx/tx burst size, 1..%u (default %u)\n"
		"  --backoff on|off\n"
		"                  idle workers pause, then sleep up to 100 us (default on)\n"
		"  --worker-sched other|fifo\n"
		"                  fifo runs the workers SCHED_FIFO (priority 1): no ordinary\n"
		"                  process preempts them, for send timing; for isolated CPUs:\n"
		"                  real-time throttling stops a worker that spins for a second\n"
		"                  (kernel.sched_rt_runtime_us) (default other)\n"
		"  --stats-ms N    stats fold period in ms (default %u)\n"
		"  --log-level N   EAL log level 1..8 (default: EAL notices and worse)\n"
		"  --exit-with-parent\n"
		"                  stop as on SIGTERM when the process that started us dies\n"
		"                  (the appliance passes it, so a killed appliance leaves no core)\n"
		"  --help          this text\n",
		MF_INSTANCE_NAME_MAX, MF_DEF_NAME, MF_DEF_MEM_MB, MF_DEF_MBUFS, MF_HEADROOM,
		MF_MIN_MBUF_DATA_ROOM, MF_MAX_MBUF_DATA_ROOM, MF_DEF_MBUF_DATA_ROOM,
		MF_MIN_POLICY_MBUFS, MF_DEF_POLICY_MBUFS, MF_MAX_PORTS,
		MF_STACK_MAX_ADDRS, MF_MAX_BURST, MF_DEF_BURST, MF_DEF_STATS_MS);
}
