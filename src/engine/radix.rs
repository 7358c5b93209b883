//! Ordering rows by an integer key in linear time: a stable least-significant-digit radix
//! sort, a byte at a time, that skips every byte all keys share. Sort orders of a million
//! rows are built in a few passes over memory instead of twenty rounds of comparisons
//! (the Records screen's first sort by a column, a preview's first order).

/// Below this many keys a comparison sort is quicker than counting 8 × 256 buckets.
const SMALL: usize = 256;

/// `rows` ordered by their `keys` (the same length: `keys[i]` is the key of `rows[i]`),
/// ascending; rows with equal keys keep the order they were given in.
#[must_use]
pub fn order_by_keys(mut keys: Vec<u64>, mut rows: Vec<u32>) -> Vec<u32> {
    let n = keys.len().min(rows.len());
    keys.truncate(n);
    rows.truncate(n);
    if n < SMALL {
        let mut pairs: Vec<(u64, u32)> = keys.into_iter().zip(rows).collect();
        pairs.sort_by_key(|&(key, _)| key);
        return pairs.into_iter().map(|(_, row)| row).collect();
    }
    // Only the bytes in which some keys differ need a pass, and only those are counted.
    let differ = keys.iter().fold(0, |acc, &key| acc | (key ^ keys[0]));
    let bytes: Vec<usize> = (0..8).filter(|&byte| digit(differ, byte) != 0).collect();
    if bytes.is_empty() {
        return rows;
    }
    let mut counts = vec![[0usize; 256]; bytes.len()];
    for &key in &keys {
        for (&byte, count) in bytes.iter().zip(counts.iter_mut()) {
            count[digit(key, byte)] += 1;
        }
    }
    let mut keys_to = vec![0u64; n];
    let mut rows_to = vec![0u32; n];
    for (&byte, count) in bytes.iter().zip(&counts) {
        let mut next = [0usize; 256];
        let mut sum = 0;
        for (start, &c) in next.iter_mut().zip(count) {
            *start = sum;
            sum += c;
        }
        for (&key, &row) in keys.iter().zip(&rows) {
            let at = &mut next[digit(key, byte)];
            keys_to[*at] = key;
            rows_to[*at] = row;
            *at += 1;
        }
        std::mem::swap(&mut keys, &mut keys_to);
        std::mem::swap(&mut rows, &mut rows_to);
    }
    rows
}

fn digit(key: u64, byte: usize) -> usize {
    ((key >> (8 * byte)) & 0xff) as usize
}
