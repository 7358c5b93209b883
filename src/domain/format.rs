//! Values as people read and type them: one formatting and one parsing rule per field kind,
//! shared by the record editor, the tables and (later) CSV import and export.

use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use jiff::{Timestamp, Zoned};

use super::schema::{FieldDef, FieldKind};
use super::value::{RecordId, SellerId, Value};

/// Formats a value for display and editing. Dates are ISO (`2026-03-01`), date-times are
/// shown in `tz` as `2026-03-01 14:05`, yes/no as `Yes` / `No`, lookups and owners as
/// their id (callers that know titles show those instead). Empty is the empty string.
pub fn format_value(value: &Value, tz: &TimeZone) -> String {
    match value {
        Value::Empty => String::new(),
        Value::Text(s) | Value::Choice(s) => s.clone(),
        Value::WholeNumber(n) => n.to_string(),
        Value::Decimal(x) => format_decimal(*x),
        Value::Money(x) => format!("{x:.2}"),
        Value::Date(d) => d.to_string(),
        Value::DateTime(t) => format_timestamp(*t, tz),
        Value::YesNo(true) => "Yes".to_owned(),
        Value::YesNo(false) => "No".to_owned(),
        Value::Lookup(id) => id.0.to_string(),
        Value::Owner(id) => id.0.to_string(),
    }
}

fn format_decimal(x: f64) -> String {
    let s = format!("{x}");
    if s.contains('e') { format!("{x:.6}") } else { s }
}

/// `2026-03-01 14:05` in `tz`.
pub fn format_timestamp(t: Timestamp, tz: &TimeZone) -> String {
    t.to_zoned(tz.clone()).strftime("%Y-%m-%d %H:%M").to_string()
}

/// Parses what a user typed for `field`. Blank input is `Empty`. The error says what was
/// expected, without the field's name (callers add where).
pub fn parse_value(field: &FieldDef, input: &str, tz: &TimeZone) -> Result<Value, String> {
    let text = input.trim();
    if text.is_empty() {
        return Ok(Value::Empty);
    }
    match field.kind {
        FieldKind::Text => Ok(Value::Text(input.to_owned())),
        FieldKind::WholeNumber => parse_whole(text).map(Value::WholeNumber),
        FieldKind::Decimal => parse_decimal(text).map(Value::Decimal),
        FieldKind::Money => parse_decimal(text).map(Value::Money),
        FieldKind::Date => parse_date(text).map(Value::Date),
        FieldKind::DateTime => parse_date_time(text, tz).map(Value::DateTime),
        FieldKind::YesNo => match text.to_lowercase().as_str() {
            "yes" | "y" | "true" | "1" => Ok(Value::YesNo(true)),
            "no" | "n" | "false" | "0" => Ok(Value::YesNo(false)),
            _ => Err(format!("\"{text}\" is not yes or no")),
        },
        FieldKind::Choice => field
            .choices
            .iter()
            .find(|option| option.to_lowercase() == text.to_lowercase())
            .map(|option| Value::Choice(option.clone()))
            .ok_or_else(|| format!("\"{text}\" is not one of {}", field.choices.join(", "))),
        FieldKind::Lookup => parse_id(text).map(|id| Value::Lookup(RecordId(id))),
        FieldKind::Owner => parse_id(text).map(|id| Value::Owner(SellerId(id))),
    }
}

fn parse_whole(text: &str) -> Result<i64, String> {
    let cleaned: String = text.chars().filter(|c| *c != ',' && *c != '_' && !c.is_whitespace()).collect();
    cleaned.parse::<i64>().map_err(|_| format!("\"{text}\" is not a whole number"))
}

fn parse_decimal(text: &str) -> Result<f64, String> {
    let cleaned: String = text.chars().filter(|c| *c != ',' && *c != '_' && !c.is_whitespace()).collect();
    match cleaned.parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(x),
        _ => Err(format!("\"{text}\" is not a number")),
    }
}

fn parse_id(text: &str) -> Result<i64, String> {
    let cleaned = text.trim_start_matches('#');
    match cleaned.parse::<i64>() {
        Ok(id) if id > 0 => Ok(id),
        _ => Err(format!("\"{text}\" is not a record id (a positive whole number)")),
    }
}

/// `YYYY-MM-DD`.
pub fn parse_date(text: &str) -> Result<Date, String> {
    text.parse::<Date>().map_err(|_| format!("\"{text}\" is not a date (YYYY-MM-DD)"))
}

/// `YYYY-MM-DD HH:MM[:SS]` in `tz`, `YYYY-MM-DD` (midnight in `tz`), or an RFC 3339
/// instant with an offset (`2026-03-01T14:05:00Z`).
pub fn parse_date_time(text: &str, tz: &TimeZone) -> Result<Timestamp, String> {
    if let Ok(t) = text.parse::<Timestamp>() {
        return Ok(t);
    }
    let civil = text
        .replacen(' ', "T", 1)
        .parse::<DateTime>()
        .or_else(|_| text.parse::<Date>().map(|d| d.to_datetime(jiff::civil::Time::midnight())))
        .map_err(|_| format!("\"{text}\" is not a date and time (YYYY-MM-DD HH:MM)"))?;
    civil
        .to_zoned(tz.clone())
        .map(|z: Zoned| z.timestamp())
        .map_err(|e| format!("\"{text}\" does not exist in the workspace time zone ({e})"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::schema::FieldDef;

    fn check(kind: FieldKind, input: &str, expected: Result<&str, &str>) {
        let tz = TimeZone::get("Europe/Berlin").unwrap_or(TimeZone::UTC);
        let field = match kind {
            FieldKind::Choice => FieldDef::choice("c", "C", &["Hot", "Warm"]),
            _ => FieldDef::new("f", "F", kind),
        };
        let parsed = parse_value(&field, input, &tz).map(|v| format_value(&v, &tz));
        match expected {
            Ok(formatted) => assert_eq!(parsed.as_deref(), Ok(formatted), "{kind} {input:?}"),
            Err(fragment) => {
                let error = parsed.expect_err(input);
                assert!(error.contains(fragment), "{kind} {input:?}: {error}");
            }
        }
    }

    #[test]
    fn parse_and_format() {
        check(FieldKind::Text, "  Émile ", Ok("  Émile "));
        check(FieldKind::Text, "   ", Ok(""));
        check(FieldKind::WholeNumber, "1,250", Ok("1250"));
        check(FieldKind::WholeNumber, "-3", Ok("-3"));
        check(FieldKind::WholeNumber, "1.5", Err("not a whole number"));
        check(FieldKind::Decimal, "0.25", Ok("0.25"));
        check(FieldKind::Money, "12500", Ok("12500.00"));
        check(FieldKind::Money, "NaN", Err("not a number"));
        check(FieldKind::Money, "inf", Err("not a number"));
        check(FieldKind::Date, "2026-02-28", Ok("2026-02-28"));
        check(FieldKind::Date, "2026-02-30", Err("not a date"));
        check(FieldKind::DateTime, "2026-03-01 14:05", Ok("2026-03-01 14:05"));
        check(FieldKind::DateTime, "2026-03-01T13:05:00Z", Ok("2026-03-01 14:05"));
        check(FieldKind::DateTime, "2026-03-01", Ok("2026-03-01 00:00"));
        check(FieldKind::DateTime, "tomorrow", Err("not a date and time"));
        check(FieldKind::YesNo, "YES", Ok("Yes"));
        check(FieldKind::YesNo, "maybe", Err("not yes or no"));
        check(FieldKind::Choice, "hot", Ok("Hot"));
        check(FieldKind::Choice, "Cold", Err("not one of Hot, Warm"));
        check(FieldKind::Lookup, "#12", Ok("12"));
        check(FieldKind::Lookup, "-1", Err("not a record id"));
        check(FieldKind::Owner, "x", Err("not a record id"));
    }
}
