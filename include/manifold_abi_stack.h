/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Control segment ABI, the stack: addresses, routes, neighbours, UDP sockets (bind, receive, send).
 * Included by manifold_abi.h; ops are numbered from MF_OP_STACK_FIRST upward, densely.
 */
#ifndef MANIFOLD_ABI_STACK_H
#define MANIFOLD_ABI_STACK_H

#endif
