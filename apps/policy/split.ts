// The split action's parameters: checks of the JSON form, and its wire form (the `flags` and
// `param` of struct mf_policy_action; the MF_SPLIT_* bits of include/manifold_abi_policy.h).
import type { SplitAction } from './types.js';

export const SPLIT_MODES = ['ipfrag', 'datagram', 'framed'] as const;
export const SPLIT_KEYS = ['type', 'mode', 'mtu', 'maxPayload', 'header', 'prefix', 'oversize'];
export const SPLIT_MIN_MTU = 576;
export const SPLIT_MIN_PAYLOAD = 16;
export const SPLIT_MAX_PAYLOAD = 65507;
/** bytes of the datagram-mode header: message id u32, index u16, count u16 (big-endian) */
export const SPLIT_HEADER_LEN = 8;

const F = { ipfrag: 1, datagram: 2, framed: 3, header: 0x04, prefix32: 0x08, oversizeDrop: 0x10 } as const;
const MODE_OF: Record<number, SplitAction['mode']> = { 1: 'ipfrag', 2: 'datagram', 3: 'framed' };

/** Problems of a split action at `where` (actions[i]) in a chain of `n` actions. */
export function splitProblems(a: Record<string, unknown>, where: string, i: number, n: number, proto: number | undefined): string[] {
  const out: string[] = [];
  if (!SPLIT_MODES.includes(a.mode as SplitAction['mode'])) out.push(`${where}.mode: must be "ipfrag", "datagram" or "framed", not ${JSON.stringify(a.mode)}`);
  const mp = a.maxPayload;
  if (a.mode === 'ipfrag') {
    const mtu = a.mtu;
    if (!(typeof mtu === 'number' && Number.isInteger(mtu) && mtu >= SPLIT_MIN_MTU && mtu <= 65535)) {
      out.push(`${where}.mtu: ipfrag needs an integer MTU ${SPLIT_MIN_MTU}..65535 (bytes of IPv4 packet), not ${JSON.stringify(mtu)}`);
    }
    if (mp !== undefined || a.header !== undefined) out.push(`${where}: ipfrag takes "mtu", not maxPayload or header`);
  } else if (a.mtu !== undefined) {
    out.push(`${where}.mtu: only mode "ipfrag" takes an MTU; datagram and framed take maxPayload`);
  } else if (!(typeof mp === 'number' && Number.isInteger(mp) && mp >= SPLIT_MIN_PAYLOAD && mp <= SPLIT_MAX_PAYLOAD)) {
    out.push(`${where}.maxPayload: must be an integer ${SPLIT_MIN_PAYLOAD}..${SPLIT_MAX_PAYLOAD} (bytes of UDP payload per datagram), not ${JSON.stringify(mp)}`);
  }
  if (a.header !== undefined && typeof a.header !== 'boolean') out.push(`${where}.header: must be true or false`);
  if (a.header === true && a.mode !== 'datagram') out.push(`${where}.header: only mode "datagram" takes a header`);
  if (a.prefix !== undefined && a.prefix !== 'u16' && a.prefix !== 'u32') out.push(`${where}.prefix: must be "u16" or "u32"`);
  if (a.oversize !== undefined && a.oversize !== 'fragment' && a.oversize !== 'drop') out.push(`${where}.oversize: must be "fragment" or "drop"`);
  if ((a.prefix !== undefined || a.oversize !== undefined) && a.mode !== 'framed') out.push(`${where}: prefix and oversize are options of mode "framed"`);
  if (i === n - 1) out.push(`${where}: split sends nothing itself; a redirect or replicate must follow it`);
  if (proto !== 17) out.push(`match.protocol: actions[${i}] (split) cuts UDP datagrams, so the match must say "protocol": "udp"`);
  return out;
}

/** struct mf_policy_action's flags and param for a split action. */
export function splitWire(a: SplitAction): { flags: number; param: number } {
  let flags: number = F[a.mode];
  if (a.header === true) flags |= F.header;
  if (a.prefix === 'u32') flags |= F.prefix32;
  if (a.oversize === 'drop') flags |= F.oversizeDrop;
  return { flags, param: (a.mode === 'ipfrag' ? a.mtu : a.maxPayload) ?? 0 };
}

/** The JSON form back from flags and param (what the core holds). */
export function splitFromWire(flags: number, param: number): SplitAction {
  const mode = MODE_OF[flags & 3] ?? 'datagram';
  const a: SplitAction = mode === 'ipfrag' ? { type: 'split', mode, mtu: param } : { type: 'split', mode, maxPayload: param };
  if (flags & F.header) a.header = true;
  if (mode === 'framed') {
    a.prefix = flags & F.prefix32 ? 'u32' : 'u16';
    a.oversize = flags & F.oversizeDrop ? 'drop' : 'fragment';
  }
  return a;
}
