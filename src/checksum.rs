//! The 64-bit checksum of the column cache (`engine::cache`) and of a workspace's pages
//! (`store::receipt`): fast (several GB/s), it catches torn and damaged bytes, not
//! deliberate forgeries.

/// Bytes per part of [`checksum`], summed in parallel.
const CHECKSUM_PART: usize = 4 << 20;

/// A 64-bit checksum of `bytes`: the [`part_checksum`] of every 4 MiB part, computed in
/// parallel, and of those sums with the length. It catches torn and damaged files, not
/// deliberate forgeries.
pub fn checksum(bytes: &[u8]) -> u64 {
    use rayon::prelude::*;
    let parts: Vec<u8> =
        bytes.par_chunks(CHECKSUM_PART).flat_map_iter(|part| part_checksum(part).to_le_bytes()).collect();
    let mut summary = parts;
    summary.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
    part_checksum(&summary)
}

/// A 64-bit checksum of `bytes`: four independent multiply-rotate lanes over 8-byte
/// words (several GB/s), then the length and the tail.
pub fn part_checksum(bytes: &[u8]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut lanes = [0x243F_6A88_85A3_08D3u64, 0x1319_8A2E_0370_7344, 0xA409_3822_299F_31D0, 0x082E_FA98_EC4E_6C89];
    let word = |b: &[u8]| u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]);
    let mut blocks = bytes.chunks_exact(32);
    for block in &mut blocks {
        for (lane, state) in lanes.iter_mut().enumerate() {
            *state = (*state ^ word(&block[lane * 8..])).wrapping_mul(K).rotate_left(29);
        }
    }
    let mut tail = [0u8; 32];
    tail[..blocks.remainder().len()].copy_from_slice(blocks.remainder());
    let mut hash = (bytes.len() as u64).wrapping_mul(K);
    for (lane, state) in lanes.iter().enumerate() {
        hash = (hash ^ *state ^ word(&tail[lane * 8..])).wrapping_mul(K).rotate_left(31);
    }
    hash ^ (hash >> 29)
}

#[cfg(test)]
mod tests {
    use super::{CHECKSUM_PART, checksum};

    #[test]
    fn the_checksum_of_many_parts_sees_every_part_and_their_order() {
        let bytes: Vec<u8> = (0..2 * CHECKSUM_PART + 100).map(|i| (i * 31 % 251) as u8).collect();
        let sum = checksum(&bytes);
        for at in [0, CHECKSUM_PART - 1, CHECKSUM_PART, 2 * CHECKSUM_PART + 99] {
            let mut changed = bytes.clone();
            changed[at] ^= 0x40;
            assert_ne!(checksum(&changed), sum, "byte {at}");
        }
        let mut swapped = bytes[CHECKSUM_PART..2 * CHECKSUM_PART].to_vec();
        swapped.extend_from_slice(&bytes[..CHECKSUM_PART]);
        swapped.extend_from_slice(&bytes[2 * CHECKSUM_PART..]);
        assert_ne!(checksum(&swapped), sum, "parts in another order");
    }

    #[test]
    fn the_checksum_sees_every_byte_and_the_length() {
        let bytes: Vec<u8> = (0..1000u32).map(|i| (i * 7) as u8).collect();
        let sum = checksum(&bytes);
        for at in [0, 31, 32, 500, 998, 999] {
            let mut changed = bytes.clone();
            changed[at] ^= 1;
            assert_ne!(checksum(&changed), sum, "byte {at}");
        }
        assert_ne!(checksum(&bytes[..999]), sum);
        let mut longer = bytes.clone();
        longer.push(0);
        assert_ne!(checksum(&longer), sum);
    }
}
