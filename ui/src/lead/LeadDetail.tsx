// One lead: contact, form answers, ad/campaign/form, timeline and notes; status, owner and
// tags can be changed, notes added. Every change lands in the timeline (the core does it).
import { Fragment, useEffect, useRef, useState, useSyncExternalStore, type ReactNode } from "react";
import type { Lead, LeadChange, LeadDetail, LeadStatus } from "../bindings";
import { call, commands, messageOf } from "../ipc";
import { STATUSES } from "../inbox/Inbox";
import { noTypeAhead } from "../selectKeys";
import { NoteDrafts } from "./noteDrafts";
import { useWaitHint } from "../useWaitHint";
import { localTime, sentence } from "../format";

const NO_CHANGE: LeadChange = { status: null, owner: null, add_tags: [], remove_tags: [], note: null };

type Props = {
  id: string;
  /** Changed when the lead may have changed elsewhere (a bulk change, a sync): it is loaded again. */
  version?: number;
  onClose: () => void;
  /** The lead as a change left it; called even after the pane closed (a change still saving
   *  then), so it must act on the list as it is when called, not as it was at this render. */
  onChanged: (lead: Lead) => void;
  /** The notes being written, per lead (the inbox keeps them while other leads are shown). */
  notes?: NoteDrafts;
  /** A change (status, owner, tag) failed after this pane was closed: which ("The status
   *  change to won"), whose (the lead's name) and why. */
  onFailedAway?: (id: string, what: string, name: string, why: string) => void;
  /** A change to this lead that failed after an earlier pane of it was left: said here, as a
   *  change of this pane's would be (a new one is said each time this changes). */
  failed?: { text: string } | null;
  /** A request for the focus (opened by keyboard, or Enter on its lead while it is open): the
   *  pane takes it (on its heading) once its lead is shown, each time this number changes to
   *  one not yet taken; 0 asks for nothing. */
  focusRequest?: number;
  /** The request was taken: the inbox drops it, so a later pane of the lead does not take it. */
  onFocusTaken?: () => void;
};

export function LeadDetailPane({ id, version = 0, onClose, onChanged, notes: shared, onFailedAway, failed, focusRequest = 0, onFocusTaken }: Props) {
  const [detail, setDetail] = useState<LeadDetail | null>(null);
  /** Why the last change failed; it stays when the lead is loaded again. */
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (failed) setError(failed.text);
  }, [failed]);
  /** Why the last load failed (the vault busy, say); gone once a load succeeds. */
  const [loadError, setLoadError] = useState<string | null>(null);
  const [own] = useState(() => new NoteDrafts());
  const notes = shared ?? own;
  const draft = useSyncExternalStore(notes.subscribe, () => notes.get(id));
  const [owner, setOwner] = useState("");
  const [tag, setTag] = useState("");
  /** A change is on its way: no second one (a double-click would add a note twice). */
  const [saving, setSaving] = useState(false);
  /** The status picked and not saved yet: shown in the drop-down meanwhile. */
  const [pendingStatus, setPendingStatus] = useState<LeadStatus | null>(null);
  const changeHint = useWaitHint(saving);
  const noteHint = useWaitHint(draft.saving);
  /** This pane is still shown: a change that fails later is told here, or else to the inbox. */
  const mounted = useRef(true);
  const noteForm = useRef<HTMLFormElement>(null);
  const latest = useRef({ onChanged, onFailedAway, name: id });
  latest.current = { onChanged, onFailedAway, name: detail ? nameOf(detail) : id };
  /** The owner the lead had when last loaded: the owner box follows the lead unless edited. */
  const loadedOwner = useRef("");
  const heading = useRef<HTMLHeadingElement>(null);
  /** The last request taken: a reload of the lead later does not take it again. */
  const focusTaken = useRef(0);
  const loaded = detail !== null;
  useEffect(() => {
    if (!loaded || focusRequest === 0 || focusRequest === focusTaken.current) return;
    focusTaken.current = focusRequest;
    heading.current?.focus();
    onFocusTaken?.();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [loaded, focusRequest]);
  /** When the lead shown last changed: an answer about an older state of it is not shown. */
  const shownAt = useRef(-Infinity);

  function show(d: LeadDetail) {
    const at = Date.parse(d.updated_at);
    if (at < shownAt.current) return;
    shownAt.current = at;
    setDetail(d);
    const was = loadedOwner.current;
    loadedOwner.current = d.owner ?? "";
    // A box still holding the old owner would send it back with "Save owner": it takes the
    // lead's owner; a name the user typed stays.
    setOwner((box) => (box === was ? loadedOwner.current : box));
  }

  useEffect(() => {
    mounted.current = true;
    // A note saved while this pane shows the lead (even one begun by an earlier pane of it).
    const detach = notes.attach(id, (d) => {
      show(d);
      latest.current.onChanged(toLead(d));
    });
    return () => {
      mounted.current = false;
      detach();
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [id, notes]);

  // A note that failed to save is told beside its box, which is brought into view.
  useEffect(() => {
    if (draft.error) noteForm.current?.scrollIntoView?.({ block: "nearest" });
  }, [draft.error]);

  useEffect(() => {
    let live = true;
    call(commands.getLead(id)).then(
      (d) => {
        if (!live) return;
        setLoadError(null);
        show(d);
      },
      (e) => live && setLoadError(messageOf(e)),
    );
    return () => {
      live = false;
    };
  }, [id, version]);

  async function change(c: Partial<LeadChange>) {
    if (saving) return false;
    setSaving(true);
    setError(null);
    if (c.status) setPendingStatus(c.status);
    try {
      const d = await call(commands.updateLead(id, { ...NO_CHANGE, ...c }));
      if (mounted.current) {
        show(d);
        if (c.owner !== undefined) setOwner(d.owner ?? "");
      }
      latest.current.onChanged(toLead(d));
      return true;
    } catch (e) {
      if (mounted.current) setError(messageOf(e));
      else latest.current.onFailedAway?.(id, describeChange(c), latest.current.name, messageOf(e));
      return false;
    } finally {
      if (mounted.current) {
        setSaving(false);
        setPendingStatus(null);
      }
    }
  }

  if (!detail)
    return (
      <aside className="detail">
        {(error ?? loadError) ? (
          <p className="error" role="alert">
            {sentence((error ?? loadError)!)}
          </p>
        ) : (
          <p className="muted">Loading…</p>
        )}
      </aside>
    );

  const ad: [string, string | null][] = [
    ["Campaign", detail.campaign_name ?? detail.campaign_id],
    ["Ad set", detail.adset_name ?? detail.adset_id],
    ["Ad", detail.ad_name ?? detail.ad_id],
    ["Form", detail.form_name ?? detail.form_id],
    ["Platform", detail.platform],
  ];
  return (
    <aside className="detail" aria-label="Lead detail">
      <header>
        <h2 data-testid="detail-name" ref={heading} tabIndex={-1}>{detail.full_name ?? detail.email ?? detail.phone ?? detail.id}</h2>
        <button aria-label="Close" onClick={onClose}>
          ✕
        </button>
      </header>
      {(error ?? loadError) && (
        <p className="error" role="alert">
          {sentence((error ?? loadError)!)}
        </p>
      )}
      <dl>
        <dt>Email</dt>
        <dd>{detail.email ? breakable(detail.email) : "—"}</dd>
        <dt>Phone</dt>
        <dd>{detail.phone ?? "—"}</dd>
        <dt>Company</dt>
        <dd>{detail.company ?? "—"}</dd>
        <dt>Source</dt>
        <dd>{detail.source}</dd>
        <dt>Received</dt>
        <dd>{localTime(detail.created_at)}</dd>
      </dl>
      <section className="edit">
        <label>
          Status
          <select
            name="status"
            aria-label="Status"
            value={pendingStatus ?? detail.status}
            disabled={pendingStatus !== null}
            aria-busy={pendingStatus !== null}
            onKeyDown={noTypeAhead}
            onChange={(e) => void change({ status: e.target.value as LeadStatus })}
          >
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        {/* There before its hint, so a screen reader says "Saving…" (one put in with it went unsaid). */}
        <div role="status" data-testid="change-hint">
          {changeHint && <p className="muted hint">{changeHint}</p>}
        </div>
        <form onSubmit={(e) => (e.preventDefault(), void change({ owner }))}>
          <label>
            Owner <input name="owner" value={owner} onChange={(e) => setOwner(e.target.value)} />
          </label>
          <button type="submit" disabled={saving}>
            Save owner
          </button>
        </form>
        {/* Named like the status and owner, the tags and their field in the same column. */}
        <div className="tags-row">
          <span className="muted" aria-hidden="true">
            Tags
          </span>
          <div className="tags">
            {detail.tags.map((t) => (
              <span key={t} className="tag">
                {t}{" "}
                <button aria-label={`Remove tag ${t}`} disabled={saving} onClick={() => void change({ remove_tags: [t] })}>
                  ×
                </button>
              </span>
            ))}
            <form onSubmit={(e) => (e.preventDefault(), tag.trim() && void change({ add_tags: [tag] }).then((ok) => ok && setTag("")))}>
              <input aria-label="New tag" placeholder="Add tag" value={tag} onChange={(e) => setTag(e.target.value)} />
            </form>
          </div>
        </div>
      </section>
      {Object.keys(detail.fields).length > 0 && (
        <section>
          <h3>Form answers</h3>
          <dl>
            {Object.entries(detail.fields).map(([k, v]) => (
              <FieldRow key={k} name={k} value={v} />
            ))}
          </dl>
        </section>
      )}
      {ad.some(([, v]) => v) && (
        <section>
          <h3>Ad</h3>
          <dl>
            {ad
              .filter(([, v]) => v)
              .map(([k, v]) => (
                <FieldRow key={k} name={k} value={v} />
              ))}
          </dl>
        </section>
      )}
      <section>
        <h3>Notes</h3>
        {detail.notes.map((n, i) => (
          <p key={i} className="note">
            <span className="muted">{localTime(n.at)}</span> {n.body}
          </p>
        ))}
        <form ref={noteForm} onSubmit={(e) => (e.preventDefault(), void notes.save(id, nameOf(detail)))}>
          <textarea
            aria-label="New note"
            placeholder="Add a note"
            value={draft.text}
            readOnly={draft.saving}
            onChange={(e) => notes.setText(id, e.target.value)}
          />
          <button type="submit" disabled={draft.saving}>
            Add note
          </button>
          <div role="status" data-testid="note-hint">
            {noteHint && <p className="muted hint">{noteHint}</p>}
          </div>
          {draft.error && (
            <p className="error" role="alert">
              The note was not saved: {draft.error}
            </p>
          )}
        </form>
      </section>
      <section>
        <h3>Timeline</h3>
        <ol className="timeline">
          {detail.timeline.map((t, i) => (
            <li key={i}>
              <span className="muted">{localTime(t.at)}</span> {describeEvent(t.kind, t.detail)}
            </li>
          ))}
        </ol>
      </section>
    </aside>
  );
}

/** What a lead is called in a message: its name, or how to reach it. */
function nameOf(d: Lead): string {
  return d.full_name ?? d.email ?? d.phone ?? d.id;
}

/** "The status change to won", said of a change that failed after its pane closed. */
function describeChange(c: Partial<LeadChange>): string {
  if (c.status) return `The status change to ${c.status}`;
  if (c.owner !== undefined) return "The owner change";
  if (c.add_tags?.length) return `The tag ${c.add_tags[0]}`;
  if (c.remove_tags?.length) return `The removal of tag ${c.remove_tags[0]}`;
  return "A change";
}

function FieldRow({ name, value }: { name: string; value: unknown }) {
  return (
    <>
      <dt>{name.replace(/_/g, " ")}</dt>
      <dd>{typeof value === "string" ? value : JSON.stringify(value)}</dd>
    </>
  );
}

/** A timeline entry as a person would say it. The kinds and details are the core's
 *  (store::leads: `created`, `added`, and the `lead_events` an update writes). A change of
 *  status reads "Changed status: …" (the desktop e2e looks for "status" in the timeline). */
export function describeEvent(kind: string, detail: unknown): string {
  const d = detail !== null && typeof detail === "object" ? (detail as Record<string, unknown>) : {};
  const text = (v: unknown) => (typeof v === "string" && v.trim() !== "" ? v : null);
  switch (kind) {
    case "created":
      return text(d.source) ? `Received from ${d.source}` : "Received";
    case "added":
      return "Added to the vault";
    case "imported":
      return text(d.source) ? `Imported from ${d.source}` : "Imported";
    case "status":
      return `Changed status: ${text(d.from) ?? "none"} → ${text(d.to) ?? "none"}`;
    case "owner": {
      const from = text(d.from);
      const to = text(d.to);
      if (to === null) return from === null ? "Cleared owner" : `Cleared owner (was ${from})`;
      return from === null ? `Set owner: ${to}` : `Changed owner: ${from} → ${to}`;
    }
    case "tag_added":
      return text(d.tag) ? `Added tag: ${d.tag}` : "Added a tag";
    case "tag_removed":
      return text(d.tag) ? `Removed tag: ${d.tag}` : "Removed a tag";
    case "note":
      return "Added a note";
  }
  // A kind this window does not know yet: its name in words, and what it says.
  const name = kind.replace(/_/g, " ").trim();
  const said = Object.entries(d)
    .filter(([, v]) => v !== null && v !== undefined && v !== "")
    .map(([k, v]) => `${k.replace(/_/g, " ")}: ${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join(", ");
  const head = name === "" ? "Changed" : name[0].toUpperCase() + name.slice(1);
  const scalar = detail !== null && detail !== undefined && typeof detail !== "object" ? String(detail) : "";
  const more = said || scalar;
  return more === "" ? head : `${head} (${more})`;
}

export function toLead(d: LeadDetail): Lead {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { notes: _n, timeline: _t, ...lead } = d;
  return lead as Lead;
}

/** An email (or address) with places to wrap before its @ and dots, as an email is wrapped in
 *  print: "first.last" / "@hotmail.com" on a narrow line, never "…@hotmail.co" / "m". */
export function breakable(text: string): ReactNode {
  const parts = text.split(/(?=[@.])/);
  return parts.map((p, i) => (
    <Fragment key={i}>
      {i > 0 && <wbr />}
      {p}
    </Fragment>
  ));
}
