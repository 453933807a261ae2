// The inbox: search and filters over a virtualised list that pages from the store as it
// scrolls, counts per status, multi-select with bulk changes, and the detail of one lead.
import { useEffect, useMemo, useRef, useState } from "react";
import { useVirtualizer } from "@tanstack/react-virtual";
import type { LeadChange, LeadSort, LeadStatus, VaultState, ViewQuery } from "../bindings";
import { arrivalsOf, call, commands, messageOf, onSyncEvent } from "../ipc";
import { useDebounced, useLeadPages } from "./useLeadPages";
import { LeadDetailPane } from "../lead/LeadDetail";
import { ExportBar } from "../export/ExportBar";
import { Settings } from "../settings/Settings";
import { Connections } from "../connections/Connections";
import { SampleOffer } from "../vault/SampleOffer";

export const STATUSES: LeadStatus[] = ["new", "contacted", "qualified", "won", "lost", "spam"];
const ROW_HEIGHT = 44;

type Filters = Omit<ViewQuery, "search">;
const NO_FILTERS: Filters = { status: null, source: null, owner: null, tag: null, since: null, until: null, sort: "newest" };

/** Whether this start's first painted rows were reported. */
let firstRowsReported = false;

type InboxProps = {
  offerSamples: boolean;
  /** The demo's vault is open (simulated providers), not the real one. */
  demo?: boolean;
  /** The vault changed: demo mode switched on or off. */
  onVault?: (s: VaultState) => void;
};

export function Inbox({ offerSamples, demo = false, onVault }: InboxProps) {
  const [searchText, setSearchText] = useState("");
  const search = useDebounced(searchText, 250);
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const query: ViewQuery = useMemo(() => ({ ...filters, search: search.trim() || null }), [filters, search]);
  const pages = useLeadPages(query);
  const [active, setActive] = useState(0);
  const [openId, setOpenId] = useState<string | null>(null);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [notice, setNotice] = useState<string | null>(null);
  const [showSettings, setShowSettings] = useState(false);
  const [showConnections, setShowConnections] = useState(false);
  const [showOffer, setShowOffer] = useState(offerSamples);
  /** What the last background sync brought, shown until dismissed or 15 s pass. */
  const [arrivals, setArrivals] = useState<string | null>(null);
  const [switching, setSwitching] = useState(false);

  async function switchDemo(on: boolean) {
    setSwitching(true);
    setNotice(on ? "Starting the simulated providers…" : null);
    try {
      onVault?.(await call(on ? commands.startDemo() : commands.stopDemo()));
    } catch (e) {
      setNotice(messageOf(e));
      setSwitching(false);
    }
  }
  const scroller = useRef<HTMLDivElement>(null);
  const reloadRef = useRef(pages.reload);
  reloadRef.current = pages.reload;

  useEffect(
    () =>
      onSyncEvent((e) => {
        const text = arrivalsOf(e);
        if (!text) return;
        setArrivals(text);
        reloadRef.current();
      }),
    [],
  );
  useEffect(() => {
    if (!arrivals) return;
    const t = setTimeout(() => setArrivals(null), 15000);
    return () => clearTimeout(t);
  }, [arrivals]);

  const count = pages.leads.length + (pages.hasMore ? 1 : 0);

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
  });
  const items = virtual.getVirtualItems();
  const lastIndex = items.length ? items[items.length - 1].index : 0;

  // Fetch the next page when the loader row comes into view.
  useEffect(() => {
    if (pages.hasMore && lastIndex >= pages.leads.length - 20) pages.loadMore();
  }, [lastIndex, pages.hasMore, pages.leads.length, pages.loadMore]);

  // A new view: back to the top, nothing selected.
  useEffect(() => {
    setActive(0);
    setSelected(new Set());
    virtual.scrollToOffset(0);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [JSON.stringify(query)]);

  function move(by: number) {
    const i = Math.max(0, Math.min(pages.leads.length - 1, active + by));
    setActive(i);
    virtual.scrollToIndex(i, { align: "auto" });
    if (openId && pages.leads[i]) setOpenId(pages.leads[i].id);
  }

  function onKeyDown(e: React.KeyboardEvent) {
    const target = e.target as HTMLElement;
    if (target.tagName === "INPUT" || target.tagName === "SELECT" || target.tagName === "TEXTAREA") {
      if (e.key === "Escape") target.blur();
      return;
    }
    if (e.key === "ArrowDown" || e.key === "j") {
      e.preventDefault();
      move(1);
    } else if (e.key === "ArrowUp" || e.key === "k") {
      e.preventDefault();
      move(-1);
    } else if (e.key === "Enter" && pages.leads[active]) {
      setOpenId(pages.leads[active].id);
    } else if (e.key === "Escape") {
      setOpenId(null);
    }
  }

  async function bulk(change: LeadChange) {
    const ids = [...selected];
    try {
      const r = await call(commands.updateLeads(ids, change));
      setNotice(`Updated ${r.updated} lead${r.updated === 1 ? "" : "s"}.`);
      setSelected(new Set());
      pages.reload();
    } catch (e) {
      setNotice(messageOf(e));
    }
  }

  const setFilter = (k: keyof Filters, v: string) => setFilters((f) => ({ ...f, [k]: v === "" ? null : v }));

  return (
    <div className="app" onKeyDown={onKeyDown} tabIndex={-1}>
      <header className="toolbar">
        <input
          className="search"
          type="search"
          name="search"
          placeholder="Search names, emails, phones, companies, notes"
          value={searchText}
          onChange={(e) => setSearchText(e.target.value)}
          aria-label="Search"
        />
        <select aria-label="Sort" value={filters.sort} onChange={(e) => setFilters((f) => ({ ...f, sort: e.target.value as LeadSort }))}>
          <option value="newest">Newest first</option>
          <option value="oldest">Oldest first</option>
          <option value="score_high">Highest score</option>
        </select>
        <ExportBar query={query} total={pages.counts?.total ?? null} />
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
      <nav className="statuses" aria-label="Status">
        <button className={filters.status === null ? "on" : ""} onClick={() => setFilter("status", "")}>
          All <span className="count">{pages.counts ? pages.counts.by_status.reduce((a, c) => a + c.count, 0) : "…"}</span>
        </button>
        {STATUSES.map((s) => (
          <button key={s} className={filters.status === s ? "on" : ""} data-status={s} onClick={() => setFilter("status", s)}>
            {s} <span className="count">{pages.counts?.by_status.find((c) => c.status === s)?.count ?? "…"}</span>
          </button>
        ))}
      </nav>
      <div className="filters">
        <input aria-label="Source" placeholder="Source" value={filters.source ?? ""} onChange={(e) => setFilter("source", e.target.value)} />
        <input aria-label="Owner" placeholder="Owner" value={filters.owner ?? ""} onChange={(e) => setFilter("owner", e.target.value)} />
        <input aria-label="Tag" placeholder="Tag" value={filters.tag ?? ""} onChange={(e) => setFilter("tag", e.target.value)} />
        <label>
          From <input type="date" aria-label="From" value={filters.since ?? ""} onChange={(e) => setFilter("since", e.target.value)} />
        </label>
        <label>
          To <input type="date" aria-label="To" value={filters.until ?? ""} onChange={(e) => setFilter("until", e.target.value)} />
        </label>
        {JSON.stringify(filters) !== JSON.stringify(NO_FILTERS) && <button onClick={() => setFilters(NO_FILTERS)}>Clear filters</button>}
      </div>
      {showOffer && (
        <SampleOffer
          onDone={(msg) => {
            setShowOffer(false);
            if (msg) setNotice(msg);
            pages.reload();
          }}
        />
      )}
      {selected.size > 0 && <BulkBar count={selected.size} onApply={bulk} onClear={() => setSelected(new Set())} />}
      {arrivals && (
        <p className="toast" role="status" data-testid="arrivals">
          {arrivals}{" "}
          <button aria-label="Dismiss" onClick={() => setArrivals(null)}>
            ✕
          </button>
        </p>
      )}
      {(notice || pages.error) && (
        <p className={pages.error ? "error" : "notice"} role={pages.error ? "alert" : "status"}>
          {pages.error ?? notice}
        </p>
      )}
      <div className="body">
        <div className="list" ref={scroller} data-testid="lead-list">
          {pages.leads.length === 0 && !pages.loading && !pages.error && (
            <p className="muted empty">{query.search ? "No leads match this search." : "No leads in this view."}</p>
          )}
          <div style={{ height: virtual.getTotalSize(), position: "relative" }}>
            {items.map((item) => {
              const lead = pages.leads[item.index];
              const style = { position: "absolute" as const, top: 0, left: 0, right: 0, height: item.size, transform: `translateY(${item.start}px)` };
              if (!lead)
                return (
                  <div key="loader" className="row loader" style={style}>
                    Loading…
                  </div>
                );
              return (
                <div
                  key={lead.id}
                  className={`row${item.index === active ? " active" : ""}${lead.id === openId ? " open" : ""}`}
                  style={style}
                  data-lead-id={lead.id}
                  onClick={() => {
                    setActive(item.index);
                    setOpenId(lead.id);
                  }}
                >
                  <input
                    type="checkbox"
                    aria-label="Select"
                    checked={selected.has(lead.id)}
                    onClick={(e) => e.stopPropagation()}
                    onChange={(e) =>
                      setSelected((s) => {
                        const n = new Set(s);
                        if (e.target.checked) n.add(lead.id);
                        else n.delete(lead.id);
                        return n;
                      })
                    }
                  />
                  <span className="name">{lead.full_name ?? lead.email ?? lead.phone ?? lead.id}</span>
                  <span className="company muted">{lead.company ?? ""}</span>
                  <span className={`status status-${lead.status}`}>{lead.status}</span>
                  <span className="owner muted">{lead.owner ?? ""}</span>
                  <span className="tags">{lead.tags.map((t) => <span key={t} className="tag">{t}</span>)}</span>
                  <span className="date muted">{lead.created_at.slice(0, 10)}</span>
                </div>
              );
            })}
          </div>
        </div>
        {openId && (
          <LeadDetailPane
            id={openId}
            onClose={() => setOpenId(null)}
            onChanged={(lead) => {
              pages.replace(lead);
              void call(commands.countByStatus(query)).catch(() => undefined);
            }}
          />
        )}
      </div>
      {showSettings && <Settings onClose={() => setShowSettings(false)} />}
      {showConnections && <Connections onClose={() => setShowConnections(false)} onSynced={() => pages.reload()} />}
    </div>
  );
}

function BulkBar({ count, onApply, onClear }: { count: number; onApply: (c: LeadChange) => void; onClear: () => void }) {
  const [owner, setOwner] = useState("");
  const [tag, setTag] = useState("");
  const empty: LeadChange = { status: null, owner: null, add_tags: [], remove_tags: [], note: null };
  return (
    <div className="bulk" role="region" aria-label="Bulk changes">
      <strong>{count} selected</strong>
      <select aria-label="Set status" value="" onChange={(e) => e.target.value && onApply({ ...empty, status: e.target.value as LeadStatus })}>
        <option value="">Set status…</option>
        {STATUSES.map((s) => (
          <option key={s} value={s}>
            {s}
          </option>
        ))}
      </select>
      <form onSubmit={(e) => (e.preventDefault(), onApply({ ...empty, owner }))}>
        <input aria-label="New owner" placeholder="Owner (empty clears)" value={owner} onChange={(e) => setOwner(e.target.value)} />
        <button type="submit">Set owner</button>
      </form>
      <form onSubmit={(e) => (e.preventDefault(), tag.trim() && onApply({ ...empty, add_tags: [tag] }))}>
        <input aria-label="Tag to add" placeholder="Tag" value={tag} onChange={(e) => setTag(e.target.value)} />
        <button type="submit">Add tag</button>
      </form>
      <button onClick={onClear}>Clear selection</button>
    </div>
  );
}
