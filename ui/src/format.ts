// Counts as people read them, with thousands separated ("200,000", "200.000"), whatever the
// window's locale: WebKit started without a language (LANG=C) formats with none ("200000").
const grouped = (() => {
  try {
    return new Intl.NumberFormat().format(1000) !== "1000";
  } catch {
    return false;
  }
})();

/** `n` with its thousands separated, in the user's locale when it separates them. */
export function formatCount(n: number): string {
  return grouped ? n.toLocaleString() : n.toLocaleString("en-US");
}

/** `n` counted, then `one` or `many` after it: "1 lead", "2,000 leads". */
export function plural(n: number, one: string, many: string): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}
