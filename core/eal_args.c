/* SPDX-License-Identifier: BSD-3-Clause
 *
 * EAL argv from the configuration:
 *
 *   manifold-core -l LIST --file-prefix manifold-NAME
 *                 [--no-huge -m MB --no-shconf]     without hugepages
 *                 [--no-pci]                         unless a port is a PCI address
 *                 (--vdev DEVARGS | -a DEVARGS)...   one per --port, in port order
 *                 --log-level=N | --log-level=lib.eal:notice --log-level=lib.telemetry:error
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "eal_args.h"

static int
add(struct mf_eal_args *ea, const char *fmt, ...)
{
	size_t room = sizeof(ea->store) - ea->used;
	va_list ap;
	int n;

	if (ea->argc == MF_EAL_MAX_ARGS)
		return -ENOSPC;
	va_start(ap, fmt);
	n = vsnprintf(ea->store + ea->used, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= room)
		return -ENOSPC;
	ea->argv[ea->argc++] = ea->store + ea->used;
	ea->argv[ea->argc] = NULL;
	ea->used += (size_t)n + 1;
	return 0;
}

int
mf_eal_args_build(struct mf_eal_args *ea, const struct mf_config *cfg, int hugepages)
{
	unsigned int i, n_pci = 0;
	int rc = 0;

	memset(ea, 0, sizeof(*ea));
	rc |= add(ea, "manifold-core");
	rc |= add(ea, cfg->lcores_mapped ? "--lcores" : "-l");
	rc |= add(ea, "%s", cfg->lcores);
	/* Always a prefix of our own, so instances and testpmd run side by side. */
	rc |= add(ea, "--file-prefix");
	rc |= add(ea, "manifold-%s", cfg->name);
	if (!hugepages) {
		/* Without hugepages no secondary process can share our memory anyway, so keep
		 * no shared config on disk. --no-shconf, because --in-memory is refused next to
		 * --no-huge (which implies --legacy-mem) by DPDK 22.11. */
		rc |= add(ea, "--no-huge");
		rc |= add(ea, "-m");
		rc |= add(ea, "%u", cfg->mem_mb);
		rc |= add(ea, "--no-shconf");
	} else {
		/* One file per memseg list, not per page: a vhost-user peer (virtio-user ports)
		 * maps our memory region by region and takes at most 8 regions. */
		rc |= add(ea, "--single-file-segments");
	}
	for (i = 0; i < cfg->n_ports; i++)
		n_pci += cfg->port[i].is_pci;
	if (n_pci == 0)
		rc |= add(ea, "--no-pci");
	for (i = 0; i < cfg->n_ports; i++) {
		rc |= add(ea, cfg->port[i].is_pci ? "-a" : "--vdev");
		rc |= add(ea, "%s", cfg->port[i].devargs);
	}
	if (cfg->log_level > 0)
		rc |= add(ea, "--log-level=%d", cfg->log_level);
	else {
		/* EAL chats at info level, and telemetry warns on every start that it has no
		 * legacy socket: keep EAL's notices and telemetry's errors. */
		rc |= add(ea, "--log-level=lib.eal:notice");
		rc |= add(ea, "--log-level=lib.telemetry:error");
	}
	return rc ? -ENOSPC : 0;
}
