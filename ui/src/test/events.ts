// The app's events, for tests: what `bindings.events` offers, and a way to send one as the
// Rust side would. Use in a bindings mock:
//   vi.mock("../bindings", async () => ({ commands, events: (await import("../test/events")).events }));
import type { SyncEvent } from "../bindings";

type Listener = (e: { payload: SyncEvent }) => void;
const listeners = new Set<Listener>();

export const events = {
  syncEvent: {
    listen: (cb: Listener) => {
      listeners.add(cb);
      return Promise.resolve(() => void listeners.delete(cb));
    },
  },
};

/** Sends a sync event to every listener; how many listened. */
export function emitSync(payload: SyncEvent): number {
  listeners.forEach((cb) => cb({ payload }));
  return listeners.size;
}
