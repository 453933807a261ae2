//! Import and export stream: ten times the leads must not take ten times the memory.
//! (Its own test binary: peak memory of child processes is per test process.)

mod common;

use common::Sandbox;

/// The peak resident memory, in KiB, of any child this process has waited for so far.
fn children_peak_kib() -> i64 {
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage only writes into the struct we own.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    assert_eq!(rc, 0);
    usage.ru_maxrss
}

fn write_leads(path: &std::path::Path, n: usize) {
    use std::io::Write;
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(f, "id,created_time,full_name,email,phone_number,city,what_is_your_budget?,notes").unwrap();
    for i in 0..n {
        writeln!(
            f,
            "{i},2026-10-{:02}T09:{:02}:00+0000,Person Number {i},person.{i}@example.com,+1 555 {:03} {:04},Springfield,$5k-10k,\"Prefers a call after five, asked about financing and a second quote\"",
            1 + i % 28,
            i % 60,
            i % 1000,
            i % 10000
        )
        .unwrap();
    }
}

#[test]
fn memory_stays_flat_from_20k_to_200k_leads() {
    let small = Sandbox::new();
    small.init();
    let big = Sandbox::new();
    big.init();
    write_leads(&small.path("leads.csv"), 20_000);
    write_leads(&big.path("leads.csv"), 200_000);

    // Children run one after another: the running maximum after the small runs is theirs.
    small.ok(&["import", small.path("leads.csv").to_str().unwrap()]);
    small.ok(&["export", "--out", small.path("out.csv").to_str().unwrap()]);
    small.ok(&["export", "--out", small.path("out.xlsx").to_str().unwrap()]);
    let small_peak = children_peak_kib();

    big.ok(&["import", big.path("leads.csv").to_str().unwrap()]);
    let after_import = children_peak_kib();
    big.ok(&["export", "--out", big.path("out.csv").to_str().unwrap()]);
    let after_export = children_peak_kib();
    big.ok(&["export", "--out", big.path("out.xlsx").to_str().unwrap()]);
    let after_xlsx = children_peak_kib();
    eprintln!(
        "peak RSS: 20k leads {} MiB; 200k import {} MiB, csv export {} MiB, xlsx export {} MiB",
        small_peak / 1024,
        after_import / 1024,
        after_export / 1024,
        after_xlsx / 1024
    );
    assert_eq!(csv::Reader::from_path(big.path("out.csv")).unwrap().records().count(), 200_000);
    // 180,000 more leads are well over 150 MiB as Rust values; holding them would show. What may
    // grow is SQLite's page cache, bounded at 32 MiB per connection (an export uses two), which
    // the small vault never fills.
    let allowance = 96 * 1024;
    for (what, peak) in [("import", after_import), ("csv export", after_export), ("xlsx export", after_xlsx)]
    {
        assert!(peak <= small_peak + allowance, "{what}: {peak} KiB at 200k vs {small_peak} KiB at 20k");
    }
}
