// The C enums libmanifold_ctl exports (mf_ctl_layout.c), by group name: what the layout and
// encoding tests hold the TypeScript constants against.
import { native } from '../../ffi/bindings.js';

/** Every member of the C enum group, name -> value. */
export function cEnum(group: string): Map<string, number> {
  const n = native();
  const out = new Map<string, number>();
  const v = new BigInt64Array(1);
  for (let i = 0; ; i++) {
    const name = n.enumMember(group, i, v);
    if (name === null) return out;
    out.set(name, Number(v[0]));
  }
}
