/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Control segment ABI, policies: add, update, remove, list, get, stats.
 * Included by manifold_abi.h; ops are numbered from MF_OP_POLICY_FIRST upward, densely.
 */
#ifndef MANIFOLD_ABI_POLICY_H
#define MANIFOLD_ABI_POLICY_H

#endif
