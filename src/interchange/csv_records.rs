//! Records from CSV: columns matched to fields by header, every cell converted to its
//! field's kind, every problem reported with its line and column before anything is written.

use std::fmt;

use jiff::tz::TimeZone;

use super::csv_quotes::{QuoteCheck, QuoteProblem};
use crate::domain::format::{DecimalMark, parse_value_with};
use crate::domain::{FieldName, RecordId, RecordTypeDef, Value};

/// The most problems listed; a file with more says how many were left out.
pub const PROBLEM_LIMIT: usize = 200;

/// Which field a CSV column fills, or `None` to leave the column out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnMapping {
    pub header: String,
    pub target: Option<Target>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// The record's id: existing records are updated or skipped, new ids are kept.
    Id,
    Field(FieldName),
}

/// One thing wrong with the file, where it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CsvProblem {
    /// 1-based line of the file (the header is line 1); 0 for the file as a whole.
    pub line: u64,
    pub column: Option<String>,
    pub reason: String,
}

impl fmt::Display for CsvProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, &self.column) {
            (0, _) => write!(f, "{}", self.reason),
            (line, Some(column)) => write!(f, "line {line}, column \"{column}\": {}", self.reason),
            (line, None) => write!(f, "line {line}: {}", self.reason),
        }
    }
}

/// A row ready to store: its id if the file gave one, a value per field of the type (in
/// field order) and which of them the file gave (an update changes only those).
#[derive(Clone, Debug, PartialEq)]
pub struct CsvRow {
    pub line: u64,
    pub id: Option<RecordId>,
    pub values: Vec<Value>,
    pub given: Vec<bool>,
}

/// The headers of `bytes`, or what is wrong with the first line (broken quoting included).
pub fn headers(bytes: &[u8]) -> Result<Vec<String>, CsvProblem> {
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(QuoteCheck::new(bytes));
    let headers = match reader.headers() {
        Ok(headers) => headers.iter().map(|h| h.trim_start_matches('\u{feff}').trim().to_owned()).collect(),
        Err(error) => return Err(CsvProblem { line: 1, column: None, reason: describe(&error) }),
    };
    match reader.get_ref().problem() {
        Some(problem) if problem.offset < reader.position().byte() => Err(quote_problem(problem, &[])),
        _ => Ok(headers),
    }
}

/// A quoting mistake as a problem of the file, its cell named by its header when known.
fn quote_problem(problem: &QuoteProblem, headers: &[ColumnMapping]) -> CsvProblem {
    let reason = format!("character {}: {}", problem.character, problem.kind);
    match headers.get(problem.cell) {
        Some(mapping) if problem.line > 1 => {
            CsvProblem { line: problem.line, column: Some(mapping.header.clone()), reason }
        }
        _ => CsvProblem { line: problem.line, column: None, reason: format!("cell {}, {reason}", problem.cell + 1) },
    }
}

/// Matches each header to the field with that label or logical name (ignoring case and
/// spaces vs underscores); "id" or "#" is the record id. Unmatched columns map to nothing.
pub fn auto_map(def: &RecordTypeDef, headers: &[String]) -> Vec<ColumnMapping> {
    let key = |s: &str| s.trim().to_lowercase().replace([' ', '-'], "_");
    headers
        .iter()
        .map(|header| {
            let wanted = key(header);
            let target = if wanted == "id" || wanted == "#" {
                Some(Target::Id)
            } else {
                def.fields
                    .iter()
                    .find(|f| key(&f.label) == wanted || key(f.name.as_str()) == wanted)
                    .map(|f| Target::Field(f.name.clone()))
            };
            ColumnMapping { header: header.clone(), target }
        })
        .collect()
}

/// Every row of `bytes` converted for `def`, or every problem (up to [`PROBLEM_LIMIT`]).
/// Problems: a mapping to an unknown field or the same field twice, a row with more or
/// fewer cells than the header, text that is not UTF-8, a value that does not fit its field,
/// an id that is not a positive whole number or appears twice.
pub fn parse_rows(
    def: &RecordTypeDef,
    bytes: &[u8],
    mapping: &[ColumnMapping],
    tz: &TimeZone,
) -> Result<Vec<CsvRow>, Vec<CsvProblem>> {
    let (rows, problems) = parse_rows_lenient(def, bytes, mapping, tz)?;
    if problems.is_empty() { Ok(rows) } else { Err(problems) }
}

/// The rows without problems and the problems of the others (for "import only the valid
/// rows"). `Err` only for a mapping that cannot work at all (an unknown field, a field
/// filled by two columns).
pub fn parse_rows_lenient(
    def: &RecordTypeDef,
    bytes: &[u8],
    mapping: &[ColumnMapping],
    tz: &TimeZone,
) -> Result<(Vec<CsvRow>, Vec<CsvProblem>), Vec<CsvProblem>> {
    let mut reader = RowReader::new(def, bytes, mapping, tz)?;
    let mut rows = Vec::new();
    let mut problems = Problems::default();
    while let Some(row) = reader.next_row() {
        match row {
            Ok(row) => rows.push(row),
            Err(found) => problems.extend(found),
        }
    }
    Ok((rows, problems.into_list()))
}

/// Problems as a file's check collects them: the first [`PROBLEM_LIMIT`] kept, the rest
/// only counted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Problems {
    kept: Vec<CsvProblem>,
    total: u64,
}

impl Problems {
    pub fn push(&mut self, problem: CsvProblem) {
        self.total += 1;
        if self.kept.len() < PROBLEM_LIMIT {
            self.kept.push(problem);
        }
    }

    pub fn extend(&mut self, problems: impl IntoIterator<Item = CsvProblem>) {
        for problem in problems {
            self.push(problem);
        }
    }

    /// How many problems there were, listed or not.
    pub fn total(&self) -> u64 {
        self.total
    }

    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// The listed problems, and "and N more problems" when some were left out.
    pub fn into_list(self) -> Vec<CsvProblem> {
        let mut list = self.kept;
        let left_out = self.total - list.len() as u64;
        if left_out > 0 {
            list.push(CsvProblem { line: 0, column: None, reason: format!("and {left_out} more problems") });
        }
        list
    }
}

/// The rows of a CSV read and converted one at a time from any reader (a file, bytes in
/// memory), so a file of any size is checked and imported without being held in memory.
/// Reading the same input twice gives the same rows and problems (an id seen twice is a
/// problem of its second row both times).
pub struct RowReader<'a, R: std::io::Read> {
    source: RecordSource<'a, R>,
    converter: RowConverter<'a>,
    record: csv::ByteRecord,
}

/// The reading half of a [`RowReader`]: the cells of each record, quoting checked.
pub struct RecordSource<'a, R: std::io::Read> {
    mapping: &'a [ColumnMapping],
    reader: csv::Reader<QuoteCheck<R>>,
    finished: bool,
}

/// The converting half of a [`RowReader`]: a record's cells as a row of its type.
pub struct RowConverter<'a> {
    def: &'a RecordTypeDef,
    mapping: &'a [ColumnMapping],
    tz: &'a TimeZone,
    mark: DecimalMark,
    /// (column, field index; `None` = the id)
    columns: Vec<(usize, Option<usize>)>,
    seen_ids: std::collections::HashMap<i64, u64>,
}

impl<'a, R: std::io::Read> RowReader<'a, R> {
    /// A reader of `input` (header row first) for `def` with `mapping`; `Err` for a mapping
    /// that cannot work at all (an unknown field, a field filled by two columns).
    pub fn new(
        def: &'a RecordTypeDef,
        input: R,
        mapping: &'a [ColumnMapping],
        tz: &'a TimeZone,
    ) -> Result<Self, Vec<CsvProblem>> {
        let mut problems = Vec::new();
        let mut columns: Vec<(usize, Option<usize>)> = Vec::new();
        for (column, map) in mapping.iter().enumerate() {
            match &map.target {
                None => {}
                Some(Target::Id) => columns.push((column, None)),
                Some(Target::Field(name)) => match def.field_index(name) {
                    Some(index) => columns.push((column, Some(index))),
                    None => problems.push(CsvProblem {
                        line: 0,
                        column: Some(map.header.clone()),
                        reason: format!("{} has no field \"{name}\"", def.label),
                    }),
                },
            }
        }
        for (i, (_, field)) in columns.iter().enumerate() {
            if columns[..i].iter().any(|(_, other)| other == field) {
                let what = field.map_or("the id".to_owned(), |f| format!("the field {}", def.fields[f].label));
                problems.push(CsvProblem {
                    line: 0,
                    column: Some(mapping[columns[i].0].header.clone()),
                    reason: format!("{what} is filled by two columns"),
                });
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let reader = csv::ReaderBuilder::new().has_headers(true).flexible(true).from_reader(QuoteCheck::new(input));
        Ok(Self {
            source: RecordSource { mapping, reader, finished: false },
            converter: RowConverter {
                def,
                mapping,
                tz,
                mark: DecimalMark::Point,
                columns,
                seen_ids: std::collections::HashMap::new(),
            },
            record: csv::ByteRecord::new(),
        })
    }

    /// Numbers written with `mark` (`1.234,5` with a decimal comma) instead of a point.
    #[must_use]
    pub fn with_decimal_mark(mut self, mark: DecimalMark) -> Self {
        self.converter.mark = mark;
        self
    }

    /// How far into the input the reader is, in bytes.
    pub fn bytes_read(&self) -> u64 {
        self.source.bytes_read()
    }

    /// The next row that is not blank, converted, or its problems; `None` at the end. A
    /// file that cannot be read on (broken quoting: an unclosed quote, text after a closing
    /// quote; a read error) gives its problem once, then `None`.
    pub fn next_row(&mut self) -> Option<Result<CsvRow, Vec<CsvProblem>>> {
        loop {
            if let Err(problems) = self.source.next_record(&mut self.record)? {
                return Some(Err(problems));
            }
            if let Some(row) = self.converter.convert(&self.record) {
                return Some(row);
            }
        }
    }
}

impl<R: std::io::Read> RecordSource<'_, R> {
    /// How far into the input the reader is, in bytes.
    pub fn bytes_read(&self) -> u64 {
        self.reader.position().byte()
    }

    /// A quoting mistake in the bytes read so far, up to the end of the last record.
    fn quoting_problem(&mut self) -> Option<Vec<CsvProblem>> {
        let read = self.reader.position().byte();
        let problem = self.reader.get_ref().problem().filter(|p| p.offset < read)?;
        self.finished = true;
        Some(vec![quote_problem(problem, self.mapping)])
    }

    /// Reads the next record's cells into `record`; `None` at the end. A file that cannot
    /// be read on gives its problem once, then `None`.
    pub fn next_record(&mut self, record: &mut csv::ByteRecord) -> Option<Result<(), Vec<CsvProblem>>> {
        if self.finished {
            return None;
        }
        match self.reader.read_byte_record(record) {
            Ok(false) => {
                self.finished = true;
                self.quoting_problem().map(Err)
            }
            Ok(true) => Some(self.quoting_problem().map_or(Ok(()), Err)),
            Err(error) => {
                self.finished = true;
                let line = error.position().map_or(0, |p| p.line());
                Some(Err(vec![CsvProblem { line, column: None, reason: describe(&error) }]))
            }
        }
    }
}

impl RowConverter<'_> {
    /// `record` converted, or its problems; `None` for a blank record, which is no row.
    pub fn convert(&mut self, record: &csv::ByteRecord) -> Option<Result<CsvRow, Vec<CsvProblem>>> {
        let def = self.def;
        let width = self.mapping.len();
        let line = record.position().map_or(0, |p| p.line());
        if record.iter().all(|cell| cell.iter().all(u8::is_ascii_whitespace)) {
            return None;
        }
        if record.len() != width {
            let reason = format!("has {} cells but the header has {width}", record.len());
            return Some(Err(vec![CsvProblem { line, column: None, reason }]));
        }
        let mut problems = Vec::new();
        let mut row = CsvRow {
            line,
            id: None,
            values: vec![Value::Empty; def.fields.len()],
            given: vec![false; def.fields.len()],
        };
        for &(column, field) in &self.columns {
            let header = || Some(self.mapping[column].header.clone());
            let Ok(text) = std::str::from_utf8(&record[column]) else {
                problems.push(CsvProblem { line, column: header(), reason: "is not valid UTF-8 text".to_owned() });
                continue;
            };
            match field {
                None => {
                    let text = text.trim().trim_start_matches('#');
                    if text.is_empty() {
                        continue;
                    }
                    match text.parse::<i64>() {
                        Ok(id) if id > 0 => {
                            if let Some(first) = self.seen_ids.insert(id, line) {
                                // The first line stays the one named.
                                self.seen_ids.insert(id, first);
                                let reason = format!("the id {id} was already on line {first}");
                                problems.push(CsvProblem { line, column: header(), reason });
                            }
                            row.id = Some(RecordId(id));
                        }
                        _ => problems.push(CsvProblem {
                            line,
                            column: header(),
                            reason: format!("\"{text}\" is not a record id"),
                        }),
                    }
                }
                Some(index) => match parse_value_with(&def.fields[index], text, self.tz, self.mark) {
                    Ok(value) => {
                        row.values[index] = value;
                        row.given[index] = true;
                    }
                    Err(reason) => problems.push(CsvProblem { line, column: header(), reason }),
                },
            }
        }
        Some(if problems.is_empty() { Ok(row) } else { Err(problems) })
    }
}

/// The header and up to `n` first rows of `bytes` as text, for a look before importing
/// (cells that are not UTF-8 shown with replacement characters).
pub fn sample(bytes: &[u8], n: usize) -> Result<(Vec<String>, Vec<Vec<String>>), CsvProblem> {
    let headers = headers(bytes)?;
    let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(true).from_reader(bytes);
    let mut rows = Vec::new();
    for record in reader.byte_records().take(n) {
        match record {
            Ok(record) => rows.push(record.iter().map(|c| String::from_utf8_lossy(c).into_owned()).collect()),
            // A file cut off mid-row (the sample is the file's start) ends the sample.
            Err(_) => break,
        }
    }
    Ok((headers, rows))
}

/// A cell a spreadsheet would run as a formula (it starts with `=`, `+`, `-`, `@`, a tab or
/// a carriage return) gets a leading `'`, so it shows as the text it is.
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => std::borrow::Cow::Owned(format!("'{cell}")),
        _ => std::borrow::Cow::Borrowed(cell),
    }
}

/// Writes `records` of `def` as CSV: an "id" column, then one column per field headed by
/// its label, values as the importer reads them back (lookups and owners as ids, dates ISO,
/// date-times as RFC 3339 instants), formula-like cells neutralised. `tz` formats nothing
/// today but keeps the signature of the importer's.
pub fn write_records<W: std::io::Write, R: std::borrow::Borrow<crate::domain::Record>>(
    out: W,
    def: &RecordTypeDef,
    records: impl IntoIterator<Item = R>,
    tz: &TimeZone,
) -> Result<(), csv::Error> {
    let mut writer = csv::Writer::from_writer(out);
    let mut header = vec!["id".to_owned()];
    header.extend(def.fields.iter().map(|f| f.label.clone()));
    writer.write_record(&header)?;
    for record in records {
        let record = record.borrow();
        let mut row = vec![record.id.0.to_string()];
        for (index, _) in def.fields.iter().enumerate() {
            let text = match record.values.get(index) {
                None | Some(Value::Empty) => String::new(),
                Some(Value::Lookup(id)) => id.0.to_string(),
                Some(Value::Owner(id)) => id.0.to_string(),
                // The instant itself (RFC 3339, UTC): exact to the second, no DST ambiguity.
                Some(Value::DateTime(t)) => t.to_string(),
                Some(value) => crate::domain::format::format_value(value, tz),
            };
            row.push(neutralise(&text).into_owned());
        }
        writer.write_record(&row)?;
    }
    writer.flush()?;
    Ok(())
}

fn describe(error: &csv::Error) -> String {
    match error.kind() {
        csv::ErrorKind::Utf8 { .. } => "is not valid UTF-8 text".to_owned(),
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
            format!("has {len} cells but the header has {expected_len}")
        }
        _ => error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Schema;

    fn lead() -> RecordTypeDef {
        Schema::built_in().get_by_str("lead").cloned().unwrap_or_else(|| panic!("built-in lead"))
    }

    fn parse(text: &str) -> Result<Vec<CsvRow>, Vec<String>> {
        let def = lead();
        let headers = headers(text.as_bytes()).map_err(|p| vec![p.to_string()])?;
        let mapping = auto_map(&def, &headers);
        parse_rows(&def, text.as_bytes(), &mapping, &TimeZone::UTC)
            .map_err(|ps| ps.iter().map(|p| p.to_string()).collect())
    }

    #[test]
    fn headers_match_labels_and_names_and_values_convert() {
        let rows = parse("Id,Topic,lead score,Rating,unknown\n7,Hello,\"1,200\",hot,x\n,Second,,,\n").expect("valid");
        assert_eq!(rows.len(), 2);
        let def = lead();
        let score = def.field_by_str("score").and_then(|f| def.field_index(&f.name)).expect("score");
        assert_eq!(rows[0].id, Some(RecordId(7)));
        assert_eq!(rows[0].values[score], Value::WholeNumber(1200));
        assert!(rows[0].given[score]);
        assert_eq!(rows[1].id, None);
        assert_eq!(rows[1].line, 3);
    }

    #[test]
    fn written_records_read_back_the_same_and_formulas_are_neutralised() {
        use crate::domain::Record;
        let def = lead();
        let tz = TimeZone::get("Europe/Berlin").unwrap_or(TimeZone::UTC);
        let index = |name: &str| def.field_by_str(name).and_then(|f| def.field_index(&f.name)).expect("field");
        let mut one = Record::empty(RecordId(3), &def);
        one.values[index("topic")] = Value::Text("=HYPERLINK(\"x\")".into());
        one.values[index("score")] = Value::WholeNumber(1200);
        one.values[index("rating")] = Value::Choice("Warm".into());
        one.values[index("account")] = Value::Lookup(RecordId(9));
        one.values[index("created_on")] = Value::DateTime("2026-10-25T01:30:17Z".parse().expect("time"));
        let mut two = Record::empty(RecordId(4), &def);
        two.values[index("topic")] = Value::Text("Plain, with \"quotes\"\nand a line".into());
        let mut bytes = Vec::new();
        write_records(&mut bytes, &def, [&one, &two], &tz).expect("write");
        let text = String::from_utf8(bytes.clone()).expect("utf-8");
        assert!(text.contains("'=HYPERLINK"), "{text}");
        let headers = headers(&bytes).expect("headers");
        let rows = parse_rows(&def, &bytes, &auto_map(&def, &headers), &tz).expect("reads back");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].id, Some(RecordId(3)));
        let mut expected = one.values.clone();
        expected[index("topic")] = Value::Text("'=HYPERLINK(\"x\")".into());
        assert_eq!(rows[0].values, expected, "every value survives (the formula stays text)");
        assert_eq!(rows[1].values, two.values);
        assert_eq!(neutralise("-5"), "'-5");
        assert_eq!(neutralise("a=b"), "a=b");
    }

    #[test]
    fn every_problem_is_reported_with_its_place() {
        let problems = parse("id,Topic,Lead score\n1,A,lots\n1,B,2\nx,C,3\n4,D\n").expect_err("invalid");
        assert_eq!(
            problems,
            [
                "line 2, column \"Lead score\": \"lots\" is not a whole number",
                "line 3, column \"id\": the id 1 was already on line 2",
                "line 4, column \"id\": \"x\" is not a record id",
                "line 5: has 2 cells but the header has 3",
            ]
        );
        let bad_utf8 = parse_rows(&lead(), b"Topic\n\xff\xfe\n", &auto_map(&lead(), &["Topic".into()]), &TimeZone::UTC);
        assert_eq!(
            bad_utf8.map_err(|p| p[0].to_string()),
            Err("line 2, column \"Topic\": is not valid UTF-8 text".to_owned())
        );
    }
}
