// The one door to the Rust side: the generated command wrappers, with their
// `{status, data | error}` results turned into values or thrown `IpcError`s.
import { commands, events, type CommandError, type SyncEvent, type VaultUpdating } from "./bindings";
import { plural } from "./format";

export class IpcError extends Error {
  code: string;
  constructor(e: CommandError) {
    super(e.message);
    this.code = e.code;
  }
}

type Res<T> = { status: "ok"; data: T } | { status: "error"; error: CommandError };

export async function call<T>(p: Promise<Res<T>>): Promise<T> {
  const r = await p;
  if (r.status === "error") throw new IpcError(r.error);
  return r.data;
}

/** One line for a person, whatever was thrown. */
export function messageOf(e: unknown): string {
  if (e instanceof Error) return e.message.split("\n")[0];
  if (typeof e === "string") return e.split("\n")[0];
  return "something went wrong";
}

export function codeOf(e: unknown): string | undefined {
  return e instanceof IpcError ? e.code : undefined;
}

export { commands };

/** Calls `handler` with each payload of `event` until the returned function is called. */
function listenTo<T>(event: { listen: (cb: (e: { payload: T }) => void) => Promise<() => void> }, handler: (e: T) => void) {
  let stop: (() => void) | null = null;
  let gone = false;
  event
    .listen((e) => handler(e.payload))
    .then((unlisten) => (gone ? unlisten() : (stop = unlisten)))
    .catch(() => undefined);
  return () => {
    gone = true;
    stop?.();
  };
}

/** Calls `handler` with each background sync event until the returned function is called. */
export function onSyncEvent(handler: (e: SyncEvent) => void): () => void {
  return listenTo(events.syncEvent, handler);
}

/** Calls `handler` when the vault being unlocked turns out to need a schema update (a vault an
 *  older version made), with how many leads it holds; until the returned function is called. */
export function onVaultUpdating(handler: (e: VaultUpdating) => void): () => void {
  return listenTo(events.vaultUpdating, handler);
}

/** "3 new leads from Meta — Ada's Bakery": what a finished pull brought, or null. */
export function arrivalsOf(e: SyncEvent): string | null {
  if (e.kind !== "finished" || e.new === 0 || isCrm(e.connection.provider)) return null;
  return `${plural(e.new, "new lead", "new leads")} from ${e.connection.label}`;
}

/** CRMs are sent leads; the other providers are where leads come from. */
export const isCrm = (provider: string) => ["hubspot", "pipedrive", "salesforce"].includes(provider);
