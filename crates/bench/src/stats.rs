//! Latency percentiles over a run of timings.

use serde::Serialize;

/// The median and 99th percentile of a run, in milliseconds (nearest rank).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Latency {
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub runs: usize,
}

impl Latency {
    pub fn of(samples_ms: &[f64]) -> Latency {
        let mut sorted = samples_ms.to_vec();
        sorted.sort_by(f64::total_cmp);
        Latency { p50_ms: nearest_rank(&sorted, 50), p99_ms: nearest_rank(&sorted, 99), runs: sorted.len() }
    }
}

/// The smallest sample with at least `pct` percent of the samples at or below it.
fn nearest_rank(sorted: &[f64], pct: usize) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = (pct * sorted.len()).div_ceil(100).max(1);
    sorted[rank - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let samples: Vec<f64> = (1..=200).rev().map(f64::from).collect();
        let l = Latency::of(&samples);
        assert_eq!((l.p50_ms, l.p99_ms, l.runs), (100.0, 198.0, 200));
        assert_eq!(Latency::of(&[3.0]).p99_ms, 3.0);
    }
}
