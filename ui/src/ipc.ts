// The one door to the Rust side: the generated command wrappers, with their
// `{status, data | error}` results turned into values or thrown `IpcError`s.
import { commands, type CommandError } from "./bindings";

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
