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
