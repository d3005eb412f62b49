/* SPDX-License-Identifier: BSD-3-Clause
 *
 * What TypeScript mirrors, as the compiler sees it: sizes and offsets (sizeof/offsetof) of the
 * structures, members of the enumerations, the ABI constants, and the port counters (from the
 * MF_PORT_COUNTERS X-macro). test/unit/abi-layout.test.ts compares its koffi structs and enums
 * with these, and test_mf_ctl.c checks that each field list tiles its struct without a hole, so
 * a field added in C and forgotten here (or in TypeScript) fails a test.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "manifold_abi.h"
#include "mf_ctl.h"

/* ---- counters -------------------------------------------------------------------------- */

#define MF_CNT_NAME(e, name, help) name,
#define MF_CNT_HELP(e, name, help) help,
static const char *const counter_names[] = { MF_PORT_COUNTERS(MF_CNT_NAME) };
static const char *const counter_helps[] = { MF_PORT_COUNTERS(MF_CNT_HELP) };
#undef MF_CNT_NAME
#undef MF_CNT_HELP
_Static_assert(sizeof(counter_names) / sizeof(counter_names[0]) == MF_CNT_MAX, "counters");

MF_CTL_API int mf_ctl_counter_count(void)
{
	return MF_CNT_MAX;
}

MF_CTL_API const char *mf_ctl_counter_name(int i)
{
	return i >= 0 && i < MF_CNT_MAX ? counter_names[i] : NULL;
}

MF_CTL_API const char *mf_ctl_counter_help(int i)
{
	return i >= 0 && i < MF_CNT_MAX ? counter_helps[i] : NULL;
}

/* ---- struct layouts -------------------------------------------------------------------- */

struct field_desc {
	const char *name;
	uint32_t size;
	uint32_t offset;
};

struct struct_desc {
	const char *name;
	uint32_t size;
	const struct field_desc *fields;
	uint32_t n_fields;
};

#define F(S, f) { #f, (uint32_t)sizeof(((struct S *)0)->f), (uint32_t)offsetof(struct S, f) }

static const struct field_desc f_mf_request[] = {
	F(mf_request, ctx), F(mf_request, op), F(mf_request, flags), F(mf_request, in_len),
	F(mf_request, args),
};
static const struct field_desc f_mf_completion[] = {
	F(mf_completion, ctx), F(mf_completion, status), F(mf_completion, out_len),
	F(mf_completion, slot), F(mf_completion, op), F(mf_completion, reserved),
	F(mf_completion, reason),
};
static const struct field_desc f_mf_port_arg[] = {
	F(mf_port_arg, port),
};
static const struct field_desc f_mf_fwd_arg[] = {
	F(mf_fwd_arg, port), F(mf_fwd_arg, peer), F(mf_fwd_arg, mode), F(mf_fwd_arg, has_mac),
	F(mf_fwd_arg, peer_mac),
};
static const struct field_desc f_mf_version_info[] = {
	F(mf_version_info, abi_major), F(mf_version_info, abi_minor),
	F(mf_version_info, core_pid), F(mf_version_info, core_version),
	F(mf_version_info, dpdk_version), F(mf_version_info, name),
	F(mf_version_info, start_ns), F(mf_version_info, n_ports),
	F(mf_version_info, n_workers), F(mf_version_info, hugepages),
	F(mf_version_info, reserved),
};
static const struct field_desc f_mf_port_info[] = {
	F(mf_port_info, name), F(mf_port_info, driver), F(mf_port_info, dev),
	F(mf_port_info, port_id), F(mf_port_info, dpdk_port_id), F(mf_port_info, peer),
	F(mf_port_info, fwd_mode), F(mf_port_info, link_up), F(mf_port_info, link_speed_mbps),
	F(mf_port_info, mtu), F(mf_port_info, n_rxq), F(mf_port_info, n_txq),
	F(mf_port_info, mac), F(mf_port_info, peer_mac), F(mf_port_info, reserved),
};
static const struct field_desc f_mf_port_stats[] = {
	F(mf_port_stats, c),
};
static const struct field_desc f_mf_lcore_stats[] = {
	F(mf_lcore_stats, lcore_id), F(mf_lcore_stats, role), F(mf_lcore_stats, busy_cycles),
	F(mf_lcore_stats, total_cycles), F(mf_lcore_stats, packets), F(mf_lcore_stats, polls),
	F(mf_lcore_stats, idle_sleeps), F(mf_lcore_stats, reserved),
};
static const struct field_desc f_mf_stats[] = {
	F(mf_stats, seq), F(mf_stats, n_ports), F(mf_stats, n_lcores), F(mf_stats, n_counters),
	F(mf_stats, updated_ns), F(mf_stats, tsc_hz), F(mf_stats, reserved), F(mf_stats, port),
	F(mf_stats, lcore),
};
/* Diagnostics (manifold_abi_diag.h). */
static const struct field_desc f_mf_xstats_arg[] = {
	F(mf_xstats_arg, port), F(mf_xstats_arg, reserved), F(mf_xstats_arg, start),
};
static const struct field_desc f_mf_xstats_hdr[] = {
	F(mf_xstats_hdr, total), F(mf_xstats_hdr, start), F(mf_xstats_hdr, count),
	F(mf_xstats_hdr, reserved),
};
static const struct field_desc f_mf_xstat[] = {
	F(mf_xstat, name), F(mf_xstat, value),
};
static const struct field_desc f_mf_fwd_run_arg[] = {
	F(mf_fwd_run_arg, run), F(mf_fwd_run_arg, reserved),
};
static const struct field_desc f_mf_fwd_run_info[] = {
	F(mf_fwd_run_info, running), F(mf_fwd_run_info, was_running),
	F(mf_fwd_run_info, reserved), F(mf_fwd_run_info, changed_ns),
};
static const struct field_desc f_mf_capture_arg[] = {
	F(mf_capture_arg, port), F(mf_capture_arg, reserved), F(mf_capture_arg, count),
	F(mf_capture_arg, snaplen),
};
static const struct field_desc f_mf_capture_fetch_arg[] = {
	F(mf_capture_fetch_arg, offset), F(mf_capture_fetch_arg, reserved),
};
static const struct field_desc f_mf_capture_info[] = {
	F(mf_capture_info, state), F(mf_capture_info, full), F(mf_capture_info, port),
	F(mf_capture_info, count), F(mf_capture_info, captured), F(mf_capture_info, snaplen),
	F(mf_capture_info, used), F(mf_capture_info, offset), F(mf_capture_info, chunk_len),
	F(mf_capture_info, reserved), F(mf_capture_info, armed_ns),
};
static const struct field_desc f_mf_capture_rec[] = {
	F(mf_capture_rec, ts_ns), F(mf_capture_rec, orig_len), F(mf_capture_rec, cap_len),
};
static const struct field_desc f_mf_trace_arg[] = {
	F(mf_trace_arg, port), F(mf_trace_arg, reserved), F(mf_trace_arg, count),
};
static const struct field_desc f_mf_trace_fetch_arg[] = {
	F(mf_trace_fetch_arg, first), F(mf_trace_fetch_arg, reserved),
};
static const struct field_desc f_mf_trace_info[] = {
	F(mf_trace_info, state), F(mf_trace_info, reserved), F(mf_trace_info, port),
	F(mf_trace_info, count), F(mf_trace_info, recorded), F(mf_trace_info, first),
	F(mf_trace_info, n_recs), F(mf_trace_info, reserved2), F(mf_trace_info, armed_ns),
};
static const struct field_desc f_mf_trace_action[] = {
	F(mf_trace_action, type), F(mf_trace_action, reserved), F(mf_trace_action, port),
	F(mf_trace_action, n), F(mf_trace_action, ip), F(mf_trace_action, udp_port),
	F(mf_trace_action, reserved2),
};
static const struct field_desc f_mf_trace_rec[] = {
	F(mf_trace_rec, ts_ns), F(mf_trace_rec, port), F(mf_trace_rec, lcore),
	F(mf_trace_rec, len), F(mf_trace_rec, src), F(mf_trace_rec, dst), F(mf_trace_rec, sport),
	F(mf_trace_rec, dport), F(mf_trace_rec, proto), F(mf_trace_rec, matched),
	F(mf_trace_rec, fwd_mode), F(mf_trace_rec, n_actions), F(mf_trace_rec, policy),
	F(mf_trace_rec, drop_mask), F(mf_trace_rec, drops), F(mf_trace_rec, action),
};
/* The stack (manifold_abi_stack.h). */
static const struct field_desc f_mf_addr_arg[] = {
	F(mf_addr_arg, port), F(mf_addr_arg, prefix_len), F(mf_addr_arg, reserved),
	F(mf_addr_arg, ip),
};
static const struct field_desc f_mf_addr_info[] = {
	F(mf_addr_info, ip), F(mf_addr_info, gateway), F(mf_addr_info, port),
	F(mf_addr_info, prefix_len), F(mf_addr_info, reserved),
};
static const struct field_desc f_mf_gateway_arg[] = {
	F(mf_gateway_arg, port), F(mf_gateway_arg, reserved), F(mf_gateway_arg, gateway),
};
static const struct field_desc f_mf_neigh_info[] = {
	F(mf_neigh_info, ip), F(mf_neigh_info, port), F(mf_neigh_info, state),
	F(mf_neigh_info, reserved), F(mf_neigh_info, mac), F(mf_neigh_info, queued),
	F(mf_neigh_info, age_ms), F(mf_neigh_info, probes),
};
static const struct field_desc f_mf_udp_bind_arg[] = {
	F(mf_udp_bind_arg, ip), F(mf_udp_bind_arg, port), F(mf_udp_bind_arg, reserved),
};
static const struct field_desc f_mf_udp_bind_reply[] = {
	F(mf_udp_bind_reply, sock), F(mf_udp_bind_reply, reserved),
};
static const struct field_desc f_mf_udp_sock_arg[] = {
	F(mf_udp_sock_arg, sock), F(mf_udp_sock_arg, max),
};
static const struct field_desc f_mf_udp_batch_hdr[] = {
	F(mf_udp_batch_hdr, count), F(mf_udp_batch_hdr, pending),
};
static const struct field_desc f_mf_udp_rec[] = {
	F(mf_udp_rec, ip), F(mf_udp_rec, local_ip), F(mf_udp_rec, port),
	F(mf_udp_rec, local_port), F(mf_udp_rec, len),
};
static const struct field_desc f_mf_udp_send_reply[] = {
	F(mf_udp_send_reply, accepted), F(mf_udp_send_reply, no_route),
	F(mf_udp_send_reply, no_mbuf), F(mf_udp_send_reply, queue_full),
};
/* Policies (manifold_abi_policy.h). */
static const struct field_desc f_mf_policy_match[] = {
	F(mf_policy_match, src_ip), F(mf_policy_match, dst_ip), F(mf_policy_match, src_port),
	F(mf_policy_match, dst_port), F(mf_policy_match, in_port), F(mf_policy_match, src_prefix),
	F(mf_policy_match, dst_prefix), F(mf_policy_match, proto), F(mf_policy_match, reserved),
};
static const struct field_desc f_mf_policy_dest[] = {
	F(mf_policy_dest, ip), F(mf_policy_dest, src_ip), F(mf_policy_dest, port),
	F(mf_policy_dest, udp_port), F(mf_policy_dest, src_udp_port), F(mf_policy_dest, has_mac),
	F(mf_policy_dest, reserved), F(mf_policy_dest, mac), F(mf_policy_dest, reserved2),
};
static const struct field_desc f_mf_policy_action[] = {
	F(mf_policy_action, type), F(mf_policy_action, flags), F(mf_policy_action, param),
	F(mf_policy_action, n_dests), F(mf_policy_action, param32), F(mf_policy_action, reserved),
};
static const struct field_desc f_mf_policy_wire[] = {
	F(mf_policy_wire, id), F(mf_policy_wire, priority), F(mf_policy_wire, lifetime),
	F(mf_policy_wire, n_actions), F(mf_policy_wire, staged), F(mf_policy_wire, reserved),
	F(mf_policy_wire, match), F(mf_policy_wire, n_dests), F(mf_policy_wire, action),
};
static const struct field_desc f_mf_policy_id_arg[] = {
	F(mf_policy_id_arg, id), F(mf_policy_id_arg, first), F(mf_policy_id_arg, reserved),
};
static const struct field_desc f_mf_policy_dest_arg[] = {
	F(mf_policy_dest_arg, id), F(mf_policy_dest_arg, action), F(mf_policy_dest_arg, flags),
	F(mf_policy_dest_arg, reserved), F(mf_policy_dest_arg, count),
};
static const struct field_desc f_mf_policy_limits[] = {
	F(mf_policy_limits, max_policies), F(mf_policy_limits, max_dests),
	F(mf_policy_limits, n_policies), F(mf_policy_limits, reserved),
};
static const struct field_desc f_mf_policy_list_hdr[] = {
	F(mf_policy_list_hdr, total), F(mf_policy_list_hdr, count),
};
static const struct field_desc f_mf_policy_info[] = {
	F(mf_policy_info, id), F(mf_policy_info, priority), F(mf_policy_info, lifetime),
	F(mf_policy_info, n_actions), F(mf_policy_info, staged), F(mf_policy_info, reserved),
	F(mf_policy_info, n_dests), F(mf_policy_info, owner), F(mf_policy_info, matched_packets),
	F(mf_policy_info, matched_bytes),
};
static const struct field_desc f_mf_policy_stats[] = {
	F(mf_policy_stats, matched_packets), F(mf_policy_stats, matched_bytes),
	F(mf_policy_stats, sent_packets), F(mf_policy_stats, sent_bytes), F(mf_policy_stats, drop),
	F(mf_policy_stats, n_dests), F(mf_policy_stats, first), F(mf_policy_stats, count),
	F(mf_policy_stats, reserved), F(mf_policy_stats, agg),
};
static const struct field_desc f_mf_policy_agg_stats[] = {
	F(mf_policy_agg_stats, messages), F(mf_policy_agg_stats, packed),
	F(mf_policy_agg_stats, datagrams), F(mf_policy_agg_stats, flush),
	F(mf_policy_agg_stats, oversize), F(mf_policy_agg_stats, hold_max_ns),
	F(mf_policy_agg_stats, hold_hist),
};
static const struct field_desc f_mf_policy_dest_stats[] = {
	F(mf_policy_dest_stats, ip), F(mf_policy_dest_stats, port),
	F(mf_policy_dest_stats, udp_port), F(mf_policy_dest_stats, action),
	F(mf_policy_dest_stats, reserved), F(mf_policy_dest_stats, packets),
	F(mf_policy_dest_stats, bytes), F(mf_policy_dest_stats, drop_nombuf),
	F(mf_policy_dest_stats, drop_tx_full),
};
/* Aggregate sends (manifold_abi_send.h). */
static const struct field_desc f_mf_send_arg[] = {
	F(mf_send_arg, batch), F(mf_send_arg, flags), F(mf_send_arg, timing),
	F(mf_send_arg, reserved), F(mf_send_arg, total), F(mf_send_arg, reserved2),
	F(mf_send_arg, start_ns), F(mf_send_arg, end_ns), F(mf_send_arg, interval_ns),
};
static const struct field_desc f_mf_send_chunk[] = {
	F(mf_send_chunk, n_msgs), F(mf_send_chunk, n_dests), F(mf_send_chunk, reserved),
};
static const struct field_desc f_mf_send_dest[] = {
	F(mf_send_dest, ip), F(mf_send_dest, src_ip), F(mf_send_dest, udp_port),
	F(mf_send_dest, src_udp_port), F(mf_send_dest, kind), F(mf_send_dest, has_mac),
	F(mf_send_dest, mac), F(mf_send_dest, policy), F(mf_send_dest, reserved),
};
static const struct field_desc f_mf_send_msg[] = {
	F(mf_send_msg, time), F(mf_send_msg, frame), F(mf_send_msg, dest), F(mf_send_msg, len),
	F(mf_send_msg, frame_type), F(mf_send_msg, flags), F(mf_send_msg, reserved),
};
static const struct field_desc f_mf_send_reply[] = {
	F(mf_send_reply, batch), F(mf_send_reply, n_msgs), F(mf_send_reply, n_dests),
	F(mf_send_reply, skipped),
};
static const struct field_desc f_mf_send_reap_arg[] = {
	F(mf_send_reap_arg, batch), F(mf_send_reap_arg, max),
};
static const struct field_desc f_mf_send_reap_hdr[] = {
	F(mf_send_reap_hdr, count), F(mf_send_reap_hdr, pending),
};
static const struct field_desc f_mf_send_report[] = {
	F(mf_send_report, batch), F(mf_send_report, n_msgs), F(mf_send_report, sent),
	F(mf_send_report, late), F(mf_send_report, drop), F(mf_send_report, first_tx_ns),
	F(mf_send_report, last_tx_ns), F(mf_send_report, late_p50_ns),
	F(mf_send_report, late_p99_ns), F(mf_send_report, late_max_ns),
	F(mf_send_report, n_frames), F(mf_send_report, frames_dropped),
};
static const struct field_desc f_mf_send_frame_out[] = {
	F(mf_send_frame_out, frame), F(mf_send_frame_out, type), F(mf_send_frame_out, outcome),
	F(mf_send_frame_out, n_msgs),
};
static const struct field_desc f_mf_lateness[] = {
	F(mf_lateness, lcore_id), F(mf_lateness, reserved), F(mf_lateness, count),
	F(mf_lateness, sum_ns), F(mf_lateness, max_ns), F(mf_lateness, bucket),
};
static const struct field_desc f_mf_lateness_hdr[] = {
	F(mf_lateness_hdr, count), F(mf_lateness_hdr, reserved),
};
#undef F

#define S(s) { #s, (uint32_t)sizeof(struct s), f_##s, sizeof(f_##s) / sizeof(f_##s[0]) }
static const struct struct_desc structs[] = {
	S(mf_request), S(mf_completion), S(mf_port_arg), S(mf_fwd_arg), S(mf_version_info),
	S(mf_port_info), S(mf_port_stats), S(mf_lcore_stats), S(mf_stats),
	S(mf_xstats_arg), S(mf_xstats_hdr), S(mf_xstat), S(mf_fwd_run_arg), S(mf_fwd_run_info),
	S(mf_capture_arg), S(mf_capture_fetch_arg), S(mf_capture_info), S(mf_capture_rec),
	S(mf_trace_arg), S(mf_trace_fetch_arg), S(mf_trace_info), S(mf_trace_action),
	S(mf_trace_rec),
	S(mf_addr_arg), S(mf_addr_info), S(mf_gateway_arg), S(mf_neigh_info), S(mf_udp_bind_arg),
	S(mf_udp_bind_reply), S(mf_udp_sock_arg), S(mf_udp_batch_hdr), S(mf_udp_rec),
	S(mf_udp_send_reply),
	S(mf_policy_match), S(mf_policy_dest), S(mf_policy_action), S(mf_policy_wire),
	S(mf_policy_id_arg), S(mf_policy_dest_arg), S(mf_policy_limits), S(mf_policy_list_hdr),
	S(mf_policy_info), S(mf_policy_stats), S(mf_policy_dest_stats), S(mf_policy_agg_stats),
	S(mf_send_arg), S(mf_send_chunk), S(mf_send_dest), S(mf_send_msg), S(mf_send_reply),
	S(mf_send_reap_arg), S(mf_send_reap_hdr), S(mf_send_report), S(mf_send_frame_out),
	S(mf_lateness), S(mf_lateness_hdr),
};
#undef S
#define N_STRUCTS (sizeof(structs) / sizeof(structs[0]))

static const struct struct_desc *find_struct(const char *name)
{
	size_t i;

	if (name == NULL)
		return NULL;
	if (strncmp(name, "struct ", 7) == 0)
		name += 7;
	for (i = 0; i < N_STRUCTS; i++)
		if (strcmp(structs[i].name, name) == 0)
			return &structs[i];
	return NULL;
}

MF_CTL_API int mf_ctl_layout(const char *struct_name, const char *field, uint32_t *size,
			     uint32_t *offset)
{
	const struct struct_desc *s = find_struct(struct_name);
	uint32_t i;

	if (s == NULL)
		return -ENOENT;
	if (field == NULL || field[0] == '\0') {
		if (size)
			*size = s->size;
		if (offset)
			*offset = 0;
		return 0;
	}
	for (i = 0; i < s->n_fields; i++) {
		if (strcmp(s->fields[i].name, field) == 0) {
			if (size)
				*size = s->fields[i].size;
			if (offset)
				*offset = s->fields[i].offset;
			return 0;
		}
	}
	return -ENOENT;
}

MF_CTL_API const char *mf_ctl_layout_field(const char *struct_name, uint32_t i)
{
	const struct struct_desc *s = find_struct(struct_name);

	return s && i < s->n_fields ? s->fields[i].name : NULL;
}

MF_CTL_API const char *mf_ctl_layout_struct(uint32_t i)
{
	return i < N_STRUCTS ? structs[i].name : NULL;
}

/* ---- enumerations and constants -------------------------------------------------------- */

struct enum_member {
	const char *name;
	int64_t value;
};

#define E(x) { #x, (int64_t)(x) }
static const struct enum_member e_mf_op[] = {
	E(MF_OP_NOP), E(MF_OP_VERSION), E(MF_OP_PORT_LIST), E(MF_OP_PORT_INFO),
	E(MF_OP_STATS_SYNC), E(MF_OP_STATS_CLEAR), E(MF_OP_FWD_SET), E(MF_OP_SHUTDOWN),
	E(MF_OP_MAX),
};
static const struct enum_member e_mf_fwd_mode[] = {
	E(MF_FWD_IO), E(MF_FWD_MAC), E(MF_FWD_STACK), E(MF_FWD_DROP), E(MF_FWD_MAX),
};
static const struct enum_member e_mf_seg_state[] = {
	E(MF_SEG_STARTING), E(MF_SEG_RUNNING), E(MF_SEG_STOPPING),
};
static const struct enum_member e_mf_client_state[] = {
	E(MF_CLIENT_FREE), E(MF_CLIENT_ATTACHED), E(MF_CLIENT_DETACHING),
};
static const struct enum_member e_mf_lcore_role[] = {
	E(MF_LCORE_UNUSED), E(MF_LCORE_CONTROL), E(MF_LCORE_WORKER), E(MF_LCORE_BOTH),
};
#define MF_CNT_MEMBER(e, name, help) E(MF_CNT_##e),
static const struct enum_member e_mf_port_counter[] = {
	MF_PORT_COUNTERS(MF_CNT_MEMBER) E(MF_CNT_MAX),
};
#undef MF_CNT_MEMBER
static const struct enum_member e_const[] = {
	E(MF_ABI_MAGIC), E(MF_ABI_MAJOR), E(MF_ABI_MINOR), E(MF_CACHE_LINE),
	E(MF_MAX_CLIENTS), E(MF_MAX_PORTS), E(MF_MAX_LCORES), E(MF_RING_LOG2),
	E(MF_RING_SIZE), E(MF_ARENA_SLOT_SIZE), E(MF_NAME_LEN), E(MF_REASON_LEN),
	E(MF_INSTANCE_NAME_MAX), E(MF_PORT_ALL), E(MF_PORT_NONE), E(MF_PORT_KEEP), E(MF_CNT_MAX),
	E(MF_CNT_CAPACITY), E(MF_BULK_SLOTS), E(MF_BULK_SLOT_SIZE), E(MF_REQ_BULK),
};
#undef E

struct enum_group {
	const char *name;
	const struct enum_member *members;
	uint32_t n;
};

#define G(g) { #g, e_##g, sizeof(e_##g) / sizeof(e_##g[0]) }
static const struct enum_member e_mf_op_diag[] = {
	{ "MF_OP_XSTATS", MF_OP_XSTATS }, { "MF_OP_FWD_RUN", MF_OP_FWD_RUN },
	{ "MF_OP_CAPTURE_ARM", MF_OP_CAPTURE_ARM }, { "MF_OP_CAPTURE_FETCH", MF_OP_CAPTURE_FETCH },
	{ "MF_OP_TRACE_ARM", MF_OP_TRACE_ARM }, { "MF_OP_TRACE_FETCH", MF_OP_TRACE_FETCH },
	{ "MF_OP_DIAG_MAX", MF_OP_DIAG_MAX },
	{ "MF_FWD_RUN_STOP", MF_FWD_RUN_STOP }, { "MF_FWD_RUN_START", MF_FWD_RUN_START },
	{ "MF_FWD_RUN_QUERY", MF_FWD_RUN_QUERY },
	{ "MF_CAPTURE_IDLE", MF_CAPTURE_IDLE }, { "MF_CAPTURE_ARMED", MF_CAPTURE_ARMED },
	{ "MF_CAPTURE_DONE", MF_CAPTURE_DONE },
	{ "MF_XSTAT_NAME_LEN", MF_XSTAT_NAME_LEN },
	{ "MF_CAPTURE_BUF_SIZE", MF_CAPTURE_BUF_SIZE },
	{ "MF_CAPTURE_SNAPLEN_MAX", MF_CAPTURE_SNAPLEN_MAX },
	{ "MF_CAPTURE_COUNT_MAX", MF_CAPTURE_COUNT_MAX },
};
_Static_assert(sizeof(e_mf_op_diag) / sizeof(e_mf_op_diag[0]) ==
	       MF_OP_DIAG_MAX - MF_OP_DIAG_FIRST + 1 + 3 + 3 + 4, "mf_op_diag list incomplete");

static const struct enum_member e_mf_op_stack[] = {
	{ "MF_OP_ADDR_ADD", MF_OP_ADDR_ADD }, { "MF_OP_ADDR_LIST", MF_OP_ADDR_LIST },
	{ "MF_OP_GATEWAY_SET", MF_OP_GATEWAY_SET }, { "MF_OP_NEIGH_LIST", MF_OP_NEIGH_LIST },
	{ "MF_OP_UDP_BIND", MF_OP_UDP_BIND }, { "MF_OP_UDP_CLOSE", MF_OP_UDP_CLOSE },
	{ "MF_OP_UDP_RECV", MF_OP_UDP_RECV }, { "MF_OP_UDP_SEND", MF_OP_UDP_SEND },
	{ "MF_OP_STACK_LAST", MF_OP_STACK_LAST },
	{ "MF_NEIGH_FREE", MF_NEIGH_FREE }, { "MF_NEIGH_INCOMPLETE", MF_NEIGH_INCOMPLETE },
	{ "MF_NEIGH_REACHABLE", MF_NEIGH_REACHABLE }, { "MF_NEIGH_STALE", MF_NEIGH_STALE },
	{ "MF_NEIGH_FAILED", MF_NEIGH_FAILED },
	{ "MF_STACK_MAX_ADDRS", MF_STACK_MAX_ADDRS }, { "MF_UDP_MAX_SOCKETS", MF_UDP_MAX_SOCKETS },
	{ "MF_UDP_MAX_PAYLOAD", MF_UDP_MAX_PAYLOAD },
};
_Static_assert(sizeof(e_mf_op_stack) / sizeof(e_mf_op_stack[0]) ==
	       MF_OP_STACK_LAST - MF_OP_STACK_FIRST + 1 + 5 + 3, "mf_op_stack list incomplete");

#define E(x) { #x, (int64_t)(x) }
static const struct enum_member e_mf_op_policy[] = {
	E(MF_OP_POLICY_ADD), E(MF_OP_POLICY_UPDATE), E(MF_OP_POLICY_REMOVE), E(MF_OP_POLICY_LIST),
	E(MF_OP_POLICY_GET), E(MF_OP_POLICY_STATS), E(MF_OP_POLICY_DEST_ADD),
	E(MF_OP_POLICY_DEST_DEL), E(MF_OP_POLICY_LIMITS), E(MF_OP_POLICY_END),
	E(MF_ACTION_REDIRECT), E(MF_ACTION_REPLICATE), E(MF_ACTION_DELIVER), E(MF_ACTION_DROP),
	E(MF_ACTION_SPLIT), E(MF_ACTION_AGGREGATE),
	E(MF_ACTION_MAX), E(MF_POLICY_ID_LEN), E(MF_POLICY_MAX_ACTIONS), E(MF_POLICY_ANY_PORT),
	E(MF_POLICY_NO_OWNER), E(MF_POLICY_DEST_COMMIT), E(MF_POLICY_DROP_CAPACITY),
	E(MF_POLICY_SLOT_DESTS),
	E(MF_AGG_PREFIX32), E(MF_AGG_OVERSIZE_DROP), E(MF_AGG_FLUSH_CAPACITY),
	E(MF_AGG_HOLD_BUCKETS),
};
_Static_assert(sizeof(e_mf_op_policy) / sizeof(e_mf_op_policy[0]) ==
	       MF_OP_POLICY_END - MF_OP_POLICY_FIRST + 1 + 7 + 7 + 4, "mf_op_policy list incomplete");
#define MF_POLICY_DROP_MEMBER(e, name, help) { name, MF_POLICY_DROP_##e },
static const struct enum_member e_mf_policy_drop[] = {
	MF_POLICY_DROPS(MF_POLICY_DROP_MEMBER)
};
#undef MF_POLICY_DROP_MEMBER
#define MF_AGG_FLUSH_MEMBER(e, name, help) { name, MF_AGG_FLUSH_##e },
static const struct enum_member e_mf_agg_flush[] = {
	MF_AGG_FLUSHES(MF_AGG_FLUSH_MEMBER)
};
#undef MF_AGG_FLUSH_MEMBER
#define MF_SEND_DROP_E(e, name, help) E(MF_SEND_DROP_##e),
static const struct enum_member e_mf_send_op[] = {
	E(MF_OP_SEND_SUBMIT), E(MF_OP_SEND_REAP), E(MF_OP_SEND_ABORT), E(MF_OP_SEND_LATENESS),
	E(MF_OP_SEND_END),
	E(MF_SEND_ASAP), E(MF_SEND_AT), E(MF_SEND_DELAY), E(MF_SEND_SEQ), E(MF_SEND_WINDOW),
	E(MF_SEND_TIMING_MAX),
	E(MF_SEND_COMMIT), E(MF_SEND_BEST_EFFORT), E(MF_SEND_FRAMES),
	E(MF_FRAME_NONE), E(MF_FRAME_I), E(MF_FRAME_P), E(MF_FRAME_B), E(MF_MSG_FRAME_END),
	E(MF_SEND_DEST_ADDR), E(MF_SEND_DEST_POLICY),
	MF_SEND_DROPS(MF_SEND_DROP_E)
	E(MF_SEND_DROP_MAX), E(MF_SEND_DROP_CAPACITY),
	E(MF_SEND_MAX_DESTS), E(MF_SEND_MAX_MSGS), E(MF_SEND_MAX_FRAMES), E(MF_SEND_MAX_PAYLOAD),
	E(MF_SEND_MAX_BATCHES), E(MF_LAT_BUCKETS), E(MF_FRAME_SENT), E(MF_FRAME_DROPPED),
};
#undef MF_SEND_DROP_E
_Static_assert(sizeof(e_mf_send_op) / sizeof(e_mf_send_op[0]) ==
	       MF_OP_SEND_END - MF_OP_SEND_FIRST + 1 + 6 + 3 + 5 + 2 + MF_SEND_DROP_MAX + 2 + 8,
	       "mf_send_op list incomplete");
/* The drop reasons' names, in enum order ("deadline", ...), for reports. */
#define MF_SEND_DROP_MEMBER(e, name, help) { name, MF_SEND_DROP_##e },
static const struct enum_member e_mf_send_drop[] = {
	MF_SEND_DROPS(MF_SEND_DROP_MEMBER)
};
#undef MF_SEND_DROP_MEMBER
#undef E

static const struct enum_group groups[] = {
	G(mf_op_policy), G(mf_policy_drop), G(mf_agg_flush),
	G(mf_send_op), G(mf_send_drop),
	G(mf_op_stack),
	G(mf_op_diag),
	G(mf_op), G(mf_fwd_mode), G(mf_seg_state), G(mf_client_state), G(mf_lcore_role),
	G(mf_port_counter), G(const),
};
#undef G

/* The hand-written lists above must name every member: MF_OP_MAX and MF_FWD_MAX count them. */
_Static_assert(sizeof(e_mf_op) / sizeof(e_mf_op[0]) == MF_OP_MAX + 1, "mf_op list incomplete");
_Static_assert(sizeof(e_mf_fwd_mode) / sizeof(e_mf_fwd_mode[0]) == MF_FWD_MAX + 1,
	       "mf_fwd_mode list incomplete");

static const struct enum_group *find_group(const char *name)
{
	size_t i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
		if (strcmp(groups[i].name, name) == 0)
			return &groups[i];
	return NULL;
}

MF_CTL_API const char *mf_ctl_enum_member(const char *group, uint32_t i, int64_t *value)
{
	const struct enum_group *g = find_group(group);

	if (g == NULL || i >= g->n)
		return NULL;
	if (value)
		*value = g->members[i].value;
	return g->members[i].name;
}

MF_CTL_API int mf_ctl_enum_value(const char *group, const char *member, int64_t *value)
{
	const struct enum_group *g = find_group(group);
	uint32_t i;

	if (g == NULL || member == NULL)
		return -ENOENT;
	for (i = 0; i < g->n; i++) {
		if (strcmp(g->members[i].name, member) == 0) {
			if (value)
				*value = g->members[i].value;
			return 0;
		}
	}
	return -ENOENT;
}
