// What a change still on its way says: "Saving…", and once it has taken longer than a change
// takes (a write waits up to 10 s for another program's import to let go of the vault) why it
// is waiting, so a pending change never looks like one that was ignored.
import { useEffect, useState } from "react";

/** After this long a change is waiting for the vault, not being written. */
export const SLOW_MS = 1000;

export const SAVING = "Saving…";
export const WAITING = "Saving… the vault is busy with another program (an import, say): waiting for it.";

/** The hint while `active`, or null. */
export function useWaitHint(active: boolean): string | null {
  const [slow, setSlow] = useState(false);
  useEffect(() => {
    setSlow(false);
    if (!active) return;
    const t = setTimeout(() => setSlow(true), SLOW_MS);
    return () => clearTimeout(t);
  }, [active]);
  if (!active) return null;
  return slow ? WAITING : SAVING;
}
