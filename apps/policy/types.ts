// A policy in its canonical JSON form. This type is the schema: validatePolicy() checks a
// parsed JSON value against it (validate.ts), docs/policies.md shows it with examples, and
// ffi/policies.ts encodes it for the core.

/** IP protocol by name, or its number (0..255). */
export type Protocol = 'udp' | 'tcp' | 'icmp' | number;

/** Which packets a policy takes. Every field is optional: absent means any. */
export interface PolicyMatch {
  /** Ingress port, by name ("p0") or index. */
  inPort?: string | number;
  /** IP protocol; a rewrite action (redirect, replicate) needs "udp". */
  protocol?: Protocol;
  /** Source address, "198.18.0.0/24" or one host "198.18.0.5". */
  src?: string;
  /** Source UDP/TCP port, 1..65535 (needs protocol udp or tcp). */
  srcPort?: number;
  /** Destination address, "198.18.0.1" or "198.18.0.0/16". */
  dst?: string;
  /** Destination UDP/TCP port, 1..65535. With dst a single host and a protocol, the policy
   * is an exact service address and is found through a hash. */
  dstPort?: number;
}

/** Where a rewritten packet or a copy goes. */
export interface Destination {
  /** Egress port, by name ("p1") or index. */
  port: string | number;
  /** Destination IPv4 address. */
  ip: string;
  /** Destination UDP port, 1..65535. */
  udpPort: number;
  /** Next-hop MAC "02:00:00:00:00:01"; absent: resolved by ARP (once the stack resolves
   * next hops; until then the core requires it). */
  mac?: string;
  /** Source IPv4 address; absent: the egress port's address. */
  srcIp?: string;
  /** Source UDP port 1..65535; absent: the packet's own source port. */
  srcPort?: number;
}

export interface RedirectAction {
  type: 'redirect';
  /** Rewrite the packet for this destination and send it there. Ends the chain. */
  destination: Destination;
}

export interface ReplicateAction {
  type: 'replicate';
  /** One copy per destination (the payload is shared, not copied). May be empty at first;
   * destinations are added and removed at run time. The packet goes on to the next action,
   * or is consumed when replicate ends the chain. */
  destinations: Destination[];
}

/** A UDP socket the app bound (ffi/stack.ts udp.bind): its address and port. */
export interface SocketRef {
  /** The address the socket is bound to; "0.0.0.0" (the default) for one bound to any. */
  ip?: string;
  /** Its UDP port, 1..65535. */
  port: number;
}

export interface DeliverAction {
  /** Queue each matched datagram on this socket of the app that adds the policy, as if the
   * stack had received it there; the app reads it with the socket's recv(). Needs lifetime
   * "client". Ends the chain. */
  type: 'deliver';
  socket: SocketRef;
}

export interface DropAction {
  /** Count (reason "action") and free. Ends the chain. */
  type: 'drop';
}

/** Split: cut one UDP datagram into several; the rest of the chain (redirect, replicate)
 * runs on every piece, so a split must be followed by one of them. */
export interface SplitAction {
  type: 'split';
  /** "ipfrag": IPv4 fragments of at most `mtu` bytes (any IPv4 host reassembles them);
   * "datagram": the payload in runs of at most maxPayload bytes (like UDP GSO);
   * "framed": the payload is length-prefixed messages, cut only between them. */
  mode: 'ipfrag' | 'datagram' | 'framed';
  /** ipfrag (only): the MTU, 576..65535 bytes of IPv4 packet. */
  mtu?: number;
  /** datagram, framed (required): largest UDP payload of a piece, 16..65507 bytes (with
   * header: header included). */
  maxPayload?: number;
  /** datagram: each piece starts with an 8-byte header (message id u32, index u16, count u16,
   * big-endian) that decodeSplitDatagrams() (apps/policy/decoders.ts) reassembles. Default false. */
  header?: boolean;
  /** framed: length prefix width, "u16" (default) or "u32", big-endian, not counting itself. */
  prefix?: 'u16' | 'u32';
  /** framed: a message larger than maxPayload is cut across datagrams of its own ("fragment",
   * default; the framed decoder joins it) or dropped ("drop"); counted as "oversize" either way. */
  oversize?: 'fragment' | 'drop';
}

/** Aggregate: pack UDP messages bound for the same destination (address and port) into fewer
 * datagrams, each message preceded by its length, as split "framed" reads them (so split
 * framed, or decodeAggregated() in apps/policy/decoders.ts, restores them). Each packed
 * datagram goes on down the chain (redirect, replicate); as the last action it is counted
 * "end_of_chain" and freed. */
export interface AggregateAction {
  type: 'aggregate';
  /** Largest UDP payload of a packed datagram, prefixes included, 16..65507 bytes. A datagram
   * is sent on when the next message would not fit. */
  maxBytes: number;
  /** Longest the oldest message of a datagram may wait, 1..10000000 microseconds. */
  maxDelayUs: number;
  /** Length prefix width, "u16" (default) or "u32", big-endian, not counting itself. */
  prefix?: 'u16' | 'u32';
  /** A message whose framed size is over maxBytes is counted "oversize" and goes framed in a
   * datagram of its own, after what was held for its destination ("send", default), or is
   * dropped ("drop"). */
  oversize?: 'send' | 'drop';
}

export type Action = RedirectAction | ReplicateAction | DeliverAction | DropAction | SplitAction | AggregateAction;
export type ActionType = Action['type'];

/** persistent: until removed. client: removed when the client that added it detaches or
 * dies (its process exits). */
export type Lifetime = 'persistent' | 'client';

export interface Policy {
  /** 1..31 characters of A-Z a-z 0-9 _ . : - ; unique in the core. */
  id: string;
  /** Higher wins when several policies match a packet; equal: the older wins. Default 0. */
  priority?: number;
  /** Default: every IPv4 packet. */
  match?: PolicyMatch;
  /** 1..8 actions, run in order; redirect, deliver and drop end the chain. */
  actions: Action[];
  /** Default "persistent". */
  lifetime?: Lifetime;
}

// ---- what the core reports ------------------------------------------------------------------

export interface DestinationStats {
  /** index of the action in the chain */
  action: number;
  port: number;
  ip: string;
  udpPort: number;
  /** copies (or redirected packets) handed to the egress port's tx queue */
  packets: number;
  bytes: number;
  dropped: { nombuf: number; txFull: number };
}

/** What an aggregate action did (struct mf_policy_agg_stats). */
export interface AggregateStats {
  /** messages taken in */
  messages: number;
  /** messages that left in packed datagrams (oversize ones sent alone included) */
  packed: number;
  /** datagrams sent on down the chain */
  datagrams: number;
  /** datagrams by why they were sent on: full, timer, update, evict, stop */
  flushes: Record<AggregateFlushReason, number>;
  /** messages over maxBytes (sent alone, or dropped) */
  oversize: number;
  /** longest the oldest message of a datagram was held, nanoseconds */
  holdMaxNs: number;
  /** datagrams by that hold time: holdHistogramUs[0] counts < 1 us, [k] counts
   * [2^(k-1), 2^k) us, the last one everything longer */
  holdHistogramUs: number[];
}

export interface PolicyStats {
  id: string;
  matched: { packets: number; bytes: number };
  sent: { packets: number; bytes: number };
  /** drops by reason (names from the core's list) */
  dropped: Record<string, number>;
  /** present once an aggregate action of the policy has taken a message */
  aggregate?: AggregateStats;
  destinations: DestinationStats[];
}

export interface PolicySummary {
  id: string;
  priority: number;
  lifetime: Lifetime;
  actions: number;
  destinations: number;
  /** client slot that owns it (lifetime client), or null */
  owner: number | null;
  matched: { packets: number; bytes: number };
}

/** Actions the core knows, in the order of enum mf_action_type (1..). */
export const ACTION_TYPES: readonly ActionType[] = ['redirect', 'replicate', 'deliver', 'drop', 'split', 'aggregate'];
/** Actions that end the chain. */
export const TERMINAL_ACTIONS: readonly ActionType[] = ['redirect', 'deliver', 'drop'];
export const PROTOCOLS: Readonly<Record<string, number>> = { udp: 17, tcp: 6, icmp: 1 };
export const MAX_ACTIONS = 8;
/** Hard bound of destinations in one policy (the core's limit is configurable up to it). */
export const MAX_DESTINATIONS = 4096;
/** Drop reasons in the order of the core's MF_POLICY_DROPS list. */
export const DROP_REASONS = ['action', 'nombuf', 'tx_full', 'not_udp', 'fragment',
  'no_next_hop', 'no_socket', 'end_of_chain', 'socket_full', 'bad_udp',
  'oversize', 'malformed', 'too_big'] as const;
/** Why aggregate sent a datagram on, in the order of the core's MF_AGG_FLUSHES list. */
export const AGGREGATE_FLUSH_REASONS = ['full', 'timer', 'update', 'evict', 'stop'] as const;
export type AggregateFlushReason = (typeof AGGREGATE_FLUSH_REASONS)[number];
