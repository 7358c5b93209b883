//! The demo cast: 24 sellers in four teams, with the attributes, capacities, work hours and
//! time off that assignment rules need to show what they can do.

use std::collections::BTreeMap;

use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use jiff::{Span, Timestamp};

use super::DemoSpec;
use super::tables::ascii_slug;
use crate::domain::schema::PRODUCT_LINES;
use crate::domain::{AttributeDefinition, Seller, SellerId, Team, TeamId, TimeOff, WorkPeriod};

pub const ATTRIBUTE_LANGUAGE: &str = "Language";
pub const ATTRIBUTE_REGION: &str = "Region";
pub const ATTRIBUTE_PRODUCT_LINE: &str = "Product line";

const LANGUAGES: &[&str] = &[
    "English",
    "German",
    "French",
    "Dutch",
    "Spanish",
    "Italian",
    "Portuguese",
    "Swedish",
    "Norwegian",
    "Danish",
    "Polish",
    "Japanese",
];
const REGIONS: &[&str] =
    &["DACH", "Nordics", "Benelux", "France", "Southern Europe", "North America", "Latin America", "APAC"];

/// The seller attributes assignment rules can match on, with their values.
pub fn attribute_definitions() -> Vec<AttributeDefinition> {
    let definition = |name: &str, values: &[&str]| AttributeDefinition {
        name: name.to_owned(),
        values: values.iter().map(|v| (*v).to_owned()).collect(),
    };
    vec![
        definition(ATTRIBUTE_LANGUAGE, LANGUAGES),
        definition(ATTRIBUTE_REGION, REGIONS),
        definition(ATTRIBUTE_PRODUCT_LINE, PRODUCT_LINES),
    ]
}

/// Weekly hours, in the seller's zone.
#[derive(Clone, Copy)]
enum Hours {
    /// Monday to Friday, 9:00–17:00.
    FullTime,
    /// Monday to Friday, 8:30–12:30 and 13:00–17:00.
    WithLunch,
    /// These weekdays, from `start` to `end` hours.
    Part { days: &'static [u8], start: u16, end: u16 },
    /// No schedule: always available.
    None,
}

/// An absence relative to today in the seller's zone: from `start_day` at `start_hour` to
/// `end_day` at `end_hour`.
struct Away {
    start_day: i64,
    start_hour: i8,
    end_day: i64,
    end_hour: i8,
    reason: &'static str,
}

struct Cast {
    name: &'static str,
    time_zone: &'static str,
    languages: &'static [&'static str],
    regions: &'static [&'static str],
    products: &'static [&'static str],
    capacity: Option<u32>,
    hours: Hours,
    away: Option<Away>,
    assign_records: bool,
}

const fn seller(
    name: &'static str,
    time_zone: &'static str,
    languages: &'static [&'static str],
    regions: &'static [&'static str],
    products: &'static [&'static str],
    capacity: Option<u32>,
) -> Cast {
    Cast {
        name,
        time_zone,
        languages,
        regions,
        products,
        capacity,
        hours: Hours::FullTime,
        away: None,
        assign_records: true,
    }
}

#[allow(clippy::unnecessary_wraps, reason = "a seller's `away` is optional; this fills it")]
const fn away(start_day: i64, start_hour: i8, end_day: i64, end_hour: i8, reason: &'static str) -> Option<Away> {
    Some(Away { start_day, start_hour, end_day, end_hour, reason })
}

/// Team names, in order; each takes the next `TEAM_SIZE` sellers of `CAST`.
const TEAMS: &[&str] = &["DACH", "Nordics & Benelux", "France & Southern Europe", "North America"];
const TEAM_SIZE: usize = 6;

const CAST: &[Cast] = &[
    // DACH
    seller(
        "Jana Becker",
        "Europe/Berlin",
        &["German", "English"],
        &["DACH"],
        &["Analytics", "Cloud platform"],
        Some(40),
    ),
    Cast {
        away: away(-2, 0, 5, 0, "Vacation"),
        ..seller(
            "Jürgen Hoffmann",
            "Europe/Berlin",
            &["German", "English"],
            &["DACH"],
            &["Security", "Hardware"],
            Some(30),
        )
    },
    Cast {
        hours: Hours::Part { days: &[1, 2, 3], start: 9, end: 13 },
        ..seller(
            "Lena Gruber",
            "Europe/Vienna",
            &["German", "English", "Italian"],
            &["DACH"],
            &["Collaboration", "Services"],
            None,
        )
    },
    seller(
        "Matthias Köhler",
        "Europe/Zurich",
        &["German", "French", "English"],
        &["DACH"],
        &["Cloud platform", "Security"],
        Some(35),
    ),
    Cast {
        assign_records: false,
        ..seller("Sophie Weiß", "Europe/Berlin", &["German", "English"], &["DACH"], &["Analytics"], Some(25))
    },
    Cast {
        hours: Hours::None,
        ..seller(
            "Felix Brandt",
            "Europe/Berlin",
            &["German", "English", "Polish"],
            &["DACH"],
            &["Hardware", "Services"],
            None,
        )
    },
    // Nordics & Benelux
    seller(
        "Øyvind Haugen",
        "Europe/Oslo",
        &["Norwegian", "Swedish", "English"],
        &["Nordics"],
        &["Cloud platform", "Analytics"],
        Some(30),
    ),
    Cast {
        away: away(6, 0, 7, 0, "Personal day"),
        ..seller("Åsa Lindqvist", "Europe/Stockholm", &["Swedish", "English"], &["Nordics"], &["Security"], Some(30))
    },
    Cast {
        hours: Hours::Part { days: &[1, 2, 3, 4], start: 8, end: 14 },
        ..seller(
            "Mette Sørensen",
            "Europe/Copenhagen",
            &["Danish", "English", "German"],
            &["Nordics"],
            &["Collaboration"],
            Some(25),
        )
    },
    Cast {
        hours: Hours::WithLunch,
        ..seller(
            "Pieter de Vries",
            "Europe/Amsterdam",
            &["Dutch", "English", "German"],
            &["Benelux"],
            &["Analytics", "Services"],
            Some(40),
        )
    },
    seller(
        "Lotte Janssens",
        "Europe/Brussels",
        &["Dutch", "French", "English"],
        &["Benelux"],
        &["Cloud platform", "Collaboration"],
        Some(35),
    ),
    seller("Bram Visser", "Europe/Amsterdam", &["Dutch", "English"], &["Benelux"], &["Hardware", "Security"], None),
    // France & Southern Europe
    seller(
        "Émile Laurent",
        "Europe/Paris",
        &["French", "English"],
        &["France"],
        &["Analytics", "Cloud platform"],
        Some(40),
    ),
    Cast {
        away: away(1, 9, 1, 13, "Training"),
        ..seller(
            "Chloé Dubois",
            "Europe/Paris",
            &["French", "English", "Spanish"],
            &["France"],
            &["Security", "Services"],
            Some(30),
        )
    },
    Cast {
        hours: Hours::Part { days: &[1, 2, 4], start: 9, end: 13 },
        ..seller("Gaëlle Mercier", "Europe/Paris", &["French", "English"], &["France"], &["Collaboration"], Some(20))
    },
    seller(
        "Lucía Fernández",
        "Europe/Madrid",
        &["Spanish", "Portuguese", "English"],
        &["Southern Europe"],
        &["Cloud platform", "Hardware"],
        Some(35),
    ),
    seller(
        "Giulia Romano",
        "Europe/Rome",
        &["Italian", "French", "English"],
        &["Southern Europe"],
        &["Analytics", "Collaboration"],
        Some(30),
    ),
    Cast {
        assign_records: false,
        away: away(-30, 0, 60, 0, "Parental leave"),
        ..seller(
            "João Ferreira",
            "Europe/Lisbon",
            &["Portuguese", "Spanish", "English"],
            &["Southern Europe", "Latin America"],
            &["Services"],
            None,
        )
    },
    // North America
    seller(
        "Megan Carter",
        "America/New_York",
        &["English"],
        &["North America"],
        &["Cloud platform", "Analytics"],
        Some(50),
    ),
    seller("Ryan O'Brien", "America/Chicago", &["English"], &["North America"], &["Security", "Hardware"], Some(45)),
    seller(
        "Sofía Ramírez",
        "America/Los_Angeles",
        &["English", "Spanish"],
        &["North America", "Latin America"],
        &["Collaboration", "Services"],
        Some(40),
    ),
    seller("Zoë Tremblay", "America/Toronto", &["English", "French"], &["North America"], &["Analytics"], Some(30)),
    Cast {
        hours: Hours::None,
        ..seller(
            "Kenji Tanaka",
            "America/Los_Angeles",
            &["English", "Japanese"],
            &["North America", "APAC"],
            &["Cloud platform", "Hardware"],
            None,
        )
    },
    Cast {
        hours: Hours::Part { days: &[1, 2, 3, 4, 5], start: 10, end: 14 },
        ..seller(
            "Chris Nguyen",
            "America/Denver",
            &["English"],
            &["North America"],
            &["Security", "Services"],
            Some(20),
        )
    },
];

fn work_hours(hours: Hours) -> Vec<WorkPeriod> {
    let period = |weekday: u8, start_minute: u16, end_minute: u16| WorkPeriod { weekday, start_minute, end_minute };
    match hours {
        Hours::FullTime => (1..=5).map(|d| period(d, 9 * 60, 17 * 60)).collect(),
        Hours::WithLunch => {
            (1..=5).flat_map(|d| [period(d, 8 * 60 + 30, 12 * 60 + 30), period(d, 13 * 60, 17 * 60)]).collect()
        }
        Hours::Part { days, start, end } => days.iter().map(|&d| period(d, start * 60, end * 60)).collect(),
        Hours::None => Vec::new(),
    }
}

fn time_off(away: &Away, today: Date) -> Option<TimeOff> {
    let at = |day: i64, hour: i8| -> Option<DateTime> {
        let date = today.checked_add(Span::new().days(day)).ok()?;
        Some(date.at(hour, 0, 0, 0))
    };
    Some(TimeOff {
        start: at(away.start_day, away.start_hour)?,
        end: at(away.end_day, away.end_hour)?,
        reason: away.reason.to_owned(),
    })
}

fn email(name: &str) -> String {
    let mut parts = name.split(' ').map(ascii_slug);
    let first = parts.next().unwrap_or_default();
    let last: Vec<String> = parts.collect();
    format!("{first}.{}@example.com", last.concat())
}

/// The 24 demo sellers: six per team, in team order (see [`teams`]). Ids are placeholders
/// (`SellerId(0)`); the store assigns them. Time off is placed around `spec.now` in each
/// seller's zone (one on vacation now, one in training tomorrow, one on parental leave…).
/// The seed does not matter: the cast is the same in every demo workspace.
pub fn sellers(spec: &DemoSpec) -> Vec<Seller> {
    CAST.iter().map(|cast| make_seller(cast, spec.now)).collect()
}

fn make_seller(cast: &Cast, now: Timestamp) -> Seller {
    let zone = TimeZone::get(cast.time_zone).unwrap_or(TimeZone::UTC);
    let today = now.to_zoned(zone).date();
    let list = |values: &[&str]| values.iter().map(|v| (*v).to_owned()).collect::<Vec<_>>();
    let attributes = BTreeMap::from([
        (ATTRIBUTE_LANGUAGE.to_owned(), list(cast.languages)),
        (ATTRIBUTE_REGION.to_owned(), list(cast.regions)),
        (ATTRIBUTE_PRODUCT_LINE.to_owned(), list(cast.products)),
    ]);
    Seller {
        id: SellerId(0),
        name: cast.name.to_owned(),
        email: email(cast.name),
        time_zone: cast.time_zone.to_owned(),
        attributes,
        capacity: cast.capacity,
        work_hours: work_hours(cast.hours),
        time_off: cast.away.as_ref().and_then(|a| time_off(a, today)).into_iter().collect(),
        assign_records: cast.assign_records,
    }
}

/// The four teams, given the ids the store gave the sellers of [`sellers`], in the same
/// order: team *k* gets sellers `6k..6k+6`. Missing ids make smaller teams, never a panic.
/// Team ids are placeholders (`TeamId(0)`).
pub fn teams(seller_ids: &[SellerId]) -> Vec<Team> {
    TEAMS
        .iter()
        .enumerate()
        .map(|(k, name)| Team {
            id: TeamId(0),
            name: (*name).to_owned(),
            members: seller_ids.iter().skip(k * TEAM_SIZE).take(TEAM_SIZE).copied().collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_ascii() {
        assert_eq!(email("Øyvind Haugen"), "oyvind.haugen@example.com");
        assert_eq!(email("Ryan O'Brien"), "ryan.obrien@example.com");
        assert_eq!(email("Pieter de Vries"), "pieter.devries@example.com");
    }

    #[test]
    fn cast_fits_the_teams() {
        assert_eq!(CAST.len(), TEAMS.len() * TEAM_SIZE);
    }
}
