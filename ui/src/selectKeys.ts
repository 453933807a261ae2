// Drop-downs whose choice is saved at once (a lead's status, a bulk change): a letter typed on
// one while it is closed would pick the first option starting with it ("w": won) and save it.
// Their value changes by the mouse or through their opened list only.
import type { KeyboardEvent } from "react";

/** `onKeyDown` for such a drop-down: a letter or digit typed on it does nothing (but `j` and
 *  `k`, which go on to the inbox and move through the list, and `J` and `K`, Shift's, which
 *  tick as they move there). */
export function noTypeAhead(e: KeyboardEvent<HTMLSelectElement>) {
  const typed = e.key.length === 1 && e.key !== " " && !e.altKey && !e.ctrlKey && !e.metaKey;
  if (typed && !["j", "k", "J", "K"].includes(e.key)) e.preventDefault();
}
