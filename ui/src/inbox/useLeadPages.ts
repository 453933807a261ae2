// The inbox's rows: pages fetched by keyset cursor as the list scrolls, never all at once.
// A new view (filters, search, sort) starts again from its first page; answers to an older
// view are dropped, so a slow search can never overwrite a newer one.
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
  /** Puts a changed lead in place, without a reload. */
  replace: (lead: Lead) => void;
  /** Takes a lead that left the view out of the list, without a reload. */
  remove: (id: string) => void;
  /** Asks for the counts per status again (a lead's status changed). */
  refreshCounts: () => void;
};

/** The pages of `query` from the first, until at least `want` leads (or the end), while
 *  `current()` says the answer is still wanted. */
async function firstPages(
  query: ViewQuery,
  want: number,
  current: () => boolean,
): Promise<{ leads: Lead[]; next: string | null }> {
  let page = await call(commands.listLeads(query, null, PAGE_SIZE));
  const leads = page.leads.slice();
  while (page.next !== null && leads.length < want && current()) {
    page = await call(commands.listLeads(query, page.next, Math.min(MAX_PAGE, want - leads.length)));
    leads.push(...page.leads);
  }
  return { leads, next: page.next };
}

/** The most leads one call may ask for (the command's own limit). */
const MAX_PAGE = 500;

export function useLeadPages(query: ViewQuery): LeadPages {
  const [leads, setLeads] = useState<Lead[]>([]);
  // The view the rows were loaded for (null before the first answer).
  const [rowsKey, setRowsKey] = useState<string | null>(null);
  const [next, setNext] = useState<string | null>(null);
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
    if (inFlight.current || next === null) return;
    const gen = generation.current;
    inFlight.current = true;
    setLoading(true);
    call(commands.listLeads(query, next, PAGE_SIZE)).then(
      (page) => {
        if (gen !== generation.current) return;
        loaded.current = { key, count: loaded.current.count + page.leads.length };
        setLeads((old) => old.concat(page.leads));
        setNext(page.next);
        setHasMore(page.next !== null);
        setLoading(false);
        inFlight.current = false;
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
  const replace = useCallback((lead: Lead) => setLeads((old) => old.map((l) => (l.id === lead.id ? lead : l))), []);
  const remove = useCallback((id: string) => {
    setLeads((old) => old.filter((l) => l.id !== id));
    loaded.current = { ...loaded.current, count: Math.max(0, loaded.current.count - 1) };
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
