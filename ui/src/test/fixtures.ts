// Leads and results shaped exactly as the generated bindings say, for mocked IPC.
import type { Lead, LeadDetail, StatusCounts } from "../bindings";

export function lead(i: number, over: Partial<Lead> = {}): Lead {
  return {
    id: `01LEAD${String(i).padStart(6, "0")}`,
    source: "sample",
    external_id: `sample-${i}`,
    created_at: "2026-11-01T10:00:00Z",
    updated_at: "2026-11-01T10:00:00Z",
    full_name: `Person ${i}`,
    email: `person${i}@example.com`,
    phone: null,
    company: null,
    status: "new",
    owner: null,
    tags: ["sample"],
    score: null,
    ad_id: null,
    ad_name: null,
    adset_id: null,
    adset_name: null,
    campaign_id: null,
    campaign_name: "Spring promo",
    form_id: null,
    form_name: null,
    platform: null,
    is_organic: null,
    fields: { budget: "under $1,000" },
    ...over,
  } as Lead;
}

export function detail(l: Lead): LeadDetail {
  return { ...l, notes: [], timeline: [{ at: l.created_at, kind: "created", detail: null }] } as LeadDetail;
}

export function counts(n: number): StatusCounts {
  return {
    total: n,
    by_status: [
      { status: "new", count: n },
      { status: "contacted", count: 0 },
      { status: "qualified", count: 0 },
      { status: "won", count: 0 },
      { status: "lost", count: 0 },
      { status: "spam", count: 0 },
    ],
  };
}

export const ok = <T,>(data: T) => Promise.resolve({ status: "ok" as const, data });
export const err = (code: string, message: string) => Promise.resolve({ status: "error" as const, error: { code, message } });
