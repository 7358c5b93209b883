//! The distinct texts of a text column, typed and folded, interned by hash.

use crate::domain::eval::fold;

/// The distinct texts of a column: folded in one arena (`\0` before and after every entry)
/// for substring search, typed ones kept where they differ from the folded form.
#[derive(Clone, Debug)]
pub(crate) struct Dictionary {
    /// `\0 e0 \0 e1 \0 … \0`: the folded entries.
    pub(super) folded: Vec<u8>,
    /// Where entry `i` starts in `folded` (just after its leading `\0`).
    pub(super) starts: Vec<u32>,
    /// Entries as typed, each preceded by its length (4 bytes, little endian); only the
    /// ones that differ from their folded form.
    pub(super) typed: Vec<u8>,
    /// Where entry `i`'s length prefix starts in `typed`, or `u32::MAX` when the entry is
    /// its own folded form.
    pub(super) typed_at: Vec<u32>,
    /// Whether some folded entry contains `\0` (then the arena cannot be searched whole).
    pub(super) has_nul: bool,
    /// Open addressing over the typed texts: the hash's high 32 bits, then entry index + 1
    /// in the low 32 bits; 0 for a free slot.
    pub(super) slots: Vec<u64>,
}

/// The same entries in the same order (the interning table is not compared).
impl PartialEq for Dictionary {
    fn eq(&self, other: &Self) -> bool {
        self.folded == other.folded
            && self.starts == other.starts
            && self.typed == other.typed
            && self.typed_at == other.typed_at
            && self.has_nul == other.has_nul
    }
}

impl Default for Dictionary {
    fn default() -> Self {
        Self {
            folded: vec![0],
            starts: Vec::new(),
            typed: Vec::new(),
            typed_at: Vec::new(),
            has_nul: false,
            slots: Vec::new(),
        }
    }
}

pub(super) fn hash_text(text: &[u8]) -> u64 {
    // FxHash over 8-byte words (the last one zero-padded: the length is hashed first):
    // fast and good enough for interning. Its high bits are the well-mixed ones.
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let mut hash = (text.len() as u64).wrapping_mul(K);
    let mut chunks = text.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        hash = (hash.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(K);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut word = [0u8; 8];
        word[..rest.len()].copy_from_slice(rest);
        hash = (hash.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(K);
    }
    hash
}

/// The tag of a text in a dictionary's table: its hash's high 32 bits.
pub(super) fn tag_of(text: &str) -> u64 {
    hash_text(text.as_bytes()) >> 32
}

/// The slot of a hash tag (the hash's high 32 bits) in a table of `1 << bits` slots: from
/// the tag alone, so growing the table needs no entry's text.
pub(super) fn slot_of(tag: u64, bits: u32) -> usize {
    ((tag << 32) >> (64 - bits)) as usize
}

impl Dictionary {
    pub(crate) fn len(&self) -> usize {
        self.starts.len()
    }

    pub(crate) fn folded_arena(&self) -> &[u8] {
        &self.folded
    }

    pub(crate) fn starts(&self) -> &[u32] {
        &self.starts
    }

    pub(crate) fn has_nul(&self) -> bool {
        self.has_nul
    }

    /// The folded form of entry `i`.
    pub(crate) fn folded(&self, i: usize) -> &str {
        let start = self.starts[i] as usize;
        let end = self.starts.get(i + 1).map_or(self.folded.len(), |&next| next as usize) - 1;
        // Entries are pushed as whole `str`s.
        std::str::from_utf8(&self.folded[start..end]).unwrap_or_default()
    }

    /// Entry `i` as typed.
    pub(crate) fn typed(&self, i: usize) -> &str {
        // Entries are pushed as whole `str`s.
        std::str::from_utf8(self.typed_bytes(i)).unwrap_or_default()
    }

    /// The bytes of entry `i` as typed (no UTF-8 check: interning compares bytes).
    pub(super) fn typed_bytes(&self, i: usize) -> &[u8] {
        let at = self.typed_at[i];
        if at == u32::MAX {
            let start = self.starts[i] as usize;
            let end = self.starts.get(i + 1).map_or(self.folded.len(), |&next| next as usize) - 1;
            return &self.folded[start..end];
        }
        let at = at as usize;
        let mut len = [0u8; 4];
        len.copy_from_slice(&self.typed[at..at + 4]);
        let len = u32::from_le_bytes(len) as usize;
        &self.typed[at + 4..at + 4 + len]
    }

    /// The entry of `text`, added if new.
    pub(super) fn intern(&mut self, text: &str) -> u32 {
        self.intern_tagged(text, tag_of(text))
    }

    /// Reads the table slots of these tags ([`tag_of`]) all at once, so the cache misses
    /// of a big dictionary overlap instead of stalling one `intern` after another.
    pub(super) fn warm(&self, tags: &[u64]) {
        if self.slots.is_empty() {
            return;
        }
        let bits = self.slots.len().trailing_zeros();
        let touched = tags.iter().fold(0u64, |acc, &tag| acc ^ self.slots[slot_of(tag, bits)]);
        std::hint::black_box(touched);
    }

    /// [`Dictionary::intern`] with the text's tag already computed.
    pub(super) fn intern_tagged(&mut self, text: &str, tag: u64) -> u32 {
        // At most half full.
        if self.slots.len() < (self.len() + 1) * 2 {
            self.rehash((self.len() + 1) * 4);
        }
        let bits = self.slots.len().trailing_zeros();
        let mask = self.slots.len() - 1;
        // The tag (the hash's high half) is kept in the slot: entries are only compared (a
        // likely cache miss in the arena) when it agrees.
        let mut slot = slot_of(tag, bits);
        loop {
            match self.slots[slot] {
                0 => break,
                packed if packed >> 32 == tag && self.typed_bytes((packed as u32) as usize - 1) == text.as_bytes() => {
                    return packed as u32 - 1;
                }
                _ => slot = (slot + 1) & mask,
            }
        }
        let entry = self.len() as u32;
        self.slots[slot] = (tag << 32) | u64::from(entry + 1);
        self.starts.push(self.folded.len() as u32);
        let same = if text.is_ascii() {
            // ASCII folds byte by byte (what `fold` does to it), without a new string.
            self.has_nul |= memchr::memchr(0, text.as_bytes()).is_some();
            self.folded.extend(text.bytes().map(|b| b.to_ascii_lowercase()));
            !text.bytes().any(|b| b.is_ascii_uppercase())
        } else {
            let folded = fold(text);
            self.has_nul |= folded.contains('\0');
            self.folded.extend_from_slice(folded.as_bytes());
            folded == text
        };
        self.folded.push(0);
        if same {
            self.typed_at.push(u32::MAX);
        } else {
            self.typed_at.push(self.typed.len() as u32);
            self.typed.extend_from_slice(&(text.len() as u32).to_le_bytes());
            self.typed.extend_from_slice(text.as_bytes());
        }
        entry
    }

    pub(super) fn rehash(&mut self, capacity: usize) {
        let capacity = capacity.next_power_of_two();
        let bits = capacity.trailing_zeros();
        let mask = capacity - 1;
        let mut slots = vec![0u64; capacity];
        for &packed in self.slots.iter().filter(|&&packed| packed != 0) {
            let mut slot = slot_of(packed >> 32, bits);
            while slots[slot] != 0 {
                slot = (slot + 1) & mask;
            }
            slots[slot] = packed;
        }
        if self.slots.is_empty() {
            // After `shrink` the table is rebuilt from the entries' texts.
            for entry in 0..self.len() {
                let tag = hash_text(self.typed_bytes(entry)) >> 32;
                let mut slot = slot_of(tag, bits);
                while slots[slot] != 0 {
                    slot = (slot + 1) & mask;
                }
                slots[slot] = (tag << 32) | (entry as u64 + 1);
            }
        }
        self.slots = slots;
    }

    /// Releases spare capacity and the interning table (rebuilt on the next new text):
    /// a built snapshot is mostly read.
    pub(super) fn shrink(&mut self) {
        self.folded.shrink_to_fit();
        self.starts.shrink_to_fit();
        self.typed.shrink_to_fit();
        self.typed_at.shrink_to_fit();
        self.slots = Vec::new();
    }

    pub(super) fn heap_bytes(&self) -> usize {
        self.folded.capacity()
            + self.starts.capacity() * 4
            + self.typed.capacity()
            + self.typed_at.capacity() * 4
            + self.slots.capacity() * 8
    }
}
