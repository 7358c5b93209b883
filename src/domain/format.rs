//! Values as people read and type them: one formatting and one parsing rule per field kind,
//! shared by the record editor, the tables and (later) CSV import and export.

use std::borrow::Cow;

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

/// How a number writes its decimal mark, and so which character separates thousands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum DecimalMark {
    /// `12,345.6`: a point before the decimals, commas between thousands.
    #[default]
    Point,
    /// `12.345,6`: a comma before the decimals, points between thousands (European files).
    Comma,
}

impl DecimalMark {
    /// (the decimal mark, the thousands separator)
    fn characters(self) -> (char, char) {
        match self {
            DecimalMark::Point => ('.', ','),
            DecimalMark::Comma => (',', '.'),
        }
    }
}

/// Parses what a user typed for `field`. Blank input is `Empty`. The error says what was
/// expected, without the field's name (callers add where). Numbers have a decimal point.
pub fn parse_value(field: &FieldDef, input: &str, tz: &TimeZone) -> Result<Value, String> {
    parse_value_with(field, input, tz, DecimalMark::Point)
}

/// [`parse_value`] with numbers written with `mark` (a CSV file may use a decimal comma).
pub fn parse_value_with(field: &FieldDef, input: &str, tz: &TimeZone, mark: DecimalMark) -> Result<Value, String> {
    let text = input.trim();
    if text.is_empty() {
        return Ok(Value::Empty);
    }
    match field.kind {
        FieldKind::Text => Ok(Value::Text(input.to_owned())),
        FieldKind::WholeNumber => parse_whole(text, mark).map(Value::WholeNumber),
        FieldKind::Decimal => parse_number(text, mark).map(Value::Decimal),
        FieldKind::Money => parse_number(text, mark).map(Value::Money),
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
            // ASCII text lowercases as ASCII: compared without making lowercase copies.
            .find(|option| {
                if option.is_ascii() && text.is_ascii() {
                    option.eq_ignore_ascii_case(text)
                } else {
                    option.to_lowercase() == text.to_lowercase()
                }
            })
            .map(|option| Value::Choice(option.clone()))
            .ok_or_else(|| format!("\"{text}\" is not one of {}", field.choices.join(", "))),
        FieldKind::Lookup => parse_id(text).map(|id| Value::Lookup(RecordId(id))),
        FieldKind::Owner => parse_id(text).map(|id| Value::Owner(SellerId(id))),
    }
}

fn parse_whole(text: &str, mark: DecimalMark) -> Result<i64, String> {
    let plain = plain_number(text, mark)?;
    plain.parse::<i64>().map_err(|_| format!("\"{text}\" is not a whole number"))
}

/// Reads a number as people type it, with `mark` as its decimal mark. Spaces, underscores
/// and no-break spaces are ignored; the thousands separator is accepted only between
/// groups of three digits before the decimal mark (`1,000`, `12,345.6`, `-1,234,567`), so
/// `1,5` or `1.000,50` with a decimal point is refused instead of read as 15 or 1.0005.
/// Infinite and not-a-number values are refused.
pub fn parse_number(text: &str, mark: DecimalMark) -> Result<f64, String> {
    match plain_number(text, mark)?.parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(x),
        _ => Err(format!("\"{}\" is not a number", text.trim())),
    }
}

/// The number as Rust parses it: sign, digits, `.` and exponent, separators checked and
/// removed.
fn plain_number(text: &str, mark: DecimalMark) -> Result<Cow<'_, str>, String> {
    let (decimal, group) = mark.characters();
    let shown = text.trim();
    // Digits with a sign and at most one decimal point are already plain (most numbers).
    let plain_byte = |b: u8| b.is_ascii_digit() || b == b'-' || b == b'+' || (b == b'.' && decimal == '.');
    if shown.bytes().all(plain_byte) && shown.bytes().filter(|&b| b == b'.').count() <= 1 {
        return Ok(Cow::Borrowed(shown));
    }
    let compact: String = shown.chars().filter(|c| !matches!(c, ' ' | '_' | '\u{a0}' | '\u{202f}')).collect();
    let misplaced = || match mark {
        DecimalMark::Point => {
            format!("\"{shown}\" is not a number: a comma only separates thousands (1,000 or 12,345.6)")
        }
        DecimalMark::Comma => format!(
            "\"{shown}\" is not a number: with a decimal comma, a point only separates thousands (1.000 or 12.345,6)"
        ),
    };
    let (sign, unsigned) = match compact.strip_prefix(['-', '+']) {
        Some(rest) => (&compact[..1], rest),
        None => ("", compact.as_str()),
    };
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(at) => unsigned.split_at(at),
        None => (unsigned, ""),
    };
    let (whole, fraction) = match mantissa.split_once(decimal) {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (mantissa, None),
    };
    if fraction.is_some_and(|f| f.contains(decimal)) {
        return Err(format!("\"{shown}\" is not a number"));
    }
    if fraction.is_some_and(|f| f.contains(group)) || exponent.contains(group) {
        return Err(misplaced());
    }
    let digits = if whole.contains(group) {
        let mut groups = whole.split(group);
        let first = groups.next().unwrap_or_default();
        let first_ok = (1..=3).contains(&first.len()) && first.bytes().all(|b| b.is_ascii_digit());
        if !first_ok || !groups.all(|g| g.len() == 3 && g.bytes().all(|b| b.is_ascii_digit())) {
            return Err(misplaced());
        }
        whole.replace(group, "")
    } else {
        whole.to_owned()
    };
    let mut plain = format!("{sign}{digits}");
    if let Some(fraction) = fraction {
        plain.push('.');
        plain.push_str(fraction);
    }
    plain.push_str(exponent);
    Ok(Cow::Owned(plain))
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
        check_with(DecimalMark::Point, kind, input, expected);
    }

    fn check_with(mark: DecimalMark, kind: FieldKind, input: &str, expected: Result<&str, &str>) {
        let tz = TimeZone::get("Europe/Berlin").unwrap_or(TimeZone::UTC);
        let field = match kind {
            FieldKind::Choice => FieldDef::choice("c", "C", &["Hot", "Warm"]),
            _ => FieldDef::new("f", "F", kind),
        };
        let parsed = parse_value_with(&field, input, &tz, mark).map(|v| format_value(&v, &tz));
        match expected {
            Ok(formatted) => assert_eq!(parsed.as_deref(), Ok(formatted), "{mark:?} {kind} {input:?}"),
            Err(fragment) => {
                let error = parsed.expect_err(input);
                assert!(error.contains(fragment), "{mark:?} {kind} {input:?}: {error}");
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
        check(FieldKind::Choice, "Warm", Ok("Warm"));
        check(FieldKind::Choice, "WARM", Ok("Warm"));
        // The first option that matches regardless of case, as typed or not.
        let twins = FieldDef::choice("c", "C", &["HOT", "Hot", "K"]);
        let parsed = |input| parse_value(&twins, input, &TimeZone::UTC);
        assert_eq!(parsed("Hot"), Ok(Value::Choice("HOT".to_owned())));
        assert_eq!(parsed("\u{212a}"), Ok(Value::Choice("K".to_owned())), "the Kelvin sign lowercases to k");
        check(FieldKind::Choice, "Cold", Err("not one of Hot, Warm"));
        check(FieldKind::Lookup, "#12", Ok("12"));
        check(FieldKind::Lookup, "-1", Err("not a record id"));
        check(FieldKind::Owner, "x", Err("not a record id"));
    }

    #[test]
    fn a_thousands_separator_only_between_groups_of_three() {
        use DecimalMark::{Comma, Point};
        use FieldKind::{Decimal, Money, WholeNumber};
        const POINT_ONLY: &str = "a comma only separates thousands";
        const COMMA_ONLY: &str = "a point only separates thousands";
        check_with(Point, Decimal, "1,000", Ok("1000"));
        check_with(Point, Decimal, "12,345.6", Ok("12345.6"));
        check_with(Point, Decimal, "-1,234,567", Ok("-1234567"));
        check_with(Point, Decimal, "+1,234.5", Ok("1234.5"));
        check_with(Point, Decimal, "1 234.5", Ok("1234.5"));
        check_with(Point, Decimal, ".5", Ok("0.5"));
        check_with(Point, Decimal, "1e3", Ok("1000"));
        check_with(Point, Decimal, "1,5", Err(POINT_ONLY));
        check_with(Point, Decimal, "1.000,50", Err(POINT_ONLY));
        check_with(Point, Decimal, "1,0000", Err(POINT_ONLY));
        check_with(Point, Decimal, "1234,567", Err(POINT_ONLY));
        check_with(Point, Decimal, ",5", Err(POINT_ONLY));
        check_with(Point, Decimal, "1,,000", Err(POINT_ONLY));
        check_with(Point, Decimal, "1,000,", Err(POINT_ONLY));
        check_with(Point, Decimal, "1.2.3", Err("not a number"));
        // Digits, signs and one point read as they are (without the separator rules).
        check_with(Point, WholeNumber, "+5", Ok("5"));
        check_with(Point, WholeNumber, "007", Ok("7"));
        check_with(Point, Decimal, "-0.125", Ok("-0.125"));
        check_with(Point, Decimal, "1-2", Err("not a number"));
        check_with(Point, Decimal, ".", Err("not a number"));
        check_with(Point, WholeNumber, "-", Err("not a whole number"));
        check_with(Comma, WholeNumber, "-12", Ok("-12"));
        check_with(Comma, Decimal, "12.5", Err(COMMA_ONLY));
        check_with(Point, Money, "1,5", Err(POINT_ONLY));
        check_with(Point, WholeNumber, "1,5", Err(POINT_ONLY));
        check_with(Point, WholeNumber, "-1,234,567", Ok("-1234567"));
        check_with(Point, Decimal, "abc", Err("not a number"));
        check_with(Comma, Decimal, "1.234,5", Ok("1234.5"));
        check_with(Comma, Decimal, "1,5", Ok("1.5"));
        check_with(Comma, Decimal, "-1.234.567,25", Ok("-1234567.25"));
        check_with(Comma, Money, "12,5", Ok("12.50"));
        check_with(Comma, Decimal, "1.5", Err(COMMA_ONLY));
        check_with(Comma, Decimal, "1,000.50", Err(COMMA_ONLY));
        check_with(Comma, WholeNumber, "1.250", Ok("1250"));
        check_with(Comma, WholeNumber, "1,5", Err("not a whole number"));
    }
}
