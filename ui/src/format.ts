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

/** A moment in the user's time zone, its day written as the list writes it (and the date filters
 *  count it) and its time of day on a 24-hour clock: "2026-11-24 16:08". */
export function localTime(iso: string): string {
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A message as a sentence, its first letter a capital: the vault's errors are written in lower
 *  case, as the command line prints them after "error: " ("this passphrase does not open the
 *  vault…"). One that begins with a file's name or path ("leads.csv: line 3…", "/home/…") or
 *  any other word not plainly a word is kept as it is. */
export function sentence(message: string): string {
  const first = message.split(/\s/, 1)[0];
  return /^[a-z][a-z'’-]*[,;:]?$/.test(first) ? message[0].toUpperCase() + message.slice(1) : message;
}
