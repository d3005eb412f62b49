/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Control segment ABI, diagnostics: lcores, trace, capture, telemetry-facing reads.
 * Included by manifold_abi.h; ops are numbered from MF_OP_DIAG_FIRST upward, densely.
 */
#ifndef MANIFOLD_ABI_DIAG_H
#define MANIFOLD_ABI_DIAG_H

#endif
