//! Strict quoting for CSV input. The `csv` crate is lenient: a quoted cell whose closing
//! quote is followed by more text (`"x"y`) is read as `xy`, and a quote that is never
//! closed swallows the rest of the file into one cell. Both are almost always a broken
//! file, so they are refused with their place. [`QuoteCheck`] watches the bytes on their
//! way into the `csv` reader (no second read of the file, nothing held: it streams) and
//! remembers the first such mistake; the row reader asks for it after every record.
//!
//! The rules follow RFC 4180 with the `csv` reader's defaults: `,` between cells, `"` to
//! quote, `""` for a quote inside a quoted cell, `\n`, `\r\n` or `\r` ending a record. A
//! quote inside an unquoted cell (`5" disk`) is kept as text, as the reader keeps it.

use std::fmt;
use std::io::Read;

/// What is wrong with the quoting, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuoteProblem {
    /// Byte offset of the place in the input (to tell which record it belongs to).
    pub offset: u64,
    /// 1-based line (lines end at `\n`, as the reader counts them).
    pub line: u64,
    /// 1-based character in that line.
    pub character: u64,
    /// 0-based cell of its record.
    pub cell: usize,
    pub kind: QuoteProblemKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QuoteProblemKind {
    /// A quoted cell runs to the end of the file: its closing quote is missing.
    Unclosed,
    /// Text follows a quoted cell's closing quote before the next `,` or line end.
    TextAfterQuote,
}

impl fmt::Display for QuoteProblemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QuoteProblemKind::Unclosed => {
                write!(f, "the quote that opens this cell is never closed (it would take in the rest of the file)")
            }
            QuoteProblemKind::TextAfterQuote => write!(
                f,
                "text follows the closing quote of a quoted cell; quote the whole cell and double the quotes inside it (\"x\"\"y\")"
            ),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// At the start of a cell.
    CellStart,
    /// In a cell that did not start with a quote.
    Unquoted,
    /// In a quoted cell.
    Quoted,
    /// A quote in a quoted cell: the end of the cell, or the first of `""`.
    QuoteInQuoted,
}

const BOM: [u8; 3] = [0xEF, 0xBB, 0xBF];

/// Passes `inner` through unchanged and notes the first quoting mistake in it.
pub struct QuoteCheck<R> {
    inner: R,
    state: State,
    offset: u64,
    line: u64,
    character: u64,
    cell: usize,
    /// Where the quoted cell being read opened (offset, line, character, cell).
    opened: (u64, u64, u64, usize),
    /// How many bytes of a leading byte order mark were seen (3 = done with it).
    bom_seen: usize,
    problem: Option<QuoteProblem>,
}

impl<R> QuoteCheck<R> {
    pub fn new(inner: R) -> Self {
        Self {
            inner,
            state: State::CellStart,
            offset: 0,
            line: 1,
            character: 0,
            cell: 0,
            opened: (0, 1, 1, 0),
            bom_seen: 0,
            problem: None,
        }
    }

    /// The first mistake in the bytes read so far (an unclosed quote once the end is read).
    pub fn problem(&self) -> Option<&QuoteProblem> {
        self.problem.as_ref()
    }

    fn found(&mut self, kind: QuoteProblemKind) {
        if self.problem.is_none() {
            let (offset, line, character, cell) = match kind {
                QuoteProblemKind::Unclosed => self.opened,
                QuoteProblemKind::TextAfterQuote => (self.offset, self.line, self.character, self.cell),
            };
            self.problem = Some(QuoteProblem { offset, line, character, cell, kind });
        }
    }

    fn scan(&mut self, mut bytes: &[u8]) {
        while let Some((&byte, rest)) = bytes.split_first() {
            // Within a cell, the bytes that cannot end it (or quote) only move the place:
            // passed over in bulk, which is most of a file.
            let plain = match self.state {
                _ if self.bom_seen < BOM.len() => 0,
                State::Quoted => memchr::memchr(b'"', bytes).unwrap_or(bytes.len()),
                State::Unquoted => memchr::memchr3(b',', b'\n', b'\r', bytes).unwrap_or(bytes.len()),
                State::CellStart | State::QuoteInQuoted => 0,
            };
            if plain > 0 {
                self.pass(&bytes[..plain]);
                bytes = &bytes[plain..];
            } else {
                self.scan_byte(byte);
                bytes = rest;
            }
        }
    }

    /// Moves the place over `run`, bytes that change no state.
    fn pass(&mut self, run: &[u8]) {
        // A character starts at every byte that is not a UTF-8 continuation byte.
        let characters = |bytes: &[u8]| bytes.iter().filter(|&&b| b & 0xC0 != 0x80).count() as u64;
        self.offset += run.len() as u64;
        match memchr::memrchr(b'\n', run) {
            Some(last) => {
                self.line += memchr::memchr_iter(b'\n', run).count() as u64;
                self.character = characters(&run[last + 1..]);
            }
            None => self.character += characters(run),
        }
    }

    fn scan_byte(&mut self, byte: u8) {
        if self.bom_seen < BOM.len() {
            if byte == BOM[self.bom_seen] && self.offset == self.bom_seen as u64 {
                self.bom_seen += 1;
                self.offset += 1;
                return;
            }
            self.bom_seen = BOM.len();
        }
        if byte & 0xC0 != 0x80 {
            self.character += 1;
        }
        self.step(byte);
        self.offset += 1;
        if byte == b'\n' {
            self.line += 1;
            self.character = 0;
        }
    }

    fn step(&mut self, byte: u8) {
        let end_of_record = byte == b'\n' || byte == b'\r';
        self.state = match (self.state, byte) {
            (State::Quoted, b'"') => State::QuoteInQuoted,
            (State::Quoted, _) => State::Quoted,
            (State::QuoteInQuoted, b'"') => State::Quoted,
            (State::CellStart, b'"') => {
                self.opened = (self.offset, self.line, self.character, self.cell);
                State::Quoted
            }
            (_, b',') => {
                self.cell += 1;
                State::CellStart
            }
            (_, _) if end_of_record => {
                self.cell = 0;
                State::CellStart
            }
            (State::QuoteInQuoted, _) => {
                self.found(QuoteProblemKind::TextAfterQuote);
                State::Unquoted
            }
            (State::CellStart | State::Unquoted, _) => State::Unquoted,
        };
    }

    fn finish(&mut self) {
        if self.state == State::Quoted {
            self.found(QuoteProblemKind::Unclosed);
        }
    }
}

impl<R: Read> Read for QuoteCheck<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && !buf.is_empty() {
            self.finish();
        } else {
            self.scan(&buf[..n]);
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The problem found in `input` as (line, character, cell, kind), read in chunks of
    /// `chunk` bytes.
    fn check(input: &str, expected: Option<(u64, u64, usize, QuoteProblemKind)>) {
        for chunk in [1, 3, 64 * 1024] {
            let mut reader = QuoteCheck::new(input.as_bytes());
            let mut buf = vec![0; chunk];
            while reader.read(&mut buf).expect("read") > 0 {}
            let found = reader.problem().map(|p| (p.line, p.character, p.cell, p.kind.clone()));
            assert_eq!(found, expected, "{input:?} read {chunk} bytes at a time");
        }
    }

    #[test]
    fn quoting_mistakes_are_found_with_their_place() {
        use QuoteProblemKind::{TextAfterQuote, Unclosed};
        check("a,b\n1,2\n", None);
        check("a,b\n\"x, y\",\"say \"\"hi\"\"\"\n", None);
        check("a,b\r\n\"x\"\r\n\"multi\nline\",2\n", None);
        check("a,b\n5\" disk,2\n", None);
        check("a,b\n\"\",\"\"", None);
        check("\u{feff}\"a\",b\n1,2\n", None);
        check("a,b\n\"x\"y,2\n", Some((2, 4, 0, TextAfterQuote)));
        check("a,b\n1,\"x\" \n", Some((2, 6, 1, TextAfterQuote)));
        check("a,b\n1,\"é\"z\n", Some((2, 6, 1, TextAfterQuote)));
        check("a,b\n\"é\nü\"x,2\n", Some((3, 3, 0, TextAfterQuote)));
        check("a,b\nüü,\"x\ny\"\r\n1,\"Grüße\" ,2\n", Some((4, 10, 1, TextAfterQuote)));
        check("a,b\n1,2\n3,\"open\n4,5\n6,7\n", Some((3, 3, 1, Unclosed)));
        check("\"a,b\n1,2\n", Some((1, 1, 0, Unclosed)));
    }
}
