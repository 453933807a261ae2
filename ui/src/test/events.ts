// The app's events, for tests: what `bindings.events` offers, and a way to send one as the
// Rust side would. Use in a bindings mock:
//   vi.mock("../bindings", async () => ({ commands, events: (await import("../test/events")).events }));
import type { SyncEvent, VaultUpdating } from "../bindings";

/** One event's listeners, and a way to send it to them. */
function event<T>() {
  type Listener = (e: { payload: T }) => void;
  const listeners = new Set<Listener>();
  return {
    listen: (cb: Listener) => {
      listeners.add(cb);
      return Promise.resolve(() => void listeners.delete(cb));
    },
    /** Sends `payload` to every listener; how many listened. */
    emit: (payload: T) => {
      listeners.forEach((cb) => cb({ payload }));
      return listeners.size;
    },
  };
}

export const events = { syncEvent: event<SyncEvent>(), vaultUpdating: event<VaultUpdating>() };

/** Sends a sync event to every listener; how many listened. */
export const emitSync = (payload: SyncEvent): number => events.syncEvent.emit(payload);
