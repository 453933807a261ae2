// The inbox: search and filters over a virtualised list that pages from the store as it
// scrolls, counts per status, multi-select with bulk changes, and the detail of one lead.
import { useEffect, useId, useMemo, useRef, useState } from "react";
import { useVirtualizer } from "@tanstack/react-virtual";
import type { Lead, LeadChange, LeadSort, LeadStatus, VaultState, ViewQuery } from "../bindings";
import { arrivalsOf, call, commands, messageOf, onSyncEvent } from "../ipc";
import { useDebounced, useLeadPages } from "./useLeadPages";
import { LeadDetailPane, toLead } from "../lead/LeadDetail";
import { NoteDrafts } from "../lead/noteDrafts";
import { ExportBar } from "../export/ExportBar";
import { ImportButton, ImportMessage, useImport } from "../import/ImportButton";
import { Settings } from "../settings/Settings";
import { Connections } from "../connections/Connections";
import { SampleOffer } from "../vault/SampleOffer";
import { noTypeAhead } from "../selectKeys";
import { formatCount, plural, sentence } from "../format";

export const STATUSES: LeadStatus[] = ["new", "contacted", "qualified", "won", "lost", "spam"];
const ROW_HEIGHT = 44;
const HEAD_HEIGHT = 28;
/** The most leads one bulk change takes (the `update_leads` command's own limit). */
export const MAX_SELECTED = 10_000;
/** How long the window's coming back settles before the inbox reloads. */
export const FOCUS_RELOAD_MS = 400;

/** What the user types (search and the text filters): sent once typing pauses. */
type Typed = Pick<ViewQuery, "source" | "owner" | "tag"> & { search: string };
/** What the user picks (status, dates, sort): sent at once. */
type Picked = Omit<ViewQuery, "search" | "source" | "owner" | "tag">;
const NO_TYPED: Typed = { search: "", source: null, owner: null, tag: null };
const NO_PICKED: Picked = { status: null, since: null, until: null, sort: "newest" };

/** The keys that move through the list (J and K: with Shift, they tick as they move). */
const MOVE_KEYS = ["ArrowDown", "ArrowUp", "j", "k", "J", "K"];

/** The keys that jump through the list: to its ends, a page at a time. */
const JUMP_KEYS = ["Home", "End", "PageDown", "PageUp"];

/** Whether `key` belongs to the control that has it rather than to the list: typing in a
 *  field, Enter or Space on a button or checkbox, anything inside a dialog. A drop-down (the
 *  pane's status, the sort) keeps every key but the list's moves: on a closed one the arrows
 *  would pick the next value, which is saved at once (a lead's status), instead of moving;
 *  the mouse, Space, Enter and Alt+↓ still open its list, where the arrows are its own. */
function ownsKey(target: EventTarget | null, key: string): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.closest("[role=dialog]") !== null) return true;
  if (target instanceof HTMLSelectElement) return !MOVE_KEYS.includes(key);
  const pressable =
    target.tagName === "BUTTON" ||
    target.tagName === "A" ||
    (target instanceof HTMLInputElement && (target.type === "checkbox" || target.type === "radio"));
  if (pressable) return key === "Enter" || key === " ";
  return ["INPUT", "SELECT", "TEXTAREA"].includes(target.tagName) || target.isContentEditable;
}

/** The bulk bar's count, said too when a key ticks or unticks a lead ("No leads selected."
 *  when none is left, the bar gone). */
const selectedText = (n: number) => (n > 0 ? `${formatCount(n)} selected` : NONE_SELECTED);
const NONE_SELECTED = "No leads selected.";

/** Whether a Space is the list's (it ticks the cursor's lead): pressed on a row, or with the
 *  focus nowhere; on a button, a checkbox or a field it stays theirs. */
function onRowOrNowhere(target: EventTarget | null): boolean {
  return target === document.body || (target instanceof HTMLElement && target.matches(".row[data-lead-id]"));
}

/** Whether this start's first painted rows were reported. */
let firstRowsReported = false;

/** A change that failed after the user had moved on from its lead. */
type Unsaved = {
  key: number;
  id: string;
  text: string;
  /** What the lead's pane says once it is opened; none for a note (its box says why). */
  inPane: string | null;
};

type InboxProps = {
  offerSamples: boolean;
  /** The demo's vault is open (simulated providers), not the real one. */
  demo?: boolean;
  /** The vault changed: demo mode switched on or off. */
  onVault?: (s: VaultState) => void;
};

export function Inbox({ offerSamples, demo = false, onVault }: InboxProps) {
  const [typed, setTyped] = useState<Typed>(NO_TYPED);
  const settled = useDebounced(typed, 250);
  const [picked, setPicked] = useState<Picked>(NO_PICKED);
  const query: ViewQuery = useMemo(
    () => ({
      ...picked,
      search: settled.search.trim() || null,
      source: settled.source?.trim() || null,
      owner: settled.owner?.trim() || null,
      tag: settled.tag?.trim() || null,
    }),
    [picked, settled],
  );
  const pages = useLeadPages(query);
  const [active, setActive] = useState(0);
  /** The lead under the cursor, by id: a reload that moves it keeps the cursor on it. */
  const activeId = useRef<string | null>(null);
  const [openId, setOpenId] = useState<string | null>(null);
  /** The open lead is not in the list (its change took it out of the view, or a new view does
   *  not hold it): the cursor sits just before row `active`, on no row, so `j` opens the lead
   *  that took its place and `k` the one before, and the highlight never shows another lead
   *  than the pane. */
  const [gap, setGap] = useState(false);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [notice, setNotice] = useState<string | null>(null);
  /** The changes that failed after the user had moved on from their lead, in the order they
   *  failed: which lead, and why. Each is said until dismissed or its lead is opened. */
  const [unsaved, setUnsaved] = useState<Unsaved[]>([]);
  const unsavedKey = useRef(0);
  const [failedAway] = useState(() => (id: string, text: string, inPane: string | null) =>
    setUnsaved((u) => [...u, { key: ++unsavedKey.current, id, text, inPane }]),
  );
  /** Why changes to the open lead failed, handed to its pane when it was opened. */
  const [handed, setHanded] = useState<{ id: string; text: string } | null>(null);
  /** Notes being written, per lead, kept while other leads are shown. */
  const [notes] = useState(() => new NoteDrafts());
  /** Bumped when leads may have changed behind the open pane (a bulk change, a sync, an
   *  import): the pane loads its lead again, so it never shows (or saves back) an old state. */
  const [paneVersion, setPaneVersion] = useState(0);
  /** A bulk change is on its way. */
  const [applying, setApplying] = useState(false);
  /** Leads changed elsewhere: the list as far as it was loaded, and the open lead. */
  function reloadAll() {
    pages.reload();
    setPaneVersion((v) => v + 1);
  }
  const importing = useImport(() => reloadAll());
  /** The view and its rows as they are now, for changes that land after their pane closed. */
  const shown = useRef({ pages, query });
  shown.current = { pages, query };
  /** A lead changed (its status, owner, tags or notes), judged against the view shown when the
   *  change lands, which may be another than the one it began in: one that leaves the view goes
   *  from the list (its pane, if open, stays); any other is put in place. */
  const [landed] = useState(() => (lead: Lead) => {
    const { pages, query } = shown.current;
    if (leftView(lead, pages.leads.find((l) => l.id === lead.id), query)) pages.remove(lead.id);
    else pages.replace(lead);
    pages.refreshCounts();
  });
  notes.onSavedAway = (d) => landed(toLead(d));
  notes.onFailedAway = (id, name, message) =>
    failedAway(id, `A note for ${name} was not saved: ${message}. It is back in that lead's note box.`, null);
  // Said once, in the pane it was handed to: not again when the lead is opened later.
  useEffect(() => setHanded((h) => (h !== null && h.id !== openId ? null : h)), [openId]);
  /** The lead whose pane was open last: when it is left, why its note failed was seen there. */
  const wasOpen = useRef<string | null>(null);
  useEffect(() => {
    const was = wasOpen.current;
    wasOpen.current = openId;
    if (was !== null && was !== openId) notes.clearError(was);
  }, [openId, notes]);
  // Once the lead is open (again), its pane says why: a note beside its box, a status, owner or
  // tag change at the pane's top, as if it had failed there.
  useEffect(() => {
    const mine = unsaved.filter((u) => u.id === openId);
    if (openId === null || mine.length === 0) return;
    setUnsaved((all) => all.filter((u) => u.id !== openId));
    const said = mine.flatMap((u) => (u.inPane === null ? [] : [u.inPane]));
    if (said.length > 0) setHanded({ id: openId, text: said.join(" ") });
  }, [openId, unsaved]);
  // A notice ("Updated 40 leads.") is about the view it was given in.
  const viewKey = JSON.stringify(query);
  useEffect(() => setNotice(null), [viewKey]);
  const [showSettings, setShowSettings] = useState(false);
  const [showConnections, setShowConnections] = useState(false);
  const [showOffer, setShowOffer] = useState(offerSamples);
  /** What the last background sync brought, shown until dismissed or 15 s pass. */
  const [arrivals, setArrivals] = useState<string | null>(null);
  const [switching, setSwitching] = useState(false);
  /** The last polite message shown in a bar (a notice, an import's or export's outcome), said again
   *  in a live region that is always there: a status region put in with its text already in it
   *  is not read out by a screen reader. A new key each time: the same text twice is said twice. */
  const [said, setSaid] = useState<{ key: number; text: string } | null>(null);
  const say = (text: string) => setSaid((s) => ({ key: (s?.key ?? 0) + 1, text }));
  /** A notice shown, and said where it is given (the same text again is said again). */
  const tell = (text: string) => {
    setNotice(text);
    say(text);
  };

  async function switchDemo(on: boolean) {
    setSwitching(true);
    if (on) tell("Starting the simulated providers…");
    else setNotice(null);
    try {
      onVault?.(await call(on ? commands.startDemo() : commands.stopDemo()));
    } catch (e) {
      tell(messageOf(e));
      setSwitching(false);
      await checkVault();
    }
  }

  /** After a failed switch or key change: if the vault did not open again, the unlock screen. */
  async function checkVault() {
    try {
      const state = await call(commands.vaultState());
      if (!state.unlocked) onVault?.(state);
    } catch {
      // The message already shown says what failed.
    }
  }
  const scroller = useRef<HTMLDivElement>(null);
  const reloadRef = useRef(reloadAll);
  reloadRef.current = reloadAll;
  /** Leads changed outside the window, maybe: the counts, the first page and the rows on screen
   *  read again (the others as they come into view), and the open lead. */
  const refreshRef = useRef(() => {});
  refreshRef.current = () => {
    pages.refresh();
    setPaneVersion((v) => v + 1);
  };

  const [exporting, setExporting] = useState(false);
  /** What the last export came to, until dismissed. */
  const [exported, setExported] = useState<{ text: string; error: boolean } | null>(null);
  /** A bulk change, an import or an export under way: no reload on focus meanwhile. */
  const busyRef = useRef(false);
  busyRef.current = applying || importing.busy || exporting;
  // Leads changed outside the window (`leadvault import`, `leads update` in a terminal): when
  // the window comes back, the counts, the first page and the rows on screen are read again,
  // and each other page loaded once it comes into view (not every row down to where the list
  // was scrolled, tens of thousands at times). The focus and the page becoming visible come
  // together, and a quick alt-tab sends several: one refresh once they have settled.
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const back = () => {
      if (document.visibilityState === "hidden") return;
      clearTimeout(timer);
      timer = setTimeout(() => {
        if (!busyRef.current) refreshRef.current();
      }, FOCUS_RELOAD_MS);
    };
    window.addEventListener("focus", back);
    document.addEventListener("visibilitychange", back);
    return () => {
      clearTimeout(timer);
      window.removeEventListener("focus", back);
      document.removeEventListener("visibilitychange", back);
    };
  }, []);

  useEffect(
    () =>
      onSyncEvent((e) => {
        const text = arrivalsOf(e);
        if (!text) return;
        setArrivals(text);
        // Said here: the same news again (the state unchanged) is said again.
        say(text);
        reloadRef.current();
      }),
    [],
  );
  useEffect(() => {
    if (!arrivals) return;
    const t = setTimeout(() => setArrivals(null), 15000);
    return () => clearTimeout(t);
  }, [arrivals]);

  useEffect(() => {
    if (exported && !exported.error) say(exported.text);
  }, [exported]);
  useEffect(() => {
    if (importing.message && !importing.rowsRefused) say(importing.message);
  }, [importing.message, importing.rowsRefused]);

  /** The polite messages in the bars now: one dismissed (or dropped) is no longer said. */
  const shownPolitely = [
    arrivals,
    notice,
    exported && !exported.error ? exported.text : null,
    importing.rowsRefused ? null : importing.message,
    // What a tick from the keyboard made of the selection (the bulk bar's count, or none).
    selectedText(selected.size),
  ];

  /** The grid's rows for a screen reader: the headings' row and every lead of the view, as
   *  counted (-1, unknown, while this view is being counted). */
  const rowCount =
    pages.counts && !pages.countsStale ? Math.max(pages.counts.total, pages.leads.length) + 1 : -1;

  // No loader row in an empty list: "Loading…" stands there in full.
  const count = pages.leads.length === 0 ? 0 : pages.leads.length + (pages.hasMore ? 1 : 0);

  // Once per start, after the first rows are painted: the launch figure (log, benchmark).
  const hasRows = pages.leads.length > 0;
  useEffect(() => {
    if (!hasRows || firstRowsReported) return;
    firstRowsReported = true;
    requestAnimationFrame(() => requestAnimationFrame(() => void commands.firstRowsPainted?.()?.catch(() => undefined)));
  }, [hasRows]);
  const virtual = useVirtualizer({
    count,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 10,
    // The column headings stick to the top of the scroller, above the rows.
    scrollMargin: HEAD_HEIGHT,
    scrollPaddingStart: HEAD_HEIGHT,
  });
  const items = virtual.getVirtualItems();
  const lastIndex = items.length ? items[items.length - 1].index : 0;

  // Fetch the next page when the loader row comes into view (again once a page read meanwhile
  // is in: one read at a time).
  useEffect(() => {
    if (pages.hasMore && lastIndex >= pages.leads.length - 20) pages.loadMore();
  }, [lastIndex, pages.hasMore, pages.leads.length, pages.loadMore, pages.loading]);
  // The rows on screen: a page among them not read since the window came back is read again.
  const firstIndex = items.length ? items[0].index : 0;
  useEffect(() => pages.showing(firstIndex, lastIndex), [firstIndex, lastIndex, pages.showing]);

  // A new view: back to the top, nothing selected.
  useEffect(() => {
    setActive(0);
    setGap(false);
    activeId.current = null;
    clearTicks();
    virtual.scrollToOffset(0);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [JSON.stringify(query)]);

  // The same view reloaded (new leads arrived, a bulk change): the cursor stays on its lead,
  // or within the list if that lead left the view; where the open lead left it, just before
  // the lead that took its place. A new view's rows: the cursor on the open lead if the view
  // holds it, or else before the first row.
  useEffect(() => {
    const at = activeId.current === null ? -1 : pages.leads.findIndex((l) => l.id === activeId.current);
    if (at >= 0) {
      if (at !== active) setActive(at);
      if (gap) setGap(false);
    } else if (activeId.current === null && openId !== null && !gap && !pages.rowsStale) {
      const open = pages.leads.findIndex((l) => l.id === openId);
      if (open >= 0) {
        point(open);
        virtual.scrollToIndex(open, { align: "auto" });
      } else {
        setActive(0);
        setGap(true);
      }
    } else if (activeId.current !== null && activeId.current === openId) {
      setGap(true);
      setActive(Math.min(active, pages.leads.length));
    } else if (active > 0 && active >= pages.leads.length) {
      setActive(Math.max(0, pages.leads.length - 1));
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [pages.leads]);

  /** Where the focus goes once the cursor's row is drawn: the keyboard's place in the list, so
   *  a screen reader reads the lead the cursor is on, and Esc from the pane comes back to it.
   *  Asked for in one view (its key): a new view, or the focus put anywhere outside the list
   *  (a click in the search box), drops the request, so rows drawn later never take the focus
   *  from where the user went. */
  const focusRow = useRef<string | null>(null);
  /** The focus goes to the cursor's row once it is drawn, if the cursor is on a row now. */
  function focusRowSoon() {
    focusRow.current = !cursorLeft() && pages.leads[active] !== undefined ? viewKey : null;
  }
  useEffect(() => {
    const away = (e: FocusEvent) => {
      if (!(e.target instanceof Node) || !scroller.current?.contains(e.target)) focusRow.current = null;
    };
    document.addEventListener("focusin", away);
    return () => document.removeEventListener("focusin", away);
  }, []);
  /** The lead whose pane takes the focus once loaded (opened with Enter, Enter again on it while
   *  open, or moved to from a pane that had it), so Tab goes on into it rather than through every
   *  row's checkbox first. Each request is numbered (the pane takes each new one) and dropped
   *  once taken or once another lead is opened. */
  const [paneFocus, setPaneFocus] = useState<{ id: string; n: number } | null>(null);
  const paneFocusCount = useRef(0);
  const focusPane = (id: string) => setPaneFocus({ id, n: ++paneFocusCount.current });
  useEffect(() => setPaneFocus((f) => (f !== null && f.id !== openId ? null : f)), [openId]);
  /** The move under way began in the open pane: the next lead's pane takes the focus. */
  const paneFocusNext = useRef(false);
  useEffect(() => {
    if (focusRow.current === null) return;
    if (focusRow.current !== viewKey) {
      focusRow.current = null;
      return;
    }
    const id = activeId.current ?? pages.leads[active]?.id;
    const row = Array.from(scroller.current?.querySelectorAll<HTMLElement>(".row[data-lead-id]") ?? []).find(
      (r) => r.dataset.leadId === id,
    );
    if (!row) return; // not drawn yet: after the scroll
    focusRow.current = null;
    row.focus({ preventScroll: true });
  });

  function point(i: number) {
    setActive(i);
    setGap(false);
    activeId.current = pages.leads[i]?.id ?? null;
  }

  /** The cursor's lead has left the list, whether or not the effect above has seen it yet. */
  function cursorLeft(): boolean {
    return gap || (activeId.current !== null && !pages.leads.some((l) => l.id === activeId.current));
  }

  function move(by: number): number {
    // From the gap a lead left, down is the lead that took its place.
    return moveTo((cursorLeft() && by > 0 ? active - 1 : active) + by);
  }

  /** The cursor to row `to` (kept within the loaded rows), scrolled into view: the row it is
   *  on, or -1 when the list has no row to put it on. */
  function moveTo(to: number): number {
    if (pages.leads.length === 0) return -1;
    const i = Math.max(0, Math.min(pages.leads.length - 1, to));
    point(i);
    virtual.scrollToIndex(i, { align: "auto" });
    if (openId && pages.leads[i]) {
      if (paneFocusNext.current) focusPane(pages.leads[i].id);
      setOpenId(pages.leads[i].id);
    }
    return i;
  }

  const modalOpen = showSettings || showConnections;
  // On the window, so the keys work wherever the focus is (nowhere, at start), except in the
  // controls that use them and behind an open dialog.
  const keys = useRef<(e: KeyboardEvent) => void>(() => {});
  keys.current = (e: KeyboardEvent) => {
    // Shift is not a reason to leave a key: with the moves it ticks a range.
    if (e.defaultPrevented || e.isComposing || e.altKey || e.ctrlKey || e.metaKey) return;
    if (ownsKey(e.target, e.key)) {
      const t = e.target as HTMLElement;
      if (e.key === "Escape" && !t.closest("[role=dialog]")) {
        // Leave the field (a search box would also clear itself: it keeps its text).
        e.preventDefault();
        t.blur();
      }
      return;
    }
    if (modalOpen) return;
    // J and K are j and k with Shift (or Caps Lock): Shift says whether the move ticks.
    const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
    const down = key === "ArrowDown" || key === "j";
    if (down || key === "ArrowUp" || key === "k" || JUMP_KEYS.includes(key)) {
      e.preventDefault();
      // A button clicked before (a status filter) would otherwise keep Enter for itself: the
      // focus goes to the cursor's row, or, from the open pane, to the next lead's pane.
      const fromPane = openId !== null && e.target instanceof HTMLElement && e.target.closest(".detail") !== null;
      if (!fromPane && e.target instanceof HTMLElement && e.target !== document.body) e.target.blur();
      paneFocusNext.current = fromPane;
      // A page: as many rows as the list shows at once.
      const page = Math.max(1, Math.floor(((scroller.current?.clientHeight ?? 0) - HEAD_HEIGHT) / ROW_HEIGHT));
      // With Shift, the range starts at the anchor, or else at the cursor's row (from the gap a
      // lead left, at the row the cursor goes to).
      const start = e.shiftKey && !pages.rowsStale ? rangeStart() : null;
      const to =
        key === "Home"
          ? moveTo(0)
          : // The last loaded row: the list then loads the next page, and End goes further.
            key === "End"
            ? moveTo(pages.leads.length - 1)
            : key === "PageDown"
              ? move(page)
              : key === "PageUp"
                ? move(-page)
                : move(down ? 1 : -1);
      if (to >= 0 && e.shiftKey && !pages.rowsStale) tickRange(start ?? to, to);
      // Only a cursor that is on a row takes the focus there (an empty list has none).
      focusRow.current = to >= 0 && !fromPane ? viewKey : null;
    } else if ((key === "x" || (key === " " && onRowOrNowhere(e.target))) && !pages.rowsStale) {
      // Space would scroll the list too.
      e.preventDefault();
      tickCursor();
    } else if (e.key === "Enter" && pages.leads[active] && !pages.rowsStale) {
      point(active);
      focusPane(pages.leads[active].id);
      setOpenId(pages.leads[active].id);
    } else if (e.key === "Escape") {
      if (openId !== null) {
        // Back to the lead's row, if it is still in the list.
        focusRowSoon();
        setOpenId(null);
      } else if (selected.size > 0) {
        // No lead open: the ticks go (a second Esc, after the one that closed the lead).
        clearTicks();
        say(NONE_SELECTED);
      }
    }
  };
  useEffect(() => {
    const listener = (e: KeyboardEvent) => keys.current(e);
    window.addEventListener("keydown", listener);
    return () => window.removeEventListener("keydown", listener);
  }, []);

  /** The lead last ticked or unticked (a click, x, Space), by id (a reload moves rows): a
   *  shift-click ticks (or unticks) every row from it to the one clicked, and Shift with a move
   *  ticks every row from it to the cursor. None once the ticks are cleared. */
  const anchor = useRef<string | null>(null);
  /** The anchor's row, or -1 when there is none or its lead has left the list. */
  const anchorAt = () => (anchor.current === null ? -1 : pages.leads.findIndex((l) => l.id === anchor.current));
  /** The ticks a Shift move made (`made`) and those there before the range (`base`): while the
   *  ticks are still `made`, the next Shift move redraws the range over `base`, so going back
   *  unticks the rows it leaves, and only those. */
  const range = useRef<{ base: Set<string>; made: Set<string> } | null>(null);
  function clearTicks() {
    setSelected(new Set());
    anchor.current = null;
  }
  /** Where a Shift move's range starts: the anchor's row, or else the cursor's (null when the
   *  cursor is on no row: in the gap a lead left). */
  function rangeStart(): number | null {
    const at = anchorAt();
    if (at >= 0) return at;
    return cursorLeft() || pages.leads[active] === undefined ? null : active;
  }
  /** Ticks every row from `from` to `to` (either way round), with the ticks there before the range;
   *  `from` becomes the anchor. Up to 10,000, the rows nearest `from` first. */
  function tickRange(from: number, to: number) {
    const base = range.current !== null && range.current.made === selected ? range.current.base : selected;
    const n = new Set(base);
    let refused = 0;
    const step = from <= to ? 1 : -1;
    for (let i = from; ; i += step) {
      const id = pages.leads[i].id;
      if (n.has(id)) {
        // Already ticked.
      } else if (n.size < MAX_SELECTED) n.add(id);
      else refused++;
      if (i === to) break;
    }
    setSelected(n);
    range.current = { base, made: n };
    anchor.current = pages.leads[from].id;
    if (refused > 0) tellRefused(refused);
    else say(selectedText(n.size));
  }
  /** x or Space: the cursor's row ticked, or unticked, and made the anchor. */
  function tickCursor() {
    if (cursorLeft() || pages.leads[active] === undefined) return;
    const on = !selected.has(pages.leads[active].id);
    if (tick(active, on, false) === 0) say(selectedText(selected.size + (on ? 1 : -1)));
  }
  const tellRefused = (refused: number) =>
    tell(`At most ${formatCount(MAX_SELECTED)} leads can be changed at once: ${formatCount(refused)} not ticked.`);
  /** Ticks (or unticks) row `index`, or with `fromAnchor` every row from the anchor's to it; how many
   *  rows the 10,000 limit left unticked. */
  function tick(index: number, checked: boolean, fromAnchor: boolean): number {
    const at = fromAnchor ? anchorAt() : -1;
    const from = at >= 0 ? Math.min(at, index) : index;
    const to = at >= 0 ? Math.max(at, index) : index;
    const ids = pages.leads.slice(from, to + 1).map((l) => l.id);
    const n = new Set(selected);
    let refused = 0;
    for (const id of ids) {
      if (!checked) n.delete(id);
      else if (n.has(id)) continue;
      else if (n.size < MAX_SELECTED) n.add(id);
      else refused++;
    }
    setSelected(n);
    if (refused > 0) tellRefused(refused);
    anchor.current = pages.leads[index]?.id ?? null;
    return refused;
  }

  async function bulk(change: LeadChange) {
    // Only leads on screen: one ticked in rows that a new view then replaced is not acted on.
    const shown = new Set(pages.leads.map((l) => l.id));
    const ids = [...selected].filter((id) => shown.has(id));
    // Not while the rows on screen are an earlier view's (dimmed): they are not what is asked.
    if (ids.length === 0 || applying || pages.rowsStale) return;
    setApplying(true);
    try {
      const r = await call(commands.updateLeads(ids, change));
      tell(`Updated ${plural(r.updated, "lead", "leads")}.`);
      clearTicks();
    } catch (e) {
      // Nothing changed (a bulk change is all or nothing); the reload shows the leads as they are.
      tell(messageOf(e));
    } finally {
      setApplying(false);
      // The open lead may be one of them: its pane shows (and saves from) its new state.
      reloadAll();
    }
  }

  /** How many leads of the view have status `s`, or "…" before they are counted. */
  const countOf = (s: LeadStatus) => {
    const n = pages.counts?.by_status.find((c) => c.status === s)?.count;
    return n === undefined ? "…" : formatCount(n);
  };
  const setPick = (k: "status" | "since" | "until", v: string) => setPicked((f) => ({ ...f, [k]: v === "" ? null : v }));
  const setText = (k: "source" | "owner" | "tag", v: string) => setTyped((t) => ({ ...t, [k]: v === "" ? null : v }));
  const filtered =
    JSON.stringify(picked) !== JSON.stringify(NO_PICKED) ||
    typed.source !== null ||
    typed.owner !== null ||
    typed.tag !== null;
  const clearFilters = () => {
    setPicked(NO_PICKED);
    setTyped((t) => ({ ...NO_TYPED, search: t.search }));
  };
  /** Empties the search box and puts the focus there, to type another. */
  const clearSearch = () => {
    setTyped((t) => ({ ...t, search: "" }));
    document.querySelector<HTMLInputElement>(".toolbar input[name=search]")?.focus();
  };
  /** The vault holds no lead at all (not just none in this view). */
  const vaultEmpty = !filtered && !query.search && !pages.countsStale && pages.counts?.total === 0;

  return (
    <div className="app">
      {/* The page's heading, for a screen reader's list of headings (the toolbar says where one is). */}
      <h1 className="sr-only">Inbox</h1>
      <header className="toolbar">
        <input
          className="search"
          type="search"
          name="search"
          // Short enough to show whole in a 900 px window's 110 px box ("Search names, emails…" showed
          // as "Search name"); what it searches is said on hover and to a screen reader.
          placeholder="Search leads"
          title="Search names, emails, phones, companies and notes"
          value={typed.search}
          onChange={(e) => setTyped((t) => ({ ...t, search: e.target.value }))}
          aria-label="Search"
        />
        <select aria-label="Sort" value={picked.sort} onChange={(e) => setPicked((f) => ({ ...f, sort: e.target.value as LeadSort }))}>
          <option value="newest">Newest first</option>
          <option value="oldest">Oldest first</option>
          <option value="score_high">Highest score</option>
        </select>
        <ImportButton state={importing} />
        <ExportBar
          query={query}
          total={pages.countsStale ? null : (pages.counts?.total ?? null)}
          onRunning={setExporting}
          onMessage={setExported}
        />
        <button onClick={() => setShowConnections(true)}>Connections</button>
        <button onClick={() => setShowSettings(true)}>Settings</button>
        <label className="switch">
          <input
            type="checkbox"
            role="switch"
            aria-label="Demo mode"
            checked={demo}
            disabled={switching}
            onChange={(e) => void switchDemo(e.target.checked)}
          />{" "}
          Demo mode
        </label>
      </header>
      {demo && (
        <p className="demo-banner" role="note">
          Demo mode: simulated Meta, Google Ads, HubSpot, Pipedrive and Salesforce on this computer, in a vault of
          their own; new leads arrive every minute. Your own vault is closed and untouched.
        </p>
      )}
      {/* An earlier view's counts stay, slanted, until this view's arrive (a search over a
          million leads is counted in up to a second). */}
      <nav className={pages.countsStale ? "statuses stale" : "statuses"} aria-label="Status" aria-busy={pages.countsStale}>
        <button className={picked.status === null ? "on" : ""} aria-pressed={picked.status === null} onClick={() => setPick("status", "")}>
          All <span className="count">{pages.counts ? formatCount(pages.counts.by_status.reduce((a, c) => a + c.count, 0)) : "…"}</span>
        </button>
        {STATUSES.map((s) => (
          <button
            key={s}
            className={picked.status === s ? "on" : ""}
            aria-pressed={picked.status === s}
            data-status={s}
            onClick={() => setPick("status", s)}
          >
            {s} <span className="count">{countOf(s)}</span>
          </button>
        ))}
      </nav>
      <div className="filters">
        <input aria-label="Source" placeholder="Source" value={typed.source ?? ""} onChange={(e) => setText("source", e.target.value)} />
        <input aria-label="Owner" placeholder="Owner" value={typed.owner ?? ""} onChange={(e) => setText("owner", e.target.value)} />
        <input aria-label="Tag" placeholder="Tag" value={typed.tag ?? ""} onChange={(e) => setText("tag", e.target.value)} />
        <DateFilter label="From" value={picked.since} onChange={(v) => setPick("since", v)} />
        <DateFilter label="To" value={picked.until} onChange={(v) => setPick("until", v)} />
        {filtered && <button onClick={clearFilters}>Clear filters</button>}
      </div>
      {showOffer && (
        <SampleOffer
          onDone={(msg) => {
            setShowOffer(false);
            // The offer had the focus: once the samples are in, it goes to the first of them.
            if (msg) focusRow.current = viewKey;
            if (msg) tell(msg);
            reloadAll();
          }}
        />
      )}
      {selected.size > 0 && (
        <BulkBar
          count={selected.size}
          shown={pages.leads.length}
          busy={applying || pages.rowsStale}
          onApply={(c) => void bulk(c)}
          onSelectAll={() => setSelected(new Set(pages.leads.slice(0, MAX_SELECTED).map((l) => l.id)))}
          onClear={clearTicks}
        />
      )}
      {arrivals && (
        <p className="toast" data-testid="arrivals">
          {arrivals}{" "}
          <button aria-label="Dismiss" onClick={() => setArrivals(null)}>
            ✕
          </button>
        </p>
      )}
      <ImportMessage state={importing} />
      {exported && (
        <p className={exported.error ? "error" : "notice"} role={exported.error ? "alert" : undefined} data-testid="exported">
          {exported.text}{" "}
          <button aria-label="Dismiss the export message" onClick={() => setExported(null)}>
            ✕
          </button>
        </p>
      )}
      {unsaved.map((u) => (
        <p key={u.key} className="error" role="alert" data-testid="unsaved">
          {u.text}{" "}
          {u.id !== openId && (
            <button
              onClick={() => {
                const at = pages.leads.findIndex((l) => l.id === u.id);
                if (at >= 0) point(at);
                setOpenId(u.id);
              }}
            >
              Open it
            </button>
          )}{" "}
          <button
            aria-label="Dismiss the message"
            onClick={() => {
              setUnsaved((all) => all.filter((o) => o.key !== u.key));
              // A note's: seen, so its box no longer says why (its text stays there).
              if (u.inPane === null) notes.clearError(u.id);
            }}
          >
            ✕
          </button>
        </p>
      ))}
      {(notice || pages.error) && (
        <p className={pages.error ? "error" : "notice"} role={pages.error ? "alert" : undefined}>
          {pages.error ? sentence(pages.error) : notice}
          {!pages.error && (
            <>
              {" "}
              <button aria-label="Dismiss the notice" onClick={() => setNotice(null)}>
                ✕
              </button>
            </>
          )}
        </p>
      )}
      <div className="sr-only" role="status" data-testid="announcer">
        {said && shownPolitely.includes(said.text) && <span key={said.key}>{said.text}</span>}
      </div>
      <div className="body">
        {/* Rows of an earlier view stay, dimmed, until this view's arrive (a filter over a
            million leads can take seconds): never shown as if they matched. */}
        <div
          className={pages.rowsStale && pages.leads.length > 0 ? "list stale" : "list"}
          ref={scroller}
          data-testid="lead-list"
          aria-busy={pages.rowsStale}
        >
          {/* A grid to a screen reader: the headed columns, each lead a row of cells, told which
              row of the view's count it is (only the rows near the scroll are drawn). */}
          <div role="grid" aria-label="Leads" aria-rowcount={rowCount} aria-multiselectable="true" data-testid="lead-grid">
            <div className="row head" style={{ height: HEAD_HEIGHT }} role="row" aria-rowindex={1}>
              <span role="columnheader">
                <span className="sr-only">Select</span>
              </span>
              <span role="columnheader">Name</span>
              <span role="columnheader">Contact</span>
              <span role="columnheader" className="company">
                Company
              </span>
              <span role="columnheader">Status</span>
              <span role="columnheader" className="owner">
                Owner
              </span>
              <span role="columnheader" className="tags">
                Tags
              </span>
              <span role="columnheader" className="date">
                Created
              </span>
            </div>
            <div role="rowgroup" style={{ height: virtual.getTotalSize(), position: "relative" }}>
              {items.map((item) => {
                const lead = pages.leads[item.index];
                const style = {
                  position: "absolute" as const,
                  top: 0,
                  left: 0,
                  right: 0,
                  height: item.size,
                  transform: `translateY(${item.start - HEAD_HEIGHT}px)`,
                };
                if (!lead)
                  return (
                    // The rows after it are counted (aria-rowcount): not a lead to go to.
                    <div key="loader" className="row loader" style={style} aria-hidden="true">
                      Loading…
                    </div>
                  );
                return (
                  <div
                    key={lead.id}
                    className={`row${item.index === active && !gap && (activeId.current === null || activeId.current === lead.id) ? " active" : ""}${lead.id === openId ? " open" : ""}`}
                    style={style}
                    data-lead-id={lead.id}
                    role="row"
                    aria-rowindex={item.index + 2}
                    aria-selected={selected.has(lead.id)}
                    tabIndex={-1}
                    onClick={() => {
                      // A dimmed row is an earlier view's: nothing to open or tick until the new one shows.
                      if (pages.rowsStale) return;
                      point(item.index);
                      setOpenId(lead.id);
                    }}
                  >
                    <span role="gridcell" className="pick">
                      <input
                        type="checkbox"
                        aria-label={`Select ${lead.full_name ?? lead.email ?? lead.phone ?? lead.id}`}
                        checked={selected.has(lead.id)}
                        onClick={(e) => e.stopPropagation()}
                        disabled={pages.rowsStale}
                        onChange={(e) => tick(item.index, e.target.checked, (e.nativeEvent as MouseEvent).shiftKey === true)}
                      />
                    </span>
                    <span role="gridcell" className="name">{lead.full_name ?? lead.email ?? lead.phone ?? lead.id}</span>
                    <span role="gridcell" className="contact muted">{contactOf(lead)}</span>
                    <span role="gridcell" className="company muted">{lead.company ?? ""}</span>
                    <span role="gridcell" className={`status status-${lead.status}`}>
                      {lead.status}
                    </span>
                    <span role="gridcell" className="owner muted">{lead.owner ?? ""}</span>
                    <span role="gridcell" className="tags">{lead.tags.map((t) => <span key={t} className="tag">{t}</span>)}</span>
                    <span role="gridcell" className="date muted">{localDay(lead.created_at)}</span>
                  </div>
                );
              })}
            </div>
          </div>
          {/* An empty vault while the sample offer is up: the offer above says it all. */}
          {pages.leads.length === 0 && !pages.error && !(vaultEmpty && showOffer && !pages.loading && !pages.rowsStale) && (
            <p className="muted empty">
              {pages.loading || pages.rowsStale ? (
                "Loading…"
              ) : query.search ? (
                // The way back from a search (and the filters with it) that found nothing.
                <>
                  No leads match this search.{" "}
                  <button className="link" onClick={clearSearch}>
                    Clear the search
                  </button>
                  {filtered && (
                    <>
                      {" "}
                      or{" "}
                      <button className="link" onClick={clearFilters}>
                        the filters
                      </button>
                    </>
                  )}
                </>
              ) : vaultEmpty ? (
                // "Start empty", or every lead deleted: where leads come from.
                <>
                  No leads yet. Bring yours in with{" "}
                  <button className="link" onClick={() => void importing.start(false)} disabled={importing.busy}>
                    Import…
                  </button>{" "}
                  (Meta's or Google Ads' download, a CSV or JSON file) or from{" "}
                  <button className="link" onClick={() => setShowConnections(true)}>
                    Connections
                  </button>
                  , or{" "}
                  <button className="link" onClick={() => setShowOffer(true)} disabled={showOffer}>
                    load 200 sample leads
                  </button>{" "}
                  to try the inbox.
                </>
              ) : (
                <>
                  No leads in this view.{" "}
                  {filtered && (
                    <button className="link" onClick={clearFilters}>
                      Clear filters
                    </button>
                  )}
                </>
              )}
            </p>
          )}
        </div>
        {openId && (
          // One pane per lead: a note half typed for one lead never lands on the next; it
          // stays with its lead (in `notes`) for when that lead is opened again.
          <LeadDetailPane
            key={openId}
            id={openId}
            version={paneVersion}
            notes={notes}
            onFailedAway={(id, what, name, why) =>
              failedAway(id, `${what} for ${name} was not saved: ${why}.`, `${what} was not saved: ${why}.`)
            }
            failed={handed !== null && handed.id === openId ? handed : null}
            focusRequest={paneFocus !== null && paneFocus.id === openId ? paneFocus.n : 0}
            onFocusTaken={() => setPaneFocus(null)}
            onClose={() => {
              focusRowSoon();
              setOpenId(null);
            }}
            onChanged={landed}
          />
        )}
      </div>
      {showSettings && (
        <Settings
          onClose={() => setShowSettings(false)}
          onFailed={() => void checkVault()}
        />
      )}
      {showConnections && <Connections onClose={() => setShowConnections(false)} onSynced={() => reloadAll()} />}
    </div>
  );
}

/** How to reach a lead, beside its name: the email, or the phone when there is none or the
 * email already stands in for the name. */
export function contactOf(lead: Lead): string {
  if (lead.full_name) return lead.email ?? lead.phone ?? "";
  return lead.email ? (lead.phone ?? "") : "";
}

type BulkProps = {
  count: number;
  /** How many leads the list has loaded: "select all" takes those (the first 10,000 at most). */
  shown: number;
  busy: boolean;
  onApply: (c: LeadChange) => void;
  onSelectAll: () => void;
  onClear: () => void;
};

function BulkBar({ count, shown, busy, onApply, onSelectAll, onClear }: BulkProps) {
  const [owner, setOwner] = useState("");
  const [tag, setTag] = useState("");
  const empty: LeadChange = { status: null, owner: null, add_tags: [], remove_tags: [], note: null };
  return (
    <div className="bulk" role="region" aria-label="Bulk changes">
      <strong>{selectedText(count)}</strong>
      {count < Math.min(shown, MAX_SELECTED) && (
        // One change takes at most 10,000 leads: beyond that, the first 10,000 shown.
        <button type="button" onClick={onSelectAll} disabled={busy}>
          {shown > MAX_SELECTED
            ? `Select the first ${formatCount(MAX_SELECTED)}`
            : `Select all ${formatCount(shown)} shown`}
        </button>
      )}
      {busy && <span className="muted">Applying…</span>}
      <select
        aria-label="Set status"
        value=""
        onKeyDown={noTypeAhead}
        onChange={(e) => !busy && e.target.value && onApply({ ...empty, status: e.target.value as LeadStatus })}
      >
        <option value="">Set status…</option>
        {STATUSES.map((s) => (
          <option key={s} value={s}>
            {s}
          </option>
        ))}
      </select>
      <form onSubmit={(e) => (e.preventDefault(), onApply({ ...empty, owner }))}>
        <input name="bulk-owner" aria-label="New owner" placeholder="Owner (empty clears)" value={owner} onChange={(e) => setOwner(e.target.value)} />
        <button type="submit" disabled={busy}>
          Set owner
        </button>
      </form>
      <form onSubmit={(e) => (e.preventDefault(), tag.trim() && onApply({ ...empty, add_tags: [tag] }))}>
        <input name="bulk-tag" aria-label="Tag to add" placeholder="Tag" value={tag} onChange={(e) => setTag(e.target.value)} />
        <button type="submit" disabled={busy}>
          Add tag
        </button>
      </form>
      <button onClick={onClear}>Clear selection</button>
    </div>
  );
}

/** Whether a lead changed in its pane (`before`, as the list had it) no longer belongs to the
 *  filtered view: its status or tags no longer match, or its owner changed at all (the core
 *  matches the typed owner to one stored spelling, the one every lead of the view has: "MARIA"
 *  is not "Maria" there). Its source, dates and the text searched do not change there. */
/** A day to filter by. An empty one says "any date": WebKit draws today's date in an empty date
 *  field (greyed, as if a filter were set), and its day, month and year boxes keep that grey
 *  whatever colour is set on `::-webkit-datetime-edit`, so the field's own text is made
 *  transparent (`-webkit-text-fill-color`, on the field itself, which its boxes inherit) and
 *  "any date" stands over it until it has the focus; then it is WebKit's to type in. */
export function DateFilter({ label, value, onChange }: { label: string; value: string | null | undefined; onChange: (day: string) => void }) {
  const empty = !value;
  const anyDate = useId();
  return (
    <label>
      {label}{" "}
      <span className="date-filter">
        {/* A screen reader says "any date" with the field's name, not the date WebKit shows in its boxes. */}
        <input
          type="date"
          aria-label={label}
          aria-describedby={empty ? anyDate : undefined}
          value={value ?? ""}
          data-empty={empty ? "" : undefined}
          onChange={(e) => onChange(e.target.value)}
        />
        {empty && (
          <span className="any-date" id={anyDate} aria-hidden="true">
            any date
          </span>
        )}
      </span>
    </label>
  );
}

export function leftView(lead: Lead, before: Lead | undefined, query: ViewQuery): boolean {
  if (query.status !== null && lead.status !== query.status) return true;
  if (query.owner?.trim() && before !== undefined && lead.owner !== before.owner) return true;
  const tag = query.tag?.trim().toLowerCase();
  if (tag && !lead.tags.some((t) => t.toLowerCase() === tag)) return true;
  return false;
}

/** The day an ISO time falls on where the user is (`YYYY-MM-DD`), as the date filters count days. */
export function localDay(iso: string): string {
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}
