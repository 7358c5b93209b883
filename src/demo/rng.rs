//! A small, fast, deterministic PRNG (`SplitMix64`) and the weighted sampling the generators
//! use. Every row draws from its own stream (`Rng::for_row`), so a row depends only on the
//! seed, its record type and its index: rows can be regenerated one at a time (a lead can
//! recompute its account's name and country) and the output never depends on how many rows
//! were generated before.

const GOLDEN_GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// The `SplitMix64` finaliser: a bijection on `u64` that scrambles every bit.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// `SplitMix64` (Steele, Lea and Flood, 2014): one word of state, good enough statistics for
/// demo data, and cheap to seed per row.
#[derive(Clone, Debug)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The stream of row `index` of stream `stream` (one per record type). Start states are
    /// scrambled, not consecutive, so neighbouring rows do not share draws.
    pub(crate) fn for_row(seed: u64, stream: u64, index: u64) -> Self {
        let base = mix(seed ^ mix(stream.wrapping_add(1).wrapping_mul(GOLDEN_GAMMA)));
        Self(mix(base ^ index.wrapping_mul(0xD1B5_4A32_D192_ED03)))
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(GOLDEN_GAMMA);
        mix(self.0)
    }

    /// Uniform in `[0, 1)`.
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in `0..n` (0 when `n` is 0). Lemire's multiply-shift; the bias is far below
    /// anything demo data could show.
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `low..=high`.
    pub(crate) fn between(&mut self, low: i64, high: i64) -> i64 {
        let span = high.saturating_sub(low).unsigned_abs().saturating_add(1);
        low.saturating_add(self.below(span) as i64)
    }

    pub(crate) fn chance(&mut self, probability: f64) -> bool {
        self.unit() < probability
    }

    /// An index in `0..len` skewed towards 0: `skew` 1 is uniform, larger favours the front.
    pub(crate) fn skewed_index(&mut self, len: usize, skew: f64) -> usize {
        let index = (self.unit().powf(skew) * len as f64) as usize;
        index.min(len.saturating_sub(1))
    }

    /// An index into `weights`, by weight, for small tables used without building a
    /// [`Weighted`]. Never called with an empty or all-zero table (constant tables).
    pub(crate) fn weighted_index(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|&w| u64::from(w)).sum();
        let mut r = self.below(total);
        for (i, &w) in weights.iter().enumerate() {
            if r < u64::from(w) {
                return i;
            }
            r -= u64::from(w);
        }
        weights.len().saturating_sub(1)
    }

    /// One item of a non-empty constant table.
    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// A discrete distribution over `0..weights.len()`, built once and sampled per row.
#[derive(Clone, Debug)]
pub(crate) struct Weighted {
    cumulative: Vec<u64>,
}

impl Weighted {
    pub(crate) fn new(weights: impl IntoIterator<Item = u32>) -> Self {
        let mut total = 0u64;
        let cumulative = weights
            .into_iter()
            .map(|w| {
                total += u64::from(w);
                total
            })
            .collect();
        Self { cumulative }
    }

    /// An index, by weight. Never called on an empty or all-zero table (constant tables).
    pub(crate) fn sample(&self, rng: &mut Rng) -> usize {
        let total = self.cumulative.last().copied().unwrap_or(0);
        let r = rng.below(total);
        self.cumulative.partition_point(|&c| c <= r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_deterministic_and_distinct() {
        let draws = |seed, stream, index| {
            let mut rng = Rng::for_row(seed, stream, index);
            [rng.next_u64(), rng.next_u64()]
        };
        assert_eq!(draws(1, 0, 5), draws(1, 0, 5));
        assert_ne!(draws(1, 0, 5), draws(1, 0, 6));
        assert_ne!(draws(1, 0, 5), draws(1, 1, 5));
        assert_ne!(draws(1, 0, 5), draws(2, 0, 5));
        // Consecutive rows must not be shifted copies of each other.
        assert_ne!(draws(1, 0, 5)[1], draws(1, 0, 6)[0]);
    }

    #[test]
    fn sampling_stays_in_range() {
        let mut rng = Rng::new(7);
        let weighted = Weighted::new([0, 3, 1]);
        let mut counts = [0u32; 3];
        for _ in 0..4000 {
            counts[weighted.sample(&mut rng)] += 1;
            assert!(rng.below(10) < 10);
            assert!((-3..=3).contains(&rng.between(-3, 3)));
            assert!(rng.skewed_index(5, 2.0) < 5);
            let u = rng.unit();
            assert!((0.0..1.0).contains(&u));
        }
        assert_eq!(counts[0], 0);
        assert!(counts[1] > 2 * counts[2], "{counts:?}");
        assert_eq!(rng.below(0), 0);
    }
}
