//! An ad schedule as Google Ads keeps one: slots of a day of the week, from a start to an end
//! time in quarter hours within 00:00–24:00, at most six a day, none overlapping. The types
//! hold those rules, so a schedule that reaches the provider already keeps them; they read and
//! print as people write schedules: `mon-fri 09:00-17:00`, `sat,sun 10:00-14:00`.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// Google's limit on ad schedule slots per day.
pub const SLOTS_PER_DAY: usize = 6;

/// A day of the week, Monday first (as Google's `DayOfWeek` names them in JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Day {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

impl Day {
    pub const ALL: [Day; 7] =
        [Day::Monday, Day::Tuesday, Day::Wednesday, Day::Thursday, Day::Friday, Day::Saturday, Day::Sunday];

    /// `MONDAY` … `SUNDAY`, Google's name.
    pub fn google(self) -> &'static str {
        match self {
            Day::Monday => "MONDAY",
            Day::Tuesday => "TUESDAY",
            Day::Wednesday => "WEDNESDAY",
            Day::Thursday => "THURSDAY",
            Day::Friday => "FRIDAY",
            Day::Saturday => "SATURDAY",
            Day::Sunday => "SUNDAY",
        }
    }

    /// `mon` … `sun`.
    pub fn short(self) -> &'static str {
        ["mon", "tue", "wed", "thu", "fri", "sat", "sun"][self as usize]
    }

    pub fn from_google(name: &str) -> Option<Day> {
        Day::ALL.into_iter().find(|d| d.google() == name)
    }

    /// `mon` or `monday`, any case.
    fn from_word(word: &str) -> Option<Day> {
        let word = word.to_ascii_lowercase();
        Day::ALL.into_iter().find(|d| d.short() == word || d.google().eq_ignore_ascii_case(&word))
    }
}

/// One slot: a day and a time range in minutes after midnight, in quarter hours, start before
/// end, ending at 24:00 at the latest (a slot cannot run past midnight).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "SlotText", into = "SlotText")]
pub struct Slot {
    day: Day,
    start: u16,
    end: u16,
}

impl Slot {
    /// A slot from minutes after midnight.
    pub fn new(day: Day, start: u16, end: u16) -> Result<Slot> {
        if !start.is_multiple_of(15) || !end.is_multiple_of(15) {
            return Err(Error::Config(
                "minutes must be :00, :15, :30 or :45 (Google schedules ads by the quarter hour)".into(),
            ));
        }
        if end > 24 * 60 {
            return Err(Error::Config("a time of day runs from 00:00 to 24:00".into()));
        }
        if start >= end {
            return Err(Error::Config(format!(
                "{}-{} ends before it starts; a slot cannot run past midnight: split it in two, \
                 e.g. \"fri 22:00-24:00\" and \"sat 00:00-02:00\"",
                hhmm(start),
                hhmm(end)
            )));
        }
        Ok(Slot { day, start, end })
    }

    /// A slot from Google's form: hours 0–24 and minutes `ZERO`, `FIFTEEN`, `THIRTY`,
    /// `FORTY_FIVE`.
    pub fn from_google(day: &str, start: (u64, &str), end: (u64, &str)) -> Option<Slot> {
        let minutes = |(hour, minute): (u64, &str)| -> Option<u16> {
            let m = MINUTES.iter().find(|(name, _)| *name == minute)?.1;
            u16::try_from(hour).ok().filter(|h| *h <= 24).map(|h| h * 60 + m)
        };
        Slot::new(Day::from_google(day)?, minutes(start)?, minutes(end)?).ok()
    }

    pub fn day(&self) -> Day {
        self.day
    }

    /// Minutes after midnight.
    pub fn start(&self) -> u16 {
        self.start
    }

    /// Minutes after midnight; 1440 is 24:00.
    pub fn end(&self) -> u16 {
        self.end
    }

    /// Google's `AdScheduleInfo` in JSON.
    pub fn google(&self) -> serde_json::Value {
        let minute = |m: u16| MINUTES.iter().find(|(_, v)| *v == m % 60).map_or("ZERO", |(name, _)| *name);
        serde_json::json!({
            "dayOfWeek": self.day.google(),
            "startHour": self.start / 60,
            "startMinute": minute(self.start),
            "endHour": self.end / 60,
            "endMinute": minute(self.end),
        })
    }

    fn overlaps(&self, other: &Slot) -> bool {
        self.day == other.day && self.start < other.end && other.start < self.end
    }
}

impl fmt::Display for Slot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}-{}", self.day.short(), hhmm(self.start), hhmm(self.end))
    }
}

const MINUTES: [(&str, u16); 4] = [("ZERO", 0), ("FIFTEEN", 15), ("THIRTY", 30), ("FORTY_FIVE", 45)];

fn hhmm(minutes: u16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// A slot as stored in the record of changes: `{"day":"MONDAY","start":"09:00","end":"17:00"}`.
#[derive(Serialize, Deserialize)]
struct SlotText {
    day: Day,
    start: String,
    end: String,
}

impl From<Slot> for SlotText {
    fn from(s: Slot) -> SlotText {
        SlotText { day: s.day, start: hhmm(s.start), end: hhmm(s.end) }
    }
}

impl TryFrom<SlotText> for Slot {
    type Error = Error;
    fn try_from(t: SlotText) -> Result<Slot> {
        Slot::new(t.day, time(&t.start)?, time(&t.end)?)
    }
}

/// `H:MM` or `HH:MM`, 00:00 to 24:00, as minutes after midnight.
fn time(text: &str) -> Result<u16> {
    let bad = || Error::Config(format!("{text:?} is not a time of day; write it as HH:MM, e.g. 09:30"));
    let (h, m) = text.split_once(':').ok_or_else(bad)?;
    if h.is_empty()
        || h.len() > 2
        || m.len() != 2
        || !(h.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()))
    {
        return Err(bad());
    }
    let (h, m): (u16, u16) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if h > 24 || m > 59 || (h == 24 && m != 0) {
        return Err(Error::Config(format!("{text:?}: a time of day runs from 00:00 to 24:00")));
    }
    Ok(h * 60 + m)
}

/// A campaign's whole ad schedule: at least one slot, at most six a day, none overlapping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Schedule(Vec<Slot>);

impl Schedule {
    pub fn new(mut slots: Vec<Slot>) -> Result<Schedule> {
        if slots.is_empty() {
            return Err(Error::Config("a schedule needs at least one slot".into()));
        }
        slots.sort();
        for day in Day::ALL {
            let n = slots.iter().filter(|s| s.day == day).count();
            if n > SLOTS_PER_DAY {
                return Err(Error::Config(format!(
                    "{} has {n} slots; Google allows at most {SLOTS_PER_DAY} a day",
                    day.short()
                )));
            }
        }
        if let Some(pair) = slots.windows(2).find(|w| w[0].overlaps(&w[1])) {
            return Err(Error::Config(format!(
                "{} and {} overlap; Google refuses overlapping slots",
                pair[0], pair[1]
            )));
        }
        Ok(Schedule(slots))
    }

    /// Reads slots as people write them, one range of days and times each: `mon-fri
    /// 09:00-17:00`, `sat,sun 10:00-14:00`, `daily 08:00-20:00` (also `weekdays`, `weekends`,
    /// full day names). Each error names the text it is about.
    pub fn parse<S: AsRef<str>>(specs: &[S]) -> Result<Schedule> {
        let mut slots = Vec::new();
        for spec in specs {
            let spec = spec.as_ref();
            let named = |e: Error| match e {
                Error::Config(why) => Error::Config(format!(
                    "{spec:?}: {why}; a slot reads DAYS HH:MM-HH:MM, e.g. \"mon-fri 09:00-17:00\""
                )),
                other => other,
            };
            slots.extend(slots_of(spec).map_err(named)?);
        }
        Schedule::new(slots)
    }

    pub fn slots(&self) -> &[Slot] {
        &self.0
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&describe(&self.0))
    }
}

fn slots_of(spec: &str) -> Result<Vec<Slot>> {
    let words: Vec<&str> = spec.split_whitespace().collect();
    let Some((times, days)) = words.split_last().filter(|(_, days)| !days.is_empty()) else {
        return Err(Error::Config("give the days, then the times".into()));
    };
    let times = times.replace('–', "-");
    let Some((start, end)) = times.split_once('-') else {
        return Err(Error::Config(format!("{times:?} is not a time range like 09:00-17:00")));
    };
    let (start, end) = (time(start)?, time(end)?);
    days_of(&days.concat())?.into_iter().map(|day| Slot::new(day, start, end)).collect()
}

/// `mon-fri`, `mon,wed,fri`, `sat-sun,mon`, `daily`, `weekdays`, `weekends`.
fn days_of(text: &str) -> Result<Vec<Day>> {
    let mut days = Vec::new();
    for item in text.split(',').filter(|i| !i.is_empty()) {
        let word = |w: &str| {
            Day::from_word(w).ok_or_else(|| {
                Error::Config(format!("{w:?} is not a day; use mon, tue, wed, thu, fri, sat, sun"))
            })
        };
        match item.to_ascii_lowercase().as_str() {
            "daily" => days.extend(Day::ALL),
            "weekdays" => days.extend(&Day::ALL[..5]),
            "weekends" => days.extend(&Day::ALL[5..]),
            _ => match item.split_once('-') {
                None => days.push(word(item)?),
                Some((a, b)) => {
                    let (a, b) = (word(a)?, word(b)?);
                    if a > b {
                        return Err(Error::Config(format!(
                            "{item:?} runs backwards; days go mon to sun, so write \"{}-sun,mon-{}\"",
                            a.short(),
                            b.short()
                        )));
                    }
                    days.extend(Day::ALL.into_iter().filter(|d| (a..=b).contains(d)));
                }
            },
        }
    }
    if days.is_empty() {
        return Err(Error::Config("no days given".into()));
    }
    Ok(days)
}

/// Slots as people read them: the days sharing a time range together, `mon-fri 09:00-17:00,
/// sat 10:00-14:00`; "no slots (ads run at all hours)" for none.
pub fn describe(slots: &[Slot]) -> String {
    if slots.is_empty() {
        return "no slots (ads run at all hours)".into();
    }
    let mut ranges: Vec<(u16, u16)> = slots.iter().map(|s| (s.start, s.end)).collect();
    ranges.sort();
    ranges.dedup();
    let mut parts: Vec<(Day, u16, String)> = Vec::new();
    for (start, end) in ranges {
        let mut days: Vec<Day> =
            slots.iter().filter(|s| (s.start, s.end) == (start, end)).map(|s| s.day).collect();
        days.sort();
        days.dedup();
        let text = format!("{} {}-{}", day_runs(&days), hhmm(start), hhmm(end));
        parts.push((days[0], start, text));
    }
    parts.sort();
    parts.into_iter().map(|(_, _, text)| text).collect::<Vec<_>>().join(", ")
}

/// Sorted days as runs: `mon-fri`, `mon,wed`, `sat-sun`.
fn day_runs(days: &[Day]) -> String {
    let mut runs: Vec<String> = Vec::new();
    let mut i = 0;
    while i < days.len() {
        let mut j = i;
        while j + 1 < days.len() && days[j + 1] as usize == days[j] as usize + 1 {
            j += 1;
        }
        runs.push(match j - i {
            0 => days[i].short().to_string(),
            _ => format!("{}-{}", days[i].short(), days[j].short()),
        });
        i = j + 1;
    }
    runs.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(specs: &[&str]) -> Result<Schedule> {
        Schedule::parse(specs)
    }

    fn refused(specs: &[&str]) -> String {
        match parse(specs) {
            Err(Error::Config(why)) => why,
            other => panic!("{specs:?} should be refused, got {other:?}"),
        }
    }

    #[test]
    fn schedules_read_and_print_as_people_write_them() {
        let s = parse(&["mon-fri 09:00-17:00", "sat 10:00-14:00"]).unwrap();
        assert_eq!(s.slots().len(), 6);
        assert_eq!(s.to_string(), "mon-fri 09:00-17:00, sat 10:00-14:00");
        assert_eq!(
            parse(&["Weekends 8:15-12:45", "mon,wed 00:00-24:00", "Friday 18:00-20:30"]).unwrap().to_string(),
            "mon,wed 00:00-24:00, fri 18:00-20:30, sat-sun 08:15-12:45"
        );
        assert_eq!(parse(&["daily 06:00-22:00"]).unwrap().slots().len(), 7);
        // What is printed reads back the same.
        let again = parse(&["mon,wed 00:00-24:00", "fri 18:00-20:30", "sat-sun 08:15-12:45"]).unwrap();
        assert_eq!(again.to_string(), "mon,wed 00:00-24:00, fri 18:00-20:30, sat-sun 08:15-12:45");
        // Slots that touch do not overlap.
        assert_eq!(parse(&["mon 09:00-12:00", "mon 12:00-17:00"]).unwrap().slots().len(), 2);
    }

    #[test]
    fn google_form_hours_and_quarter_hour_names() {
        let s = parse(&["tue 08:45-24:00"]).unwrap();
        assert_eq!(
            s.slots()[0].google(),
            serde_json::json!({"dayOfWeek": "TUESDAY", "startHour": 8, "startMinute": "FORTY_FIVE",
                "endHour": 24, "endMinute": "ZERO"})
        );
        let back = Slot::from_google("TUESDAY", (8, "FORTY_FIVE"), (24, "ZERO")).unwrap();
        assert_eq!(back, s.slots()[0]);
        assert!(Slot::from_google("TUESDAY", (8, "TEN"), (9, "ZERO")).is_none());
        // And as the record of changes keeps it.
        let text = serde_json::to_value(&s).unwrap();
        assert_eq!(text, serde_json::json!([{"day": "TUESDAY", "start": "08:45", "end": "24:00"}]));
        let slots: Vec<Slot> = serde_json::from_value(text).unwrap();
        assert_eq!(slots, s.slots());
    }

    #[test]
    fn bad_schedules_are_refused_with_the_reason() {
        for (specs, says) in [
            (&["mon-fri 9:07-17:00"][..], "quarter hour"),
            (&["mon 09:00-25:00"], "00:00 to 24:00"),
            (&["mon 24:15-24:30"], "00:00 to 24:00"),
            (&["mon 17:00-09:00"], "ends before it starts"),
            (&["mon 09:00-09:00"], "ends before it starts"),
            (&["funday 09:00-17:00"], "not a day"),
            (&["fri-mon 09:00-17:00"], "runs backwards"),
            (&["09:00-17:00"], "give the days"),
            (&["mon 9am-5pm"], "not a time"),
            (&["mon 09:00"], "not a time range"),
            (&["mon-fri 09:00-17:00", "wed 16:00-18:00"], "overlap"),
            (&["mon 09:00-17:00", "mon 09:00-17:00"], "overlap"),
        ] {
            let why = refused(specs);
            assert!(why.contains(says), "{specs:?}: {why}");
            assert_eq!(why.lines().count(), 1, "{why}");
        }
        let seven: Vec<String> = (0..7).map(|h| format!("thu {:02}:00-{:02}:30", h * 2, h * 2)).collect();
        assert!(refused(&seven.iter().map(String::as_str).collect::<Vec<_>>()).contains("at most 6 a day"));
        assert!(Schedule::new(Vec::new()).is_err(), "an empty schedule is not a replacement");
    }
}
