// What the stylesheet does for people who read the window closely or drive it by keyboard:
// contrast of secondary text, the list's cursor and the focus ring.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { render } from "@testing-library/react";
import { readFileSync } from "node:fs";
import { DateFilter } from "./inbox/Inbox";

let style: HTMLStyleElement;
beforeEach(() => {
  style = document.createElement("style");
  style.textContent = readFileSync(`${import.meta.dirname}/styles.css`, "utf8");
  document.head.append(style);
});
afterEach(() => style.remove());

/** "rgb(r, g, b)" or "#rrggbb" to [r, g, b]. */
function rgb(c: string): number[] {
  const hex = /^#([0-9a-f]{6})$/i.exec(c);
  if (hex) return [0, 2, 4].map((i) => parseInt(hex[1].slice(i, i + 2), 16));
  return (c.match(/\d+/g) ?? []).slice(0, 3).map(Number);
}

/** WCAG 2 contrast ratio. */
function contrast(a: string, b: string): number {
  const lum = (c: string) => {
    const [r, g, bl] = rgb(c).map((v) => {
      const s = v / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/** The list's columns in a list `width` px wide, and how wide each is (less the row's padding
 *  and gaps). jsdom lays nothing out: the list's container rules are applied here by its width,
 *  as WebKit does, to the widths the stylesheet gives its grid's tracks. */
let parsed: CSSRule[] | null = null;
function columns(width: number): Map<string, number> {
  if (!parsed) {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(readFileSync(`${import.meta.dirname}/styles.css`, "utf8"));
    parsed = Array.from(sheet.cssRules);
  }
  const all = parsed;
  let template = all.find((r): r is CSSStyleRule => r instanceof CSSStyleRule && r.selectorText === ".row")!.style
    .gridTemplateColumns;
  const hidden = new Set<string>();
  for (const r of all) {
    const max = /^@container \(max-width: (\d+)px\)/.exec(r.cssText);
    if (!max || width > Number(max[1])) continue;
    for (const inner of Array.from((r as CSSGroupingRule).cssRules) as CSSStyleRule[]) {
      if (inner.selectorText === ".row" && inner.style.gridTemplateColumns) template = inner.style.gridTemplateColumns;
      if (inner.style.display === "none") for (const m of inner.selectorText.matchAll(/\.row > \.(\w+)/g)) hidden.add(m[1]);
    }
  }
  const shown = CELLS.filter((c) => !hidden.has(c));
  const tracks = template.split(" ");
  expect(tracks.length).toBe(shown.length);
  const fixed = tracks.filter((t) => t.endsWith("px")).reduce((a, t) => a + parseFloat(t), 0);
  const fr = tracks.filter((t) => t.endsWith("fr")).reduce((a, t) => a + parseFloat(t), 0);
  const perFr = (width - 24 - 8 * (tracks.length - 1) - fixed) / fr;
  return new Map(shown.map((c, i) => [c, tracks[i].endsWith("px") ? parseFloat(tracks[i]) : parseFloat(tracks[i]) * perFr]));
}
const CELLS = ["pick", "name", "contact", "company", "status", "owner", "tags", "date"];
// maria.gonzalez@company.co.uk, 28 characters, is 228 px wide in the list's 14 px DejaVu Sans.
const EMAIL = 240;

describe("the stylesheet", () => {
  it("keeps secondary text at 4.5:1 or more on the cursor's row, the bulk bar and the column headings", () => {
    const { container } = render(
      <div className="app">
        <div className="bulk">
          <span className="muted">Applying…</span>
        </div>
        <div className="list">
          <div className="row head">Name</div>
          <div className="row active">
            <span className="contact muted">maya@example.com</span>
          </div>
        </div>
      </div>,
    );
    const color = (sel: string) => getComputedStyle(container.querySelector(sel)!).color;
    const background = (sel: string) => getComputedStyle(container.querySelector(sel)!).backgroundColor;
    expect(contrast(color(".row.active .muted"), background(".row.active"))).toBeGreaterThanOrEqual(4.5);
    expect(contrast(color(".bulk .muted"), background(".bulk"))).toBeGreaterThanOrEqual(4.5);
    expect(contrast(color(".row.head"), background(".row.head"))).toBeGreaterThanOrEqual(4.5);
  });

  it("outlines the cursor's row, open or not, where a pale tint alone marked it", () => {
    const { container } = render(
      <div className="list">
        <div className="row active" data-testid="a" />
        <div className="row active open" data-testid="b" />
      </div>,
    );
    for (const row of container.querySelectorAll(".row"))
      expect(getComputedStyle(row).boxShadow).toMatch(/inset 0 0 0 2px #1f4e79/);
  });

  it("draws a focus ring that stands out on the white bars and on the dark toolbar", () => {
    // jsdom does not match :focus-visible: the rules are read as the stylesheet states them.
    const rules = Array.from(style.sheet!.cssRules).filter((r): r is CSSStyleRule => r instanceof CSSStyleRule);
    const rule = (sel: string) => rules.find((r) => r.selectorText === sel)?.style;
    const { container } = render(<header className="toolbar" />);
    const toolbar = getComputedStyle(container.querySelector(".toolbar")!).backgroundColor;
    const ring = rule(":focus-visible");
    expect(ring?.outlineStyle).toBe("solid");
    expect(contrast(ring!.outlineColor, "#ffffff")).toBeGreaterThanOrEqual(3);
    expect(contrast(rule(".toolbar :focus-visible")?.outlineColor || ring!.outlineColor, toolbar)).toBeGreaterThanOrEqual(3);
  });

  it("shows an empty date filter as 'any date' from the first paint, not WebKit's greyed date of today", () => {
    // WebKit's month, day and year boxes keep their own grey whatever ::-webkit-datetime-edit is
    // given: the field's own text is hidden (which they inherit), and "any date" stands over it.
    const { container } = render(
      <div className="filters">
        <DateFilter label="From" value={null} onChange={() => {}} />
        <DateFilter label="To" value="2026-11-03" onChange={() => {}} />
      </div>,
    );
    const [from, to] = Array.from(container.querySelectorAll<HTMLInputElement>("input[type=date]"));
    const fill = (el: Element) => getComputedStyle(el).getPropertyValue("-webkit-text-fill-color");
    expect(fill(from)).toBe("rgba(0, 0, 0, 0)");
    const any = from.parentElement!.querySelector(".any-date")!;
    expect(any.textContent).toBe("any date");
    expect(any.getAttribute("aria-hidden")).toBe("true");
    // Said once, with the field's name, by a screen reader (not as text of its own beside it).
    expect(from.getAttribute("aria-describedby")).toBe(any.id);
    expect(to.getAttribute("aria-describedby")).toBeNull();
    expect(contrast(getComputedStyle(any).color, "#ffffff")).toBeGreaterThanOrEqual(4.5);
    // A picked day shows as WebKit draws it.
    expect(fill(to)).not.toBe("rgba(0, 0, 0, 0)");
    expect(to.parentElement!.querySelector(".any-date")).toBeNull();
    // Focused, the field is WebKit's to type in: "any date" gives way to its boxes.
    const rules = Array.from(style.sheet!.cssRules).filter((r): r is CSSStyleRule => r instanceof CSSStyleRule);
    expect(rules.find((r) => r.selectorText === ".date-filter:focus-within .any-date")?.style.display).toBe("none");
    expect(rules.some((r) => /input\[data-empty\]:not\(:focus\)$/.test(r.selectorText))).toBe(true);
  });

  it("keeps an earlier view's counts at 4.5:1 while the new view's are counted, marked otherwise than by fading", () => {
    const { container } = render(
      <nav className="statuses stale">
        <button className="on">
          All <span className="count">1,200</span>
        </button>
        <button>
          new <span className="count">800</span>
        </button>
      </nav>,
    );
    for (const button of container.querySelectorAll("button")) {
      const count = button.querySelector(".count")!;
      const css = getComputedStyle(count);
      // What is drawn: the text's colour over its button, as faded as the count is.
      const alpha = Number(css.opacity || 1);
      const [fg, bg] = [rgb(css.color), rgb(getComputedStyle(button).backgroundColor)];
      const drawn = `rgb(${fg.map((c, i) => Math.round(c * alpha + bg[i] * (1 - alpha))).join(", ")})`;
      expect(contrast(drawn, getComputedStyle(button).backgroundColor)).toBeGreaterThanOrEqual(4.5);
      expect(css.fontStyle).toBe("italic");
    }
  });
});

describe("the list's columns", () => {
  it("keeps a lead's name readable in a narrow list (a 900 px window with the lead's pane open), dropping lesser columns", () => {
    // 900 px less the 380 px pane: name, contact and status stay, each name and contact at 150 px or more.
    const narrow = columns(520);
    expect([...narrow.keys()]).toEqual(expect.arrayContaining(["pick", "name", "contact", "status"]));
    expect(narrow.get("name")).toBeGreaterThanOrEqual(150);
    expect(narrow.get("contact")).toBeGreaterThanOrEqual(150);
    // A window 1024 px wide with the pane open: the date too (the company gives way to the email).
    const middle = columns(644);
    expect([...middle.keys()]).toEqual(["pick", "name", "contact", "status", "date"]);
    expect(middle.get("name")).toBeGreaterThanOrEqual(120);
    // Wide, every column.
    expect([...columns(1200).keys()]).toEqual(CELLS);
  });

  it("shows an ordinary email whole in a 900 px window with no lead open, where it was cut at 150 px", () => {
    // 900 px, less a scrollbar if one is drawn.
    for (const width of [885, 900]) {
      const shown = columns(width);
      expect(shown.get("contact")).toBeGreaterThanOrEqual(EMAIL);
      expect(shown.get("name")).toBeGreaterThanOrEqual(150);
      expect([...shown.keys()]).toEqual(["pick", "name", "contact", "company", "status", "owner", "date"]);
    }
  });

  it("shows an ordinary email whole in the window's first size (1200 px), where its column was 224 px", () => {
    for (const width of [1185, 1200, 1265, 1280]) {
      const shown = columns(width);
      expect([...shown.keys()]).toEqual(CELLS);
      expect(shown.get("contact")).toBeGreaterThanOrEqual(EMAIL);
      expect(shown.get("name")).toBeGreaterThanOrEqual(175);
    }
  });

  it("shows a name, a whole email, the status and the day at every window width from 1024 px, the lead's pane open or not", () => {
    // Where it cut the email at 219 px (a 1200 px window, the pane open) and 135 px (1024 px).
    const pane = (window: number) => Math.min(Math.max(380, 0.3 * window), 460);
    for (let window = 1024; window <= 1920; window++)
      for (const open of [false, true])
        for (const scrollbar of [0, 15]) {
          const width = window - (open ? pane(window) : 0) - scrollbar;
          const shown = columns(width);
          expect([...shown.keys()], `${window} px, pane ${open ? "open" : "closed"}`).toEqual(
            expect.arrayContaining(["pick", "name", "contact", "status", "date"]),
          );
          expect(shown.get("contact"), `${window} px, pane ${open ? "open" : "closed"}`).toBeGreaterThanOrEqual(EMAIL);
          expect(shown.get("name"), `${window} px, pane ${open ? "open" : "closed"}`).toBeGreaterThanOrEqual(125);
          // "contacted", its pill's padding with it, and 2026-11-24 (83 px) are never cut.
          expect(shown.get("status")).toBeGreaterThanOrEqual(76);
          expect(shown.get("date")).toBeGreaterThanOrEqual(86);
        }
  });

  it("keeps a 900 px window's columns with the lead's pane open", () => {
    // A 1280 px window with the 380 px pane open: the email whole there too.
    expect(columns(900).get("contact")).toBeGreaterThanOrEqual(EMAIL);
    // 900 px less the pane: name and contact at 150 px or more, as 45cb49e made them.
    const narrow = columns(520);
    expect([...narrow.keys()]).toEqual(["pick", "name", "contact", "status"]);
    expect(narrow.get("name")).toBeGreaterThanOrEqual(150);
    expect(narrow.get("contact")).toBeGreaterThanOrEqual(150);
  });
});

describe("controls and messages, as the real window showed them", () => {
  const rules = () => Array.from(style.sheet!.cssRules).filter((r): r is CSSStyleRule => r instanceof CSSStyleRule);

  it("sets a link in a sentence without a button's padding, which left wide gaps around it", () => {
    const { container } = render(
      <p className="muted empty">
        No leads match this search. <button className="link">Clear the search</button>
      </p>,
    );
    const link = getComputedStyle(container.querySelector("button.link")!);
    expect([link.paddingLeft, link.paddingRight, link.borderStyle]).toEqual(["0px", "0px", "none"]);
  });

  it("draws drop-downs flat and as tall as the buttons beside them, where WebKitGTK's were 34 px and shaded", () => {
    const { container } = render(
      <header className="toolbar">
        <select aria-label="Sort">
          <option>Newest first</option>
        </select>
        <button>Import…</button>
      </header>,
    );
    const select = getComputedStyle(container.querySelector("select")!);
    const button = getComputedStyle(container.querySelector("button")!);
    expect(select.getPropertyValue("-webkit-appearance") || select.getPropertyValue("appearance")).toBe("none");
    // Its arrow, drawn (jsdom keeps no data: image in the computed style: read from the rule).
    expect(rules().find((r) => r.selectorText === "select")?.style.backgroundImage).toMatch(/^url\("data:image\/svg\+xml/);
    expect(select.backgroundColor).toBe(button.backgroundColor);
    expect([select.paddingTop, select.paddingBottom, select.borderTopWidth, select.borderRadius]).toEqual([
      button.paddingTop,
      button.paddingBottom,
      button.borderTopWidth,
      button.borderRadius,
    ]);
    // The arrow has room: no option's text runs under it.
    expect(parseFloat(select.paddingRight)).toBeGreaterThanOrEqual(24);
  });

  it("keeps the first run's and the unlock screen's buttons as wide as their words, not the fields' width", () => {
    const { container } = render(
      <main className="setup">
        <form>
          <label>
            Passphrase <input />
          </label>
          <button type="submit">Unlock</button>
        </form>
      </main>,
    );
    expect(getComputedStyle(container.querySelector("button")!).alignSelf).toBe("flex-start");
    // The first run's card is 687 px high with a hint showing (measured in the real window):
    // with its margins, within the window's first 780 px, where it scrolled.
    const card = getComputedStyle(container.querySelector(".setup")!);
    expect(687 + parseFloat(card.marginTop) + parseFloat(card.marginBottom)).toBeLessThanOrEqual(780);
  });

  it("keeps the bulk bar on one line in a 1024 px window, its owner's placeholder whole, where 'Clear selection' went to a second line", () => {
    const { container } = render(
      <div className="bulk">
        <strong>2 selected</strong>
        <form>
          <input name="bulk-owner" aria-label="New owner" placeholder="Owner (empty clears)" />
          <button>Set owner</button>
        </form>
        <form>
          <input name="bulk-tag" aria-label="Tag to add" placeholder="Tag" />
          <button>Add tag</button>
        </form>
      </div>,
    );
    const width = (name: string) => parseFloat(getComputedStyle(container.querySelector(`input[name=${name}]`)!).width);
    // "Owner (empty clears)" is 153 px, and the field's padding and border 14 px.
    expect(width("bulk-owner")).toBeGreaterThanOrEqual(167);
    // The rest of the bar as the real window draws it: its padding, "2 selected", "Select all
    // 200 shown", "Set status…", "Set owner", "Add tag", "Clear selection".
    const bar = getComputedStyle(container.querySelector(".bulk")!);
    const form = getComputedStyle(container.querySelector(".bulk form")!);
    const others = [82, 163, 117, 86, 76, 129].reduce((a, b) => a + b, 0);
    const gaps = 6 * parseFloat(bar.gap) + 2 * parseFloat(form.gap);
    const padding = parseFloat(bar.paddingLeft) + parseFloat(bar.paddingRight);
    expect(padding + others + gaps + width("bulk-owner") + width("bulk-tag")).toBeLessThanOrEqual(1024);
  });

  it("keeps a dialog's button on one line ('Connect with this token' was squeezed into two)", () => {
    const { container } = render(
      <div className="modal-body">
        <form>
          <label>
            Or paste a private-app token (pat-…) <input />
          </label>
          <button>Connect with this token</button>
        </form>
      </div>,
    );
    expect(getComputedStyle(container.querySelector("button")!).whiteSpace).toBe("nowrap");
    // The label above its field, not running into it.
    expect(getComputedStyle(container.querySelector("label")!).flexDirection).toBe("column");
  });

  it("keeps the provider's name apart from its drop-down, the sign-in button on their line", () => {
    const { container } = render(
      <div className="modal-body">
        <div className="connect-with">
          <label>
            Provider <select />
          </label>
          <button>Sign in with HubSpot</button>
        </div>
      </div>,
    );
    const row = getComputedStyle(container.querySelector(".connect-with")!);
    const label = getComputedStyle(container.querySelector("label")!);
    expect([row.display, row.alignItems, label.display, label.alignItems]).toEqual(["flex", "center", "flex", "center"]);
    expect(parseFloat(label.gap)).toBeGreaterThanOrEqual(4);
  });

  it("lines the lead's status and owner up with its details above, and widens the pane in a wide window", () => {
    const { container } = render(
      <aside className="detail">
        <dl>
          <dt>Email</dt>
          <dd>maya@example.com</dd>
        </dl>
        <section className="edit">
          <label>
            Status <select />
          </label>
          <form>
            <label>
              Owner <input />
            </label>
            <button>Save owner</button>
          </form>
          <div className="tags-row">
            <span className="muted">Tags</span>
            <div className="tags" />
          </div>
        </section>
      </aside>,
    );
    const columns = getComputedStyle(container.querySelector("dl")!).gridTemplateColumns;
    // The names' column leaves the value 244 px in the narrowest (380 px) pane, room for
    // maya.nguyen195@example.com (about 235 px), which broke before its ".com" beside 110 px.
    expect(parseFloat(columns)).toBeLessThanOrEqual(96);
    for (const label of container.querySelectorAll(".edit label, .edit .tags-row")) {
      expect(getComputedStyle(label).display).toBe("grid");
      expect(getComputedStyle(label).gridTemplateColumns).toBe(columns);
    }
    // "Save owner" under its field: the label's column and the gap.
    const [name, gap] = [parseFloat(columns), parseFloat(getComputedStyle(container.querySelector(".edit label")!).gap)];
    expect(getComputedStyle(container.querySelector(".edit form > button")!).marginLeft).toBe(`${name + gap}px`);
    // 380 px up to a 1266 px window (as the list's columns expect), up to 460 px in a wider one,
    // where maya.nguyen195@example.com broke before its ".com".
    // (jsdom keeps no clamp(): read from the stylesheet's text.)
    const css = readFileSync(`${import.meta.dirname}/styles.css`, "utf8");
    expect(/^\.detail \{ width: ([^;]+);/m.exec(css)?.[1]).toBe("clamp(380px, 30vw, 460px)");
  });
});

describe("the export's progress on the toolbar", () => {
  it("shows how far it is, white on a track that stands out from the toolbar, where WebKitGTK's track was as dark as it", () => {
    // jsdom knows no ::-webkit-progress-*: the colours are read from the stylesheet's text.
    const css = readFileSync(`${import.meta.dirname}/styles.css`, "utf8");
    const colour = (sel: string) => new RegExp(`^${sel.replace(/[.:-]/g, "\\$&")} \\{[^}]*background: (#[0-9a-f]{6})`, "m").exec(css)?.[1];
    const track = colour(".export progress::-webkit-progress-bar")!;
    const value = colour(".export progress::-webkit-progress-value")!;
    const { container } = render(<header className="toolbar" />);
    const toolbar = getComputedStyle(container.querySelector(".toolbar")!).backgroundColor;
    expect(contrast(value, track)).toBeGreaterThanOrEqual(3);
    expect(contrast(track, toolbar)).toBeGreaterThanOrEqual(1.5);
    expect(contrast(value, toolbar)).toBeGreaterThanOrEqual(3);
  });
});
