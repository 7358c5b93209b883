//! The exact integers of a whole-number or money column, as narrow as its values allow: a
//! score from 0 to 100 takes a byte a row, not eight. Widened (never narrowed) when a value
//! does not fit, as coded columns' codes are.

/// Integers of one width.
#[derive(Clone, Debug)]
pub(crate) enum Ints {
    I8(Vec<i8>),
    I16(Vec<i16>),
    I32(Vec<i32>),
    I64(Vec<i64>),
}

/// Runs `$body` with `$v` the vector of whichever width `$ints` has.
macro_rules! each_width {
    ($ints:expr, $v:ident => $body:expr) => {
        match $ints {
            Ints::I8($v) => $body,
            Ints::I16($v) => $body,
            Ints::I32($v) => $body,
            Ints::I64($v) => $body,
        }
    };
}
pub(crate) use each_width;

/// The same integers, whatever their widths.
impl PartialEq for Ints {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && (0..self.len()).all(|row| self.get(row) == other.get(row))
    }
}

impl Default for Ints {
    fn default() -> Self {
        Ints::I8(Vec::new())
    }
}

impl Ints {
    pub(super) fn with_len(len: usize) -> Self {
        Ints::I8(vec![0; len])
    }

    pub(crate) fn get(&self, row: usize) -> i64 {
        match self {
            Ints::I8(v) => i64::from(v[row]),
            Ints::I16(v) => i64::from(v[row]),
            Ints::I32(v) => i64::from(v[row]),
            Ints::I64(v) => v[row],
        }
    }

    pub(crate) fn len(&self) -> usize {
        each_width!(self, v => v.len())
    }

    pub(super) fn set(&mut self, row: usize, value: i64) {
        self.widen_for(value);
        // `widen_for` made the width hold `value`.
        match self {
            Ints::I8(v) => v[row] = value as i8,
            Ints::I16(v) => v[row] = value as i16,
            Ints::I32(v) => v[row] = value as i32,
            Ints::I64(v) => v[row] = value,
        }
    }

    pub(super) fn push(&mut self, value: i64) {
        self.widen_for(value);
        match self {
            Ints::I8(v) => v.push(value as i8),
            Ints::I16(v) => v.push(value as i16),
            Ints::I32(v) => v.push(value as i32),
            Ints::I64(v) => v.push(value),
        }
    }

    /// Bytes a value takes.
    pub(super) fn width(&self) -> usize {
        match self {
            Ints::I8(_) => 1,
            Ints::I16(_) => 2,
            Ints::I32(_) => 4,
            Ints::I64(_) => 8,
        }
    }

    fn widen_for(&mut self, value: i64) {
        let needed = if i8::try_from(value).is_ok() {
            1
        } else if i16::try_from(value).is_ok() {
            2
        } else if i32::try_from(value).is_ok() {
            4
        } else {
            8
        };
        if needed <= self.width() {
            return;
        }
        let all = (0..self.len()).map(|row| self.get(row));
        *self = match needed {
            2 => Ints::I16(all.map(|x| x as i16).collect()),
            4 => Ints::I32(all.map(|x| x as i32).collect()),
            _ => Ints::I64(all.collect()),
        };
    }

    pub(super) fn reserve(&mut self, additional: usize) {
        each_width!(self, v => v.reserve(additional));
    }

    pub(super) fn shrink(&mut self) {
        each_width!(self, v => v.shrink_to_fit());
    }

    pub(super) fn heap_bytes(&self) -> usize {
        each_width!(self, v => v.capacity()) * self.width()
    }

    /// The values, little endian, [`Ints::width`] bytes each.
    pub(super) fn to_le_bytes(&self) -> Vec<u8> {
        each_width!(self, v => v.iter().flat_map(|x| x.to_le_bytes()).collect())
    }

    /// How many values of `width` bytes `len` bytes hold: what [`Ints::from_le_bytes`]
    /// takes (`None` for another width or a length that is not a whole number of values).
    pub(super) fn len_of(width: u8, len: usize) -> Option<usize> {
        let width = usize::from(width);
        ([1, 2, 4, 8].contains(&width) && len.is_multiple_of(width)).then(|| len / width)
    }

    /// Values of `width` bytes each, little endian; `None` for another width or a length
    /// that is not a whole number of values.
    pub(super) fn from_le_bytes(width: u8, bytes: &[u8]) -> Option<Self> {
        Self::len_of(width, bytes.len())?;
        let width = usize::from(width);
        let mut values = bytes.chunks_exact(width).map(|b| {
            let mut word = [if b[width - 1] & 0x80 == 0 { 0 } else { 0xFF }; 8];
            word[..width].copy_from_slice(b);
            i64::from_le_bytes(word)
        });
        Some(match width {
            1 => Ints::I8(values.by_ref().map(|x| x as i8).collect()),
            2 => Ints::I16(values.by_ref().map(|x| x as i16).collect()),
            4 => Ints::I32(values.by_ref().map(|x| x as i32).collect()),
            _ => Ints::I64(values.collect()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_widen_as_they_come_and_read_back_through_bytes() {
        let mut ints = Ints::with_len(2);
        ints.set(1, -128);
        assert_eq!(ints.width(), 1);
        for (value, width) in [(127, 1), (-129, 2), (40_000, 4), (-3_000_000_000, 8), (5, 8)] {
            ints.push(value);
            assert_eq!(ints.width(), width, "after {value}");
        }
        let expected = [0, -128, 127, -129, 40_000, -3_000_000_000, 5];
        assert_eq!((0..ints.len()).map(|row| ints.get(row)).collect::<Vec<_>>(), expected);
        for mut narrow in [Ints::with_len(0), Ints::I16(Vec::new()), Ints::I32(Vec::new())] {
            for x in [-7, 100, -32_768] {
                narrow.push(x);
            }
            let back = Ints::from_le_bytes(narrow.width() as u8, &narrow.to_le_bytes()).expect("read back");
            assert_eq!(back.width(), narrow.width());
            assert_eq!(back, narrow);
        }
        let back = Ints::from_le_bytes(8, &ints.to_le_bytes()).expect("read back");
        assert_eq!(back, ints);
        assert!(Ints::from_le_bytes(3, &[0; 6]).is_none());
        assert!(Ints::from_le_bytes(4, &[0; 6]).is_none());
        // Equal values at different widths are equal.
        assert_eq!(Ints::I8(vec![1, -1]), Ints::I64(vec![1, -1]));
    }
}
