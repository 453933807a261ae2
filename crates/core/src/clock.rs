//! Time is injected, so timelines, retention and scheduling are testable.

use chrono::{DateTime, Utc};

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// The computer's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that always says the same time, for tests.
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub DateTime<Utc>);

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

/// Where a calendar day begins in the computer's time zone, as a UTC instant: a date the user
/// types or picks ("leads of 20 November") means their day, not UTC's. In a time zone whose
/// clocks jump over midnight (a DST change at 00:00), the day begins at the first moment it
/// has.
pub fn local_day_start(day: chrono::NaiveDate) -> DateTime<Utc> {
    day_start_in(&chrono::Local, day)
}

/// Where a range through `day` ends (not included): the next day's start, so the whole day is
/// in.
pub fn local_day_end(day: chrono::NaiveDate) -> DateTime<Utc> {
    local_day_start(day.checked_add_days(chrono::Days::new(1)).unwrap_or(day))
}

/// [`local_day_start`] in any time zone.
pub fn day_start_in<Tz: chrono::TimeZone>(zone: &Tz, day: chrono::NaiveDate) -> DateTime<Utc> {
    let midnight = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    // A gap at midnight: the day begins at the first of its next 24 hours that exists.
    (0..24)
        .find_map(|h| zone.from_local_datetime(&(midnight + chrono::Duration::hours(h))).earliest())
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| midnight.and_utc())
}

#[cfg(test)]
mod tests {
    use chrono::{FixedOffset, NaiveDate, TimeZone};

    use super::*;

    #[test]
    fn a_day_begins_at_midnight_where_the_user_is() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
        let new_york = FixedOffset::west_opt(5 * 3600).unwrap();
        assert_eq!(day_start_in(&new_york, day), Utc.with_ymd_and_hms(2026, 11, 20, 5, 0, 0).unwrap());
        let tokyo = FixedOffset::east_opt(9 * 3600).unwrap();
        assert_eq!(day_start_in(&tokyo, day), Utc.with_ymd_and_hms(2026, 11, 19, 15, 0, 0).unwrap());
        assert_eq!(day_start_in(&Utc, day), Utc.with_ymd_and_hms(2026, 11, 20, 0, 0, 0).unwrap());
    }
}
