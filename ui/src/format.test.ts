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
