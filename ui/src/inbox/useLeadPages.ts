// The inbox's rows: pages fetched by keyset cursor as the list scrolls, never all at once.
// A new view (filters, search, sort) starts again from its first page; answers to an older
// view are dropped, so a slow search can never overwrite a newer one. When the window comes
// back (`refresh`), each page loaded is read again from its own cursor only once it is on
// screen (the first page at once), not the whole list down to where the user had scrolled.
import { useCallback, useEffect, useRef, useState } from "react";
import type { Lead, StatusCounts, ViewQuery } from "../bindings";
import { call, commands, messageOf } from "../ipc";

export const PAGE_SIZE = 200;

export type LeadPages = {
  leads: Lead[];
  hasMore: boolean;
  loading: boolean;
  counts: StatusCounts | null;
  /** The counts shown are an earlier view's: this view's are on their way. */
  countsStale: boolean;
  /** The rows shown are an earlier view's: this view's first page is on its way. */
  rowsStale: boolean;
  error: string | null;
  loadMore: () => void;
  /** The same view again (new leads arrived, leads changed): as far down as it was loaded. */
  reload: () => void;
  /** Leads may have changed elsewhere (a terminal): the counts again, and each page loaded read
   *  again once it is on screen (the first page at once); see `showing`. */
  refresh: () => void;
  /** Rows `from` to `to` are on screen: a page among them not read since `refresh` is read again. */
  showing: (from: number, to: number) => void;
  /** Puts a changed lead in place, without a reload. */
  replace: (lead: Lead) => void;
  /** Takes a lead that left the view out of the list, without a reload. */
  remove: (id: string) => void;
  /** Asks for the counts per status again (a lead's status changed). */
  refreshCounts: () => void;
};

/** A page as it was loaded: the row it starts at, the cursor it was asked for with (null: the
 *  view's start), and whether it was read since the window last came back. It runs to the next
 *  page's start (the last, to the end of the rows loaded). */
type Page = { at: number; cursor: string | null; checked: boolean };

/** The pages of `query` from the first, until at least `want` leads (or the end), while
 *  `current()` says the answer is still wanted. */
async function firstPages(
  query: ViewQuery,
  want: number,
  current: () => boolean,
): Promise<{ leads: Lead[]; next: string | null; starts: Page[] }> {
  let page = await call(commands.listLeads(query, null, PAGE_SIZE));
  const leads = page.leads.slice();
  const starts: Page[] = [{ at: 0, cursor: null, checked: true }];
  while (page.next !== null && leads.length < want && current()) {
    starts.push({ at: leads.length, cursor: page.next, checked: true });
    page = await call(commands.listLeads(query, page.next, Math.min(MAX_PAGE, want - leads.length)));
    leads.push(...page.leads);
  }
  return { leads, next: page.next, starts };
}

/** The most leads new before one page's first (imported meanwhile) that its check takes in;
 *  beyond them the view is loaded again. */
const MAX_NEW = 2_000;

/** A page read again from its cursor (`fresh`), against its rows as loaded (`old`): the leads
 *  new before them, and every lead of `old` then in the same order, as they are now; or null
 *  when more changed (a lead gone, one new between them). */
function reread(old: Lead[], fresh: Lead[]): Lead[] | null {
  const had = new Set(old.map((l) => l.id));
  let added = 0;
  while (added < fresh.length && !had.has(fresh[added].id)) added++;
  if (fresh.length !== added + old.length) return null;
  for (let i = 0; i < old.length; i++) if (fresh[added + i].id !== old[i].id) return null;
  return fresh;
}

/** Whether the counts moved from `before` to `after` by the leads `added` and nothing else. */
function explains(before: StatusCounts, after: StatusCounts, added: Lead[]): boolean {
  if (after.total - before.total !== added.length) return false;
  const count = (c: StatusCounts, s: string) => c.by_status.find((b) => b.status === s)?.count ?? 0;
  const statuses = new Set([...before.by_status, ...after.by_status].map((b) => b.status));
  return [...statuses].every((s) => count(after, s) - count(before, s) === added.filter((l) => l.status === s).length);
}

/** The most leads one call may ask for (the command's own limit). */
const MAX_PAGE = 500;

export function useLeadPages(query: ViewQuery): LeadPages {
  const [leads, setLeadsState] = useState<Lead[]>([]);
  // The rows as last set, for work that finishes later (a page's check), and where each page
  // loaded starts (kept in step with the rows: a lead taken out moves the pages after it).
  const rows = useRef<Lead[]>([]);
  const pagesRef = useRef<Page[]>([]);
  const setLeads = useCallback((next: Lead[] | ((old: Lead[]) => Lead[])) => {
    rows.current = typeof next === "function" ? next(rows.current) : next;
    setLeadsState(rows.current);
  }, []);
  // The rows on screen (with the list's overscan), and whether the first page is to be read
  // again now (the window came back), wherever the list is scrolled.
  const onScreen = useRef<[number, number]>([0, 0]);
  const firstWanted = useRef(false);
  // The view the rows were loaded for (null before the first answer).
  const [rowsKey, setRowsKey] = useState<string | null>(null);
  const [next, setNextState] = useState<string | null>(null);
  // The cursor as last set: a page asked for once is not asked for again by a render that still
  // held the cursor before it (its effects can run after the page came in).
  const nextRef = useRef<string | null>(null);
  const setNext = useCallback((cursor: string | null) => {
    nextRef.current = cursor;
    setNextState(cursor);
  }, []);
  const [hasMore, setHasMore] = useState(true);
  const [loading, setLoading] = useState(false);
  // The counts and the view they were counted for.
  const [counted, setCounted] = useState<{ key: string; counts: StatusCounts } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  const generation = useRef(0);
  const inFlight = useRef(false);
  const key = JSON.stringify(query);
  // How far down each view was loaded (counted when its pages arrive): a reload of the same
  // view fetches as much again.
  const loaded = useRef({ key, count: 0 });
  // The view of the latest render, for work that finishes later (counts after an edit).
  const latest = useRef(query);
  latest.current = query;

  const countsGeneration = useRef(0);
  const countedRef = useRef(counted);
  countedRef.current = counted;
  /** When the window came back: the counts shown then, and the counts now, on their way. The
   *  first page's check tells whether the leads new at its top are all that changed. */
  const countsCheck = useRef<{ before: StatusCounts | null; now: Promise<StatusCounts | null> } | null>(null);
  const fetchCounts = useCallback(() => {
    const gen = ++countsGeneration.current;
    const query = latest.current;
    call(commands.countByStatus(query)).then(
      (counts) => gen === countsGeneration.current && setCounted({ key: JSON.stringify(query), counts }),
      () => gen === countsGeneration.current && setCounted(null),
    );
  }, []);

  useEffect(() => {
    const gen = ++generation.current;
    const reloading = loaded.current.key === key;
    const want = reloading ? loaded.current.count : 0;
    loaded.current = { key, count: want };
    inFlight.current = true;
    setLoading(true);
    setError(null);
    firstPages(query, want, () => gen === generation.current).then(
      (page) => {
        if (gen !== generation.current) return;
        loaded.current = { key, count: page.leads.length };
        pagesRef.current = page.starts;
        firstWanted.current = false;
        countsCheck.current = null;
        setLeads(page.leads);
        setRowsKey(key);
        setNext(page.next);
        setHasMore(page.next !== null);
        setLoading(false);
        inFlight.current = false;
      },
      (e) => {
        if (gen !== generation.current) return;
        setError(messageOf(e));
        // A failed reload keeps the rows on screen; a new view that fails shows none.
        if (!reloading) setLeads([]);
        setRowsKey(key);
        setHasMore(false);
        setLoading(false);
        inFlight.current = false;
      },
    );
    fetchCounts();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, version]);

  const loadMore = useCallback(() => {
    const cursor = nextRef.current;
    if (inFlight.current || cursor === null) return;
    const gen = generation.current;
    inFlight.current = true;
    setLoading(true);
    call(commands.listLeads(query, cursor, PAGE_SIZE)).then(
      (page) => {
        if (gen !== generation.current) return;
        loaded.current = { key, count: loaded.current.count + page.leads.length };
        if (page.leads.length > 0) pagesRef.current.push({ at: rows.current.length, cursor, checked: true });
        setLeads((old) => old.concat(page.leads));
        setNext(page.next);
        setHasMore(page.next !== null);
        setLoading(false);
        inFlight.current = false;
        // A page on screen waiting to be read again (the window came back meanwhile).
        check.current();
      },
      (e) => {
        if (gen !== generation.current) return;
        setError(messageOf(e));
        // No endless "Loading…": the error says what went wrong; a reload tries again.
        setHasMore(false);
        setLoading(false);
        inFlight.current = false;
      },
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, next]);

  const reload = useCallback(() => setVersion((v) => v + 1), []);
  const replace = useCallback((lead: Lead) => setLeads((old) => old.map((l) => (l.id === lead.id ? lead : l))), [setLeads]);
  const remove = useCallback((id: string) => {
    const at = rows.current.findIndex((l) => l.id === id);
    if (at < 0) return;
    setLeads((old) => old.filter((l) => l.id !== id));
    // The pages after it start a row earlier; one left empty goes.
    const pages = pagesRef.current;
    for (const p of pages) if (p.at > at) p.at--;
    pagesRef.current = pages.filter((p, i) => i === 0 || p.at < (pages[i + 1]?.at ?? rows.current.length));
    loaded.current = { ...loaded.current, count: Math.max(0, loaded.current.count - 1) };
  }, [setLeads]);

  /** Reads again, one at a time, the first page (if wanted) and each page on screen not read
   *  since the window came back: put in place when only its leads changed or new ones came
   *  before it (a terminal's import), the view loaded again as far down as before otherwise. */
  const check = useRef(() => {});
  // How many times the window came back: a page read before the latest return is put in place
  // but read again, as leads may have changed between that read and the return.
  const returns = useRef(0);
  check.current = () => {
    if (inFlight.current) return;
    const pages = pagesRef.current;
    const [from, to] = onScreen.current;
    const i = pages.findIndex(
      (p, n) => !p.checked && ((n === 0 && firstWanted.current) || (p.at <= to && (pages[n + 1]?.at ?? rows.current.length) > from)),
    );
    if (i < 0) return;
    const page = pages[i];
    const end = pages[i + 1]?.at ?? rows.current.length;
    const old = rows.current.slice(page.at, end);
    const counting = i === 0 ? countsCheck.current : null;
    if (i === 0) {
      firstWanted.current = false;
      countsCheck.current = null;
    }
    // No row to compare with (an empty list, one that failed): the view again.
    if (old.length === 0) return void setVersion((v) => v + 1);
    const gen = generation.current;
    const round = returns.current;
    const query = latest.current;
    inFlight.current = true;
    setLoading(true);
    (async () => {
      // As many as it had, and as many more as there are new leads before them.
      const had = new Set(old.map((l) => l.id));
      const fresh: Lead[] = [];
      let cursor = page.cursor;
      let next: string | null = null;
      for (;;) {
        let added = 0;
        while (added < fresh.length && !had.has(fresh[added].id)) added++;
        const want = added + old.length - fresh.length;
        if (want <= 0 || added > MAX_NEW || (fresh.length > 0 && next === null)) break;
        const got = await call(commands.listLeads(query, cursor, Math.min(MAX_PAGE, want)));
        if (gen !== generation.current) return null;
        fresh.push(...got.leads);
        cursor = next = got.next;
        if (got.leads.length === 0) break;
      }
      const counts = counting === null ? null : await counting.now;
      if (gen !== generation.current) return null;
      return { fresh, next, counts };
    })().then(
      (got) => {
        if (got === null || gen !== generation.current) return;
        inFlight.current = false;
        setLoading(false);
        // The page as it is now (a lead taken out meanwhile is out of the answer too).
        const pages = pagesRef.current;
        const n = pages.indexOf(page);
        const now = n < 0 ? null : rows.current.slice(page.at, pages[n + 1]?.at ?? rows.current.length);
        const put = now === null ? null : reread(now, got.fresh);
        if (put === null || now === null) {
          setVersion((v) => v + 1);
          return;
        }
        const added = put.length - now.length;
        // The counts moved otherwise than by the leads new at the top (leads gone, changed, new
        // further down): the view again, as far down as it was loaded.
        const before = counting?.before ?? null;
        if (counting !== null && (before === null || got.counts === null || !explains(before, got.counts, put.slice(0, added)))) {
          setVersion((v) => v + 1);
          return;
        }
        page.checked = round === returns.current;
        for (const p of pages.slice(n + 1)) p.at += added;
        const last = n === pages.length - 1;
        setLeads((all) => [...all.slice(0, page.at), ...put, ...all.slice(page.at + now.length)]);
        loaded.current = { key, count: loaded.current.count + added };
        if (last) {
          // The view may go on past the last row loaded (new leads at its end): the list loads on.
          setNext(got.next);
          setHasMore(got.next !== null);
        }
        check.current();
      },
      (e) => {
        if (gen !== generation.current) return;
        inFlight.current = false;
        setLoading(false);
        // The rows stay; the next return of the window tries again.
        setError(messageOf(e));
        for (const p of pagesRef.current) p.checked = true;
      },
    );
  };
  const refreshNow = useRef(() => {});
  refreshNow.current = () => {
    // Nothing to read again page by page (no rows yet, or an error said instead): the view again.
    if (rows.current.length === 0 || pagesRef.current.length === 0 || error !== null) return reload();
    const gen = ++countsGeneration.current;
    const query = latest.current;
    const counted = countedRef.current;
    const before = counted !== null && counted.key === JSON.stringify(query) ? counted.counts : null;
    const now = call(commands.countByStatus(query)).then(
      (counts) => {
        if (gen === countsGeneration.current) setCounted({ key: JSON.stringify(query), counts });
        return counts;
      },
      () => {
        if (gen === countsGeneration.current) setCounted(null);
        return null;
      },
    );
    countsCheck.current = { before, now };
    returns.current++;
    for (const p of pagesRef.current) p.checked = false;
    firstWanted.current = true;
    check.current();
  };
  const refresh = useCallback(() => refreshNow.current(), []);
  const showing = useCallback((from: number, to: number) => {
    onScreen.current = [from, to];
    check.current();
  }, []);

  return {
    leads,
    hasMore,
    loading,
    counts: counted?.counts ?? null,
    countsStale: counted !== null && counted.key !== key,
    rowsStale: rowsKey !== key,
    error,
    loadMore,
    reload,
    refresh,
    showing,
    replace,
    remove,
    refreshCounts: fetchCounts,
  };
}

/** `value`, once it has stopped changing for `ms`. */
export function useDebounced<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return settled;
}
