// Notes being written, per lead, for as long as the window is open: a note typed for one lead
// stays with it while other leads are looked at, and a note still saving when the user moves
// on is not lost: the save goes on without its pane, and should it fail (the vault busy, say)
// the note goes back to its lead's box and the inbox is told, to say so wherever the user is.
import type { LeadChange, LeadDetail } from "../bindings";
import { call, commands, messageOf } from "../ipc";

export type NoteDraft = {
  /** What is in the lead's note box. */
  text: string;
  /** The text is being saved as a note. */
  saving: boolean;
  /** Why the last save of it failed, until that was seen: the pane that said it was left, or
   *  the inbox's message about it dismissed (the text stays in the box either way). */
  error: string | null;
};

const EMPTY: NoteDraft = { text: "", saving: false, error: null };
const NO_CHANGE: LeadChange = { status: null, owner: null, add_tags: [], remove_tags: [], note: null };

export class NoteDrafts {
  private entries = new Map<string, NoteDraft>();
  private listeners = new Set<() => void>();
  /** The panes showing a lead now, told of its notes saved. */
  private panes = new Map<string, (d: LeadDetail) => void>();
  /** A note saved for a lead whose pane is gone (the list shows the lead as it now is). */
  onSavedAway: (d: LeadDetail) => void = () => {};
  /** A note that failed to save after its lead's pane was closed or another lead opened. */
  onFailedAway: (id: string, name: string, message: string) => void = () => {};

  get(id: string): NoteDraft {
    return this.entries.get(id) ?? EMPTY;
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  };

  /** The pane showing lead `id` wants its saved notes; until the returned function is called. */
  attach(id: string, shown: (d: LeadDetail) => void): () => void {
    this.panes.set(id, shown);
    return () => {
      if (this.panes.get(id) === shown) this.panes.delete(id);
    };
  }

  setText(id: string, text: string) {
    const e = this.get(id);
    if (e.saving) return;
    this.put(id, { ...e, text });
  }

  /** Saves lead `id`'s box as a note (`name` says whose, should it fail unseen). */
  async save(id: string, name: string): Promise<boolean> {
    const e = this.get(id);
    if (e.saving || e.text.trim() === "") return false;
    const text = e.text;
    this.put(id, { text, saving: true, error: null });
    try {
      const d = await call(commands.updateLead(id, { ...NO_CHANGE, note: text }));
      this.put(id, EMPTY);
      const pane = this.panes.get(id);
      if (pane) pane(d);
      else this.onSavedAway(d);
      return true;
    } catch (err) {
      const message = messageOf(err);
      this.put(id, { text, saving: false, error: message });
      if (!this.panes.has(id)) this.onFailedAway(id, name, message);
      return false;
    }
  }

  /** The failure was seen: the pane that said it was left, or the message about it dismissed. */
  clearError(id: string) {
    const e = this.get(id);
    if (e.error !== null) this.put(id, { ...e, error: null });
  }

  private put(id: string, e: NoteDraft) {
    if (e.text === "" && !e.saving && e.error === null) this.entries.delete(id);
    else this.entries.set(id, e);
    this.listeners.forEach((l) => l());
  }
}
