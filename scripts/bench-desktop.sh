#!/usr/bin/env bash
# The desktop launch benchmark (not a test): with N leads (default 1,000,000) in a vault whose
# key is in the keychain (so the window opens straight to the inbox, as on a second start), the
# time from launching the release app to the inbox's first rows painted, and the memory of the
# window: the app's process and its WebKit processes, resident set sizes summed.
#
#   ./scripts/bench-desktop.sh [--leads N] [--runs N] [--fresh]
#
# The vault (and the throwaway keyring holding its key) is kept under target/bench-data/ for the
# next run with the same N and the same migrations (importing a million leads takes one to two
# minutes); --fresh imports again.
#
# "First rows painted": the inbox reports, two animation frames after its first page is in the
# DOM, through the first_rows_painted command; with LEADVAULT_BENCH_STARTUP set the app prints
# the wall-clock time of that moment, and the launch time is measured from just before exec.
# It runs in a private D-Bus session, with a keyring of its own (password "bench") and a private
# Xvfb display.
#
# The reference, measured in the same run on the same display: the same Tauri shell and window
# with a blank page and no vault (the blank-window example, src-tauri/examples/), its memory
# 3 s after its page has loaded. It is what any window of this stack costs on this machine.
set -euo pipefail
cd "$(dirname "$0")/.."

leads=1000000
runs=5
fresh=""
while [ $# -gt 0 ]; do
  case "$1" in
    --leads) leads="${2:?--leads needs a number}"; shift 2 ;;
    --runs) runs="${2:?--runs needs a number}"; shift 2 ;;
    --fresh) fresh=1; shift ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "error: unknown argument $1; see --help" >&2; exit 1 ;;
  esac
done
case "$leads$runs" in *[!0-9]*) echo "error: --leads and --runs take whole numbers" >&2; exit 1 ;; esac

if [ -z "${LEADVAULT_BENCH_IN_SESSION:-}" ]; then
  bash scripts/setup.sh
  (cd ui && npm run --silent build)
  cargo build --quiet --release --locked -p leadvault-desktop --features custom-protocol --bins --example blank-window
  cargo build --quiet --release --locked -p leadvault-cli -p leadvault-bench
  # The kept vault: one per lead count and set of migrations (a vault from older migrations
  # would be updated at the first launch, and that launch timed with the update).
  migrations="$(cat crates/core/migrations/*.sql | sha256sum | cut -c1-12)"
  export LEADVAULT_BENCH_KEPT="target/bench-data/desktop-vault-$leads-$migrations"
  [ -n "$fresh" ] && rm -rf "$LEADVAULT_BENCH_KEPT"
  mkdir -p "$LEADVAULT_BENCH_KEPT/keyring"
  # The keyring (its password "bench") lives beside the vault, so the key is there next time.
  export LEADVAULT_BENCH_IN_SESSION=1 XDG_DATA_HOME="$PWD/$LEADVAULT_BENCH_KEPT/keyring"
  exec dbus-run-session -- bash "$0" --leads "$leads" --runs "$runs"
fi

echo -n bench | gnome-keyring-daemon --unlock --components=secrets >/dev/null
work="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

say() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }

export LEADVAULT_DATA_DIR="$LEADVAULT_BENCH_KEPT/data"
if [ -e "$LEADVAULT_BENCH_KEPT/imported" ] && target/release/leadvault leads list --limit 1 >/dev/null 2>&1; then
  say "reusing the vault of $leads leads in $LEADVAULT_BENCH_KEPT (--fresh imports again)"
else
  rm -rf "$LEADVAULT_DATA_DIR" "$LEADVAULT_BENCH_KEPT/imported"
  csv="$(target/release/leadvault-bench --generate-only --leads "$leads")"
  target/release/leadvault init >/dev/null
  say "importing $leads leads into a keychain vault"
  target/release/leadvault import "$csv" >/dev/null
  touch "$LEADVAULT_BENCH_KEPT/imported"
fi

display=99
while [ -e "/tmp/.X11-unix/X$display" ] || [ -e "/tmp/.X$display-lock" ]; do display=$((display + 1)); done
Xvfb ":$display" -screen 0 1280x800x24 -nolisten tcp >"$work/xvfb.log" 2>&1 &
pids+=($!)
export DISPLAY=":$display"
for _ in $(seq 50); do xdpyinfo >/dev/null 2>&1 && break; sleep 0.1; done

# Resident memory (KiB) of a process and every process under it: "<app> <webkit and others>".
tree_rss() {
  ps -e -o pid=,ppid=,rss= | awk -v root="$1" '
    { parent[$1] = $2; rss[$1] = $3 }
    END {
      for (p in parent) {
        q = p
        while (q != "" && q != root && q != 0 && q != 1) q = parent[q]
        if (q == root) { if (p == root) app += rss[p]; else kids += rss[p] }
      }
      printf "%d %d\n", app, kids
    }'
}

# Proportional set size and anonymous memory (KiB) of the same tree: "<pss> <anonymous>". PSS
# counts shared libraries once, split among the processes mapping them (RSS counts WebKit's
# libraries in every process); anonymous memory is each process's own (heaps, caches, stacks),
# the rest of RSS being pages of files (libraries, the binary) that the system can drop and
# read again.
tree_rollup() {
  local pss=0 anon=0 p kb
  for p in $(ps -e -o pid=,ppid= | awk -v root="$1" '
      { parent[$1] = $2 }
      END { for (p in parent) { q = p; while (q != "" && q != root && q != 0 && q != 1) q = parent[q]; if (q == root) print p } }'); do
    read -r kb a < <(awk '/^Pss:/ { p = $2 } /^Anonymous:/ { a = $2 } END { print p + 0, a + 0 }' "/proc/$p/smaps_rollup" 2>/dev/null || echo "0 0")
    pss=$((pss + ${kb:-0})); anon=$((anon + ${a:-0}))
  done
  echo "$pss $anon"
}

# The moment a launched process printed "<prefix> epoch_ms=<ms>" in its output file: waits up
# to 30 s for it, else says what did not happen, with the end of the output, and stops it.
epoch_of() {
  local prefix="$1" out="$2" pid="$3" what="$4" ms=""
  for _ in $(seq 600); do
    ms="$(sed -n "s/^$prefix epoch_ms=\([0-9]*\).*/\1/p" "$out")"
    [ -n "$ms" ] && echo "$ms" && return 0
    sleep 0.05
  done
  echo "error: $what within 30 s" >&2
  tail -n 20 "$out" >&2
  kill "$pid" 2>/dev/null || true
  return 1
}

results=()
for run in $(seq "$runs"); do
  out="$work/run$run.out"
  start_ms="$(date +%s%3N)"
  LEADVAULT_BENCH_STARTUP=1 target/release/leadvault-desktop >"$out" 2>&1 &
  app=$!
  painted="$(epoch_of first-rows-painted "$out" "$app" "run $run: the window did not report its first rows")" || exit 1
  read -r app_now kids_now < <(tree_rss "$app")
  sleep 3
  read -r app_later kids_later < <(tree_rss "$app")
  read -r pss_later anon_later < <(tree_rollup "$app")
  kill "$app" 2>/dev/null || true
  wait "$app" 2>/dev/null || true
  launch=$((painted - start_ms))
  say "run $run: first rows after $launch ms; RSS app $((app_now / 1024)) MiB + WebKit $((kids_now / 1024)) MiB, 3 s later $(((app_later + kids_later) / 1024)) MiB (PSS $((pss_later / 1024)) MiB, anonymous $((anon_later / 1024)) MiB)"
  results+=("$launch $(((app_now + kids_now) / 1024)) $(((app_later + kids_later) / 1024)) $((app_later / 1024)) $((kids_later / 1024)) $((pss_later / 1024)) $((anon_later / 1024))")
  sleep 1
done

# The reference: the blank window, as many launches, each measured 3 s after its page loaded.
blank=()
for run in $(seq "$runs"); do
  out="$work/blank$run.out"
  target/release/examples/blank-window >"$out" 2>&1 &
  ref=$!
  epoch_of blank-page-loaded "$out" "$ref" "the blank reference window did not load its page" >/dev/null || exit 1
  sleep 3
  read -r ref_app ref_kids < <(tree_rss "$ref")
  read -r ref_pss ref_anon < <(tree_rollup "$ref")
  kill "$ref" 2>/dev/null || true
  wait "$ref" 2>/dev/null || true
  say "reference run $run (blank window): RSS $(((ref_app + ref_kids) / 1024)) MiB (app $((ref_app / 1024)), WebKit $((ref_kids / 1024))), PSS $((ref_pss / 1024)) MiB, anonymous $((ref_anon / 1024)) MiB"
  blank+=("$(((ref_app + ref_kids) / 1024)) $((ref_pss / 1024)) $((ref_anon / 1024))")
  sleep 1
done

{ printf 'app %s\n' "${results[@]}"; printf 'blank %s\n' "${blank[@]}"; } | awk -v leads="$leads" -v runs="$runs" '
  $1 == "app" { n++; launch[n] = $2; now[n] = $3; later[n] = $4; app[n] = $5; kids[n] = $6; pss[n] = $7; anon[n] = $8 }
  $1 == "blank" { b++; brss[b] = $2; bpss[b] = $3; banon[b] = $4 }
  function median(a, n,   i, j, t, b) {
    for (i = 1; i <= n; i++) b[i] = a[i]
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (b[j] < b[i]) { t = b[i]; b[i] = b[j]; b[j] = t }
    return (n % 2) ? b[(n + 1) / 2] : (b[n / 2] + b[n / 2 + 1]) / 2
  }
  END {
    printf "\nLeadvault desktop launch: %d leads, %d runs (release build, Xvfb, keychain vault)\n\n", leads, runs
    printf "%-44s | %8s | %8s | %s\n", "metric", "median", "max", "target"
    printf "%-44s-+-%8s-+-%8s-+-%s\n", "--------------------------------------------", "--------", "--------", "------"
    ml = median(launch, n); mm = median(later, n); xl = 0; xm = 0; xn = 0
    for (i = 1; i <= n; i++) {
      if (launch[i] > xl) xl = launch[i]; if (later[i] > xm) xm = later[i]; if (now[i] > xn) xn = now[i]
    }
    br = median(brss, b); bp = median(bpss, b); ba = median(banon, b)
    printf "%-44s | %8d | %8d | <= 1500 ms %s\n", "launch to first rows painted, ms", ml, xl, (ml <= 1500 ? "met" : "NOT MET")
    printf "%-44s | %8d | %8d |\n", "RSS at first paint, MiB (app + WebKit)", median(now, n), xn
    printf "%-44s | %8d | %8d | <= 250 MiB %s\n", "RSS 3 s later, MiB (app + WebKit)", mm, xm, (mm <= 250 ? "met" : "NOT MET")
    printf "%-44s | %8d |          |\n", "  of which the app process", median(app, n)
    printf "%-44s | %8d |          |\n", "  of which WebKit (web + network processes)", median(kids, n)
    printf "%-44s | %8d |          | (shared libraries counted once)\n", "PSS 3 s later, MiB (app + WebKit)", median(pss, n)
    printf "%-44s | %8d |          | (the rest of RSS: pages of files)\n", "anonymous 3 s later, MiB (app + WebKit)", median(anon, n)
    printf "\nReference, same run and display: the same Tauri shell and window with a blank page, no vault\n\n"
    printf "%-44s | %8s | %8s | %s\n", "memory 3 s after, MiB (median)", "blank", "app", "app - blank (ratio)"
    printf "%-44s-+-%8s-+-%8s-+-%s\n", "--------------------------------------------", "--------", "--------", "-------------------"
    printf "%-44s | %8d | %8d | %+d (%.2fx)\n", "RSS (app + WebKit)", br, mm, mm - br, (br ? mm / br : 0)
    printf "%-44s | %8d | %8d | %+d (%.2fx)\n", "PSS (shared libraries counted once)", bp, median(pss, n), median(pss, n) - bp, (bp ? median(pss, n) / bp : 0)
    printf "%-44s | %8d | %8d | %+d (%.2fx)\n", "anonymous", ba, median(anon, n), median(anon, n) - ba, (ba ? median(anon, n) / ba : 0)
    if (br > 250) printf "\nThe blank window alone is %d MiB resident here, above the 250 MiB target.\n", br
  }'
