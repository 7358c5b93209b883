//! Text tests in the fast engine: a positive text test decided once per dictionary entry,
//! by one `memmem` search over the folded arena (in parallel pieces for large dictionaries).

use memchr::memmem;
use rayon::prelude::*;

use crate::domain::eval::{compile_pattern, fold};
use crate::domain::predicate::TextTest;
use crate::engine::snapshot::Dictionary;

/// Dictionaries with more entries than this are searched in parallel pieces.
const PARALLEL_ENTRIES: usize = 1 << 15;

/// Marks the dictionary entries a positive text test holds for.
pub(super) fn text_entries(dictionary: &Dictionary, test: TextTest<'_>, out: &mut [bool]) {
    match test {
        TextTest::Equals(wanted) => mark(dictionary, &fold(wanted), Anchor::Whole, out),
        TextTest::Contains(part) => mark(dictionary, &fold(part), Anchor::Inside, out),
        TextTest::BeginsWith(start) => mark(dictionary, &fold(start), Anchor::Start, out),
        TextTest::EndsWith(end) => mark(dictionary, &fold(end), Anchor::End, out),
        TextTest::AnyOf(options) => {
            for option in options {
                mark(dictionary, &fold(option), Anchor::Whole, out);
            }
        }
        TextTest::Pattern(pattern) => {
            // An invalid pattern matches nothing.
            if let Ok(regex) = compile_pattern(pattern) {
                out.par_iter_mut()
                    .enumerate()
                    .for_each(|(entry, holds)| *holds = regex.is_match(dictionary.typed(entry)));
            }
        }
    }
}

#[derive(Clone, Copy)]
enum Anchor {
    Whole,
    Start,
    End,
    Inside,
}

/// Sets `out[entry]` for every entry whose folded form equals / begins with / ends with /
/// contains `needle` (already folded): one `memmem` search over the folded arena, where
/// `\0` marks both ends of every entry.
fn mark(dictionary: &Dictionary, needle: &str, anchor: Anchor, out: &mut [bool]) {
    let entries = dictionary.len();
    if entries == 0 {
        return;
    }
    if dictionary.has_nul() || needle.contains('\0') {
        for (entry, holds) in out.iter_mut().enumerate() {
            let text = dictionary.folded(entry);
            *holds |= match anchor {
                Anchor::Whole => text == needle,
                Anchor::Start => text.starts_with(needle),
                Anchor::End => text.ends_with(needle),
                Anchor::Inside => text.contains(needle),
            };
        }
        return;
    }
    let mut pattern = Vec::with_capacity(needle.len() + 2);
    if matches!(anchor, Anchor::Whole | Anchor::Start) {
        pattern.push(0);
    }
    pattern.extend_from_slice(needle.as_bytes());
    if matches!(anchor, Anchor::Whole | Anchor::End) {
        pattern.push(0);
    }
    let finder = memmem::Finder::new(&pattern);
    if entries > PARALLEL_ENTRIES {
        let piece = entries.div_ceil(rayon::current_num_threads() * 4).max(1024);
        out.par_chunks_mut(piece).enumerate().for_each(|(i, out)| {
            let first = i * piece;
            search(dictionary, &finder, first, first + out.len(), out);
        });
    } else {
        search(dictionary, &finder, 0, entries, out);
    }
}

/// The search of [`mark`] over entries `first .. end`; `out[i]` is entry `first + i`.
fn search(dictionary: &Dictionary, finder: &memmem::Finder<'_>, first: usize, end: usize, out: &mut [bool]) {
    let arena = dictionary.folded_arena();
    let starts = dictionary.starts();
    // The `\0` after entry `i`.
    let end_of = |i: usize| starts.get(i + 1).map_or(arena.len(), |&next| next as usize) - 1;
    let limit = end_of(end - 1) + 1;
    let mut position = starts[first] as usize - 1;
    let mut entry = first;
    while let Some(offset) = finder.find(&arena[position..limit]) {
        let hit = position + offset;
        // The entry of a hit is the last one starting at or before `hit + 1` (a hit may
        // begin on the `\0` before its entry).
        entry = gallop(starts, entry, hit + 1);
        out[entry - first] = true;
        if entry + 1 >= end {
            break;
        }
        position = end_of(entry);
    }
}

/// The last `i >= from` with `starts[i] <= target`, given `starts[from] <= target`.
fn gallop(starts: &[u32], from: usize, target: usize) -> usize {
    let mut bound = 1;
    while from + bound < starts.len() && starts[from + bound] as usize <= target {
        bound *= 2;
    }
    let end = (from + bound + 1).min(starts.len());
    from + starts[from..end].partition_point(|&start| start as usize <= target).saturating_sub(1)
}
