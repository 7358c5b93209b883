use super::*;

#[test]
fn date_times_are_fixed_width_utc() {
    let at: Timestamp = "2026-03-01T15:05:09.75+01:00".parse().unwrap();
    assert_eq!(format_date_time(at), "2026-03-01T14:05:09Z");
    let date: Date = "0999-01-02".parse().unwrap();
    assert_eq!(format_date(date), "0999-01-02");
}

#[test]
fn dates_and_times_are_written_as_format_would() {
    let old_date = |d: Date| format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day());
    for (year, month, day) in [(1, 1, 1), (999, 12, 31), (1970, 1, 1), (2026, 2, 28), (9999, 12, 31), (-44, 3, 15)] {
        let date = jiff::civil::date(year, month, day);
        assert_eq!(format_date(date), old_date(date), "{date}");
    }
    let mut second = -62_135_596_800_i64; // 0001-01-01T00:00:00Z
    while second < 253_402_300_799 {
        let at = Timestamp::from_second(second).unwrap();
        let t = Offset::UTC.to_datetime(at);
        let expected = format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            t.year(),
            t.month(),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        );
        assert_eq!(format_date_time(at), expected);
        second += 7_777_777_777 / 1_000 + 3_601;
    }
}

#[test]
fn decode_refuses_what_a_field_cannot_hold() {
    assert_eq!(decode(FieldKind::YesNo, ValueRef::Integer(1)), Ok(Value::YesNo(true)));
    assert!(decode(FieldKind::YesNo, ValueRef::Integer(2)).is_err());
    assert!(decode(FieldKind::Date, ValueRef::Text(b"yesterday")).is_err());
    assert!(decode(FieldKind::WholeNumber, ValueRef::Text(b"12")).is_err());
    assert_eq!(decode(FieldKind::Text, ValueRef::Text(b"")), Ok(Value::Empty));
}

#[test]
fn stored_dates_read_directly_agree_with_jiff() {
    let dates = [
        "2026-03-01",
        "0000-01-01",
        "9999-12-31",
        "2024-02-29",
        "2023-02-29",
        "2026-13-01",
        "2026-00-10",
        "2026-01-00",
        "2026-1-01",
        "+2026-01-01",
        "2026-01-01 ",
        "２026-01-01",
        "20260101",
        "",
        "yesterday",
    ];
    for s in dates {
        assert_eq!(parse_stored_date(s).ok(), s.parse::<Date>().ok(), "{s}");
    }
    let date_times = [
        "2026-03-01T14:05:09Z",
        "1970-01-01T00:00:00Z",
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59Z",
        "2024-02-29T12:00:00Z",
        "2023-02-29T12:00:00Z",
        "2026-03-01T24:00:00Z",
        "2026-03-01T23:60:00Z",
        "2016-12-31T23:59:60Z",
        "2026-03-01t14:05:09z",
        "2026-03-01T14:05:09.5Z",
        "2026-03-01T14:05:09+01:00",
        "2026-03-01T14:05Z",
        "2026-03-01 14:05:09Z",
        "2026-03-01T14:05:09",
        "",
    ];
    for s in date_times {
        assert_eq!(parse_stored_date_time(s).ok(), s.parse::<Timestamp>().ok(), "{s}");
    }
    assert!(parse_stored_date("2023-02-29").is_err_and(|e| e.contains("\"2023-02-29\" is not a date")));
    assert!(parse_stored_date_time("soon").is_err_and(|e| e.contains("\"soon\" is not a date-time")));
}

#[test]
fn decode_view_borrows_and_normalizes() {
    let date = |s: &str| s.parse::<Date>().unwrap();
    let at = |s: &str| s.parse::<Timestamp>().unwrap();
    let cases: [(FieldKind, ValueRef<'_>, ValueView<'_>); 9] = [
        (FieldKind::Text, ValueRef::Text(b"Hello"), ValueView::Text("Hello")),
        (FieldKind::Choice, ValueRef::Text(b"Hot"), ValueView::Choice("Hot")),
        (FieldKind::Text, ValueRef::Text(b" \t "), ValueView::Empty),
        (FieldKind::Text, ValueRef::Null, ValueView::Empty),
        (FieldKind::Date, ValueRef::Text(b"2026-03-01"), ValueView::Date(date("2026-03-01"))),
        (FieldKind::DateTime, ValueRef::Text(b"2026-03-01T14:05:09Z"), ValueView::DateTime(at("2026-03-01T14:05:09Z"))),
        (FieldKind::Money, ValueRef::Real(f64::NAN), ValueView::Empty),
        (FieldKind::Decimal, ValueRef::Integer(7), ValueView::Decimal(7.0)),
        (FieldKind::YesNo, ValueRef::Integer(1), ValueView::YesNo(true)),
    ];
    for (kind, raw, expected) in cases {
        assert_eq!(decode_view(kind, raw), Ok(expected), "{kind:?} {raw:?}");
    }
    assert_eq!(decode_view(FieldKind::Text, ValueRef::Text(b"\xff")), Err("the text is not valid UTF-8".to_owned()));
    assert!(decode_view(FieldKind::Text, ValueRef::Integer(3)).is_err());
}

#[test]
fn ids_are_read_by_one_walk_only_when_many_lie_close_together() {
    let ids = |list: &mut dyn Iterator<Item = i64>| -> Vec<RecordId> { list.map(RecordId).collect() };
    let at_least = i64::try_from(Dense::AT_LEAST).unwrap();
    // Too few, or spread over more than twice their number: a lookup each.
    assert!(Dense::of(&ids(&mut (1..at_least))).is_none());
    assert!(Dense::of(&ids(&mut (0..at_least).map(|n| n * 3))).is_none());
    // The widest span there is: no overflow, and no walk.
    let extremes = ids(&mut [i64::MIN, i64::MAX].into_iter().chain(0..at_least));
    assert!(Dense::of(&extremes).is_none());
    // Close together, below zero, asked in any order and with repeats: one walk over
    // exactly their range, and back in the order asked.
    let close = ids(&mut (-at_least..0).rev().chain([-5, -5]));
    let dense = Dense::of(&close).expect("close together");
    assert_eq!(dense.range(), [-at_least, -1]);
    assert_eq!(dense.sorted.len(), Dense::AT_LEAST);
    let found: Vec<Option<Record>> =
        dense.sorted.iter().map(|id| (id % 2 == 0).then(|| Record { id: RecordId(*id), values: Vec::new() })).collect();
    let read: Vec<i64> = dense.in_order_of(&close, found).iter().map(|r| r.id.0).collect();
    let expected: Vec<i64> = close.iter().map(|id| id.0).filter(|id| id % 2 == 0).collect();
    assert_eq!(read, expected, "missing ones left out, repeats repeated");
}
