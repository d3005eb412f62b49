/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The action registry: one ops table per action file, indexed by enum mf_action_type.
 * Validation messages list the known actions from here.
 */
#include <stdio.h>
#include <string.h>

#include "pol_internal.h"

static const struct mf_action_ops *const registry[MF_ACTION_MAX] = {
	[MF_ACTION_REDIRECT] = &mf_action_redirect,
	[MF_ACTION_REPLICATE] = &mf_action_replicate,
	[MF_ACTION_DELIVER] = &mf_action_deliver,
	[MF_ACTION_DROP] = &mf_action_drop,
	[MF_ACTION_SPLIT] = &mf_action_split,
	[MF_ACTION_AGGREGATE] = &mf_action_aggregate,
};

const struct mf_action_ops *
mf_action_find(uint8_t type)
{
	return type < MF_ACTION_MAX ? registry[type] : NULL;
}

const char *
mf_action_names(void)
{
	static char names[128];
	size_t off = 0;
	unsigned int i;

	if (names[0] != '\0')
		return names;
	for (i = 0; i < MF_ACTION_MAX; i++) {
		if (registry[i] == NULL)
			continue;
		off += (size_t)snprintf(names + off, sizeof(names) - off, "%s%u (%s)",
					off ? ", " : "", i, registry[i]->name);
		if (off >= sizeof(names))
			break;
	}
	return names;
}
