import { afterEach, describe, expect, it, vi } from "vitest";

afterEach(() => {
  vi.unstubAllGlobals();
  vi.resetModules();
});

describe("counts", () => {
  it("separate thousands even where the window's locale does not (WebKit started under LANG=C)", async () => {
    const real = Intl;
    vi.stubGlobal("Intl", { ...real, NumberFormat: function () { return { format: (n: number) => String(n) }; } });
    vi.resetModules();
    const { formatCount } = await import("./format");
    vi.unstubAllGlobals();
    expect(formatCount(200000)).toBe("200,000");
    expect(formatCount(12)).toBe("12");
  });

  it("follow the locale where it separates them", async () => {
    const { formatCount } = await import("./format");
    expect(formatCount(200000)).toBe((200000).toLocaleString());
  });
});

describe("plural", () => {
  it("counts with the word for one or for many after it", async () => {
    const { plural, formatCount } = await import("./format");
    expect(plural(1, "lead", "leads")).toBe("1 lead");
    expect(plural(0, "new lead", "new leads")).toBe("0 new leads");
    expect(plural(2000, "lead", "leads")).toBe(`${formatCount(2000)} leads`);
  });
});

describe("times", () => {
  it("write a moment's day as the list does, with its hours and minutes on a 24-hour clock", async () => {
    const { localTime } = await import("./format");
    for (const iso of ["2026-11-24T16:08:37Z", "2026-01-02T03:04:05Z", "2026-12-31T23:59:59.999Z"]) {
      const d = new Date(iso);
      const pad = (n: number) => String(n).padStart(2, "0");
      const want = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
      expect(localTime(iso)).toBe(want);
    }
  });
});

describe("messages", () => {
  it("begin with a capital, except where they begin with a file's name or path", async () => {
    const { sentence } = await import("./format");
    expect(sentence("this passphrase does not open the vault (the key does not match this database); check it and try again")).toBe(
      "This passphrase does not open the vault (the key does not match this database); check it and try again",
    );
    expect(sentence("the vault is busy")).toBe("The vault is busy");
    expect(sentence("no OS keychain is available: unlock your keyring")).toBe("No OS keychain is available: unlock your keyring");
    // As they were written: a path (it read "/Tmp/h4/bad.csv" under a ::first-letter rule), a
    // file's name, a provider's, a quoted value.
    for (const kept of [
      '/tmp/h4/bad.csv: line 3: column "email" does not hold a valid email address',
      "leads.csv: line 3: not a date",
      "HubSpot refused the credentials",
      "'x' is not a status",
      "",
    ])
      expect(sentence(kept)).toBe(kept);
  });
});
