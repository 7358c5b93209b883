//! A fixed-length set of row numbers, one bit per row, in 64-bit words.
//!
//! Bits past `len` in the last word are always zero, so counts and complements need no
//! masking by callers.

use rayon::prelude::*;

/// Rows per parallel chunk: below this a scan runs on the calling thread.
const CHUNK_WORDS: usize = 2048;

/// One bit per row of a record type's snapshot.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Bitset {
    words: Vec<u64>,
    len: usize,
}

impl Bitset {
    /// `len` rows, none set.
    pub fn empty(len: usize) -> Self {
        Self { words: vec![0; len.div_ceil(64)], len }
    }

    /// `len` rows, all set.
    pub fn full(len: usize) -> Self {
        let mut set = Self { words: vec![u64::MAX; len.div_ceil(64)], len };
        set.trim();
        set
    }

    /// Every row where `row_holds(row)` is true, computed in parallel.
    pub fn from_fn(len: usize, row_holds: impl Fn(usize) -> bool + Sync) -> Self {
        Self::from_words(len, |word| {
            let base = word * 64;
            let end = (base + 64).min(len);
            let mut bits = 0u64;
            for (i, row) in (base..end).enumerate() {
                bits |= u64::from(row_holds(row)) << i;
            }
            bits
        })
    }

    /// A set whose word `w` (rows `64 w .. 64 w + 63`) is `word(w)`, computed in parallel.
    /// Bits past `len` are cleared afterwards.
    pub fn from_words(len: usize, word: impl Fn(usize) -> u64 + Sync) -> Self {
        let mut words = vec![0u64; len.div_ceil(64)];
        fill_words(&mut words, &word);
        let mut set = Self { words, len };
        set.trim();
        set
    }

    /// How many rows the set ranges over (set or not).
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn words(&self) -> &[u64] {
        &self.words
    }

    /// A set of `len` rows from its words (as [`Bitset::words`] gives them); `None` when
    /// the count of words does not fit `len` or a bit past `len` is set.
    pub fn from_raw(words: Vec<u64>, len: usize) -> Option<Self> {
        Self::fits(words.len(), words.last().copied(), len).then_some(Self { words, len })
    }

    /// Whether `count` words, the last of them `last`, are a set of `len` bits (none set
    /// beyond them): what [`Bitset::from_raw`] takes.
    pub fn fits(count: usize, last: Option<u64>, len: usize) -> bool {
        if count != len.div_ceil(64) {
            return false;
        }
        let extra = count * 64 - len;
        extra == 0 || last.is_none_or(|last| last & !(u64::MAX >> extra) == 0)
    }

    pub fn contains(&self, row: usize) -> bool {
        row < self.len && self.words[row / 64] & (1 << (row % 64)) != 0
    }

    pub fn insert(&mut self, row: usize) {
        if row < self.len {
            self.words[row / 64] |= 1 << (row % 64);
        }
    }

    pub fn remove(&mut self, row: usize) {
        if row < self.len {
            self.words[row / 64] &= !(1 << (row % 64));
        }
    }

    /// Grows (new rows unset) or shrinks the set to `len` rows.
    pub fn resize(&mut self, len: usize) {
        self.words.resize(len.div_ceil(64), 0);
        self.len = len;
        self.trim();
    }

    /// Room for `additional` more rows without reallocating.
    pub(crate) fn reserve(&mut self, additional: usize) {
        self.words.reserve((self.len + additional).div_ceil(64).saturating_sub(self.words.len()));
    }

    /// Releases spare capacity.
    pub(crate) fn shrink_to_fit(&mut self) {
        self.words.shrink_to_fit();
    }

    /// How many rows are set.
    pub fn count(&self) -> usize {
        if self.words.len() >= CHUNK_WORDS * 2 {
            self.words.par_chunks(CHUNK_WORDS).map(|c| c.iter().map(|w| w.count_ones() as usize).sum::<usize>()).sum()
        } else {
            self.words.iter().map(|w| w.count_ones() as usize).sum()
        }
    }

    /// How many rows are set in both.
    pub fn count_and(&self, other: &Bitset) -> usize {
        self.words.iter().zip(&other.words).map(|(a, b)| (a & b).count_ones() as usize).sum()
    }

    /// The set rows, ascending.
    pub fn ones(&self) -> impl Iterator<Item = usize> + '_ {
        self.words.iter().enumerate().flat_map(|(w, &word)| {
            let mut bits = word;
            std::iter::from_fn(move || {
                if bits == 0 {
                    return None;
                }
                let bit = bits.trailing_zeros() as usize;
                bits &= bits - 1;
                Some(w * 64 + bit)
            })
        })
    }

    /// Keeps the rows set in both. A shorter `other` counts as unset past its end.
    pub fn and_with(&mut self, other: &Bitset) {
        self.zip_with(other, |a, b| a & b, 0);
    }

    /// Adds the rows of `other`.
    pub fn or_with(&mut self, other: &Bitset) {
        self.zip_with(other, |a, b| a | b, 0);
    }

    /// Removes the rows of `other`.
    pub fn and_not_with(&mut self, other: &Bitset) {
        self.zip_with(other, |a, b| a & !b, 0);
    }

    /// The complement within `len` rows.
    pub fn negate(&mut self) {
        par_map_words(&mut self.words, |w| !w);
        self.trim();
    }

    /// Total heap memory held, in bytes.
    pub fn heap_bytes(&self) -> usize {
        self.words.capacity() * 8
    }

    fn zip_with(&mut self, other: &Bitset, op: impl Fn(u64, u64) -> u64 + Sync, missing: u64) {
        let shared = self.words.len().min(other.words.len());
        let (head, tail) = self.words.split_at_mut(shared);
        let other = &other.words[..shared];
        if head.len() >= CHUNK_WORDS * 2 {
            head.par_chunks_mut(CHUNK_WORDS).zip(other.par_chunks(CHUNK_WORDS)).for_each(|(a, b)| {
                a.iter_mut().zip(b).for_each(|(x, y)| *x = op(*x, *y));
            });
        } else {
            head.iter_mut().zip(other).for_each(|(x, y)| *x = op(*x, *y));
        }
        for x in tail.iter_mut() {
            *x = op(*x, missing);
        }
        self.trim();
    }

    fn trim(&mut self) {
        let extra = self.words.len() * 64 - self.len;
        if extra > 0
            && let Some(last) = self.words.last_mut()
        {
            *last &= u64::MAX >> extra;
        }
    }
}

fn par_map_words(words: &mut [u64], op: impl Fn(u64) -> u64 + Sync) {
    if words.len() >= CHUNK_WORDS * 2 {
        words.par_chunks_mut(CHUNK_WORDS).for_each(|c| c.iter_mut().for_each(|w| *w = op(*w)));
    } else {
        for w in words.iter_mut() {
            *w = op(*w);
        }
    }
}

/// Fills `words[w] = word(w)`, in parallel chunks when there are many.
pub(crate) fn fill_words(words: &mut [u64], word: &(impl Fn(usize) -> u64 + Sync)) {
    if words.len() >= CHUNK_WORDS * 2 {
        words.par_chunks_mut(CHUNK_WORDS).enumerate().for_each(|(chunk, out)| {
            let first = chunk * CHUNK_WORDS;
            for (i, w) in out.iter_mut().enumerate() {
                *w = word(first + i);
            }
        });
    } else {
        for (i, w) in words.iter_mut().enumerate() {
            *w = word(i);
        }
    }
}

/// Packs `pred(values[i])` for the (up to) 64 values of word `w` into one word.
#[allow(clippy::inline_always, reason = "the innermost loop of every column scan; measured faster inlined")]
#[inline(always)]
pub(crate) fn pack<T: Copy>(values: &[T], w: usize, pred: impl Fn(T) -> bool) -> u64 {
    let base = w * 64;
    let end = (base + 64).min(values.len());
    let chunk = &values[base.min(end)..end];
    let mut bits = 0u64;
    if let Ok(full) = <&[T; 64]>::try_from(chunk) {
        // A whole word: a fixed trip count the compiler can vectorise.
        for (i, &v) in full.iter().enumerate() {
            bits |= u64::from(pred(v)) << i;
        }
    } else {
        for (i, &v) in chunk.iter().enumerate() {
            bits |= u64::from(pred(v)) << i;
        }
    }
    bits
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn complement_and_counts_stay_within_len() {
        let mut set = Bitset::from_fn(130, |row| row % 3 == 0);
        assert_eq!(set.count(), 44);
        set.negate();
        assert_eq!(set.count(), 86);
        assert!(!set.contains(129));
        assert!(set.contains(128));
        assert_eq!(Bitset::full(65).count(), 65);
        let ones: Vec<_> = Bitset::from_fn(70, |row| row == 3 || row == 69).ones().collect();
        assert_eq!(ones, [3, 69]);
        let mut grown = Bitset::full(3);
        grown.resize(100);
        assert_eq!(grown.count(), 3);
    }
}
