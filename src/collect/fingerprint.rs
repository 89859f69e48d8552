//! Fingerprints of the records a collect reads (a JSON Lines line, an array element), so that
//! a record the archive already holds, byte for byte, is not parsed, sanitised and staged
//! again: its posts are taken from the archive (`records`, schema v11). A second collect of a
//! large file did everything the first did but the writes (issue 10).
//!
//! The fingerprint covers the bytes, the format they are read as and the tagstory release that
//! read them: a release that reads a format better (a new field kept) reads every record anew.
//! Bump [`GENERATION`] when a change to a parser or the sanitiser should reach archives made by
//! the same release number (between releases, during development).

use sha2::{Digest, Sha256};

use crate::sources::Format;
pub(super) use crate::store::Fingerprint;

/// Bumped when what a record is read into changes within one release number.
const GENERATION: u32 = 1;

/// The fingerprints an archive knows, and how to make new ones for one source.
pub(crate) struct Fingerprints {
    /// Records whose posts are archived.
    known: Sorted,
    /// Records whose posts stayed outside the story (`passed`).
    passed: Sorted,
}

/// Fingerprints, sorted, with where each run of them that shares its first bits starts. A
/// fingerprint is a hash, spread evenly: its first bits say nearly where it is, and a lookup
/// reads the index and a cache line or two of fingerprints. A binary search over all of them
/// missed the cache at most of its twenty steps: a quarter of the threads that read a second
/// collect of twarc 2 pages (issue 10).
struct Sorted {
    prints: Vec<Fingerprint>,
    /// `starts[b]`: the first fingerprint whose first `bits` bits are `b` or more; one more
    /// entry holds the end.
    starts: Vec<u32>,
    bits: u32,
}

impl Sorted {
    fn new(mut prints: Vec<Fingerprint>) -> Self {
        prints.sort_unstable();
        prints.dedup();
        prints.shrink_to_fit();
        let mut sorted = Sorted {
            prints,
            starts: Vec::new(),
            bits: 0,
        };
        sorted.index();
        sorted
    }

    /// About four fingerprints per run: the index takes a byte per fingerprint.
    fn index(&mut self) {
        let n = self.prints.len();
        self.bits = (usize::BITS - n.leading_zeros()).saturating_sub(2).min(24);
        let runs = 1usize << self.bits;
        self.starts.clear();
        self.starts.reserve_exact(runs + 1);
        let mut at = 0;
        for run in 0..runs {
            while at < n && self.run_of(&self.prints[at]) < run {
                at += 1;
            }
            self.starts.push(u32::try_from(at).unwrap_or(u32::MAX));
        }
        self.starts.push(u32::try_from(n).unwrap_or(u32::MAX));
    }

    fn run_of(&self, print: &Fingerprint) -> usize {
        if self.bits == 0 {
            return 0;
        }
        let head = u64::from_be_bytes(print[..8].try_into().unwrap_or_default());
        (head >> (64 - self.bits)) as usize
    }

    fn contains(&self, print: &Fingerprint) -> bool {
        let run = self.run_of(print);
        let (start, end) = (self.starts[run] as usize, self.starts[run + 1] as usize);
        self.prints[start..end].binary_search(print).is_ok()
    }

    fn is_empty(&self) -> bool {
        self.prints.is_empty()
    }

    fn bytes(&self) -> usize {
        self.prints.capacity() * std::mem::size_of::<Fingerprint>()
            + self.starts.capacity() * std::mem::size_of::<u32>()
    }

    fn retain(&mut self, keep: impl FnMut(&Fingerprint) -> bool) {
        self.prints.retain(keep);
        self.index();
    }
}

impl Fingerprints {
    /// `known` and `passed`, in any order.
    pub(crate) fn new(known: Vec<Fingerprint>, passed: Vec<Fingerprint>) -> Self {
        Fingerprints {
            known: Sorted::new(known),
            passed: Sorted::new(passed),
        }
    }

    /// The memory they take.
    pub(crate) fn bytes(&self) -> u64 {
        (self.known.bytes() + self.passed.bytes()) as u64
    }

    /// Whether the archive holds no record at all (a first collect).
    pub(crate) fn is_empty(&self) -> bool {
        self.known.is_empty() && self.passed.is_empty()
    }

    /// Whether the archive holds the record with fingerprint `print`.
    pub(crate) fn knows(&self, print: &Fingerprint) -> bool {
        self.knows_as(print).is_some()
    }

    /// Whether the archive holds the record with fingerprint `print`: `Some(passed)`, where
    /// `passed` says it is remembered as passed.
    pub(crate) fn knows_as(&self, print: &Fingerprint) -> Option<bool> {
        if self.known.contains(print) {
            Some(false)
        } else if self.passed.contains(print) {
            Some(true)
        } else {
            None
        }
    }

    /// Takes `prints` out: those records are to be read again in full.
    pub(crate) fn unknow(&mut self, prints: impl IntoIterator<Item = Fingerprint>) {
        let mut prints: Vec<Fingerprint> = prints.into_iter().collect();
        prints.sort_unstable();
        self.passed.retain(|p| prints.binary_search(p).is_err());
        self.known.retain(|p| prints.binary_search(p).is_err());
    }
}

/// Fingerprints the records of one source read as one format.
#[derive(Clone)]
pub(crate) struct Hasher {
    seeded: Sha256,
}

impl Hasher {
    /// A hasher for records of `format`; `context` is whatever besides its bytes a record is
    /// read with (the account of a Twitter archive, whose tweets do not name their author).
    pub(crate) fn new(format: Format, context: &str) -> Self {
        let mut seeded = Sha256::new();
        seeded.update(
            format!(
                "tagstory {} record {GENERATION}\0{}\0{}\0",
                env!("CARGO_PKG_VERSION"),
                format.name(),
                context.len()
            )
            .as_bytes(),
        );
        seeded.update(context.as_bytes());
        Hasher { seeded }
    }

    /// The fingerprint of a record of `bytes`.
    pub(crate) fn of(&self, bytes: &[u8]) -> Fingerprint {
        let digest = self.seeded.clone().chain_update(bytes).finalize();
        let mut print = [0; 16];
        print.copy_from_slice(&digest[..16]);
        print
    }
}

/// The fingerprint of record `index` within the record `whole` (a tweet of a twarc 2 page read
/// as one line): the same as long as the whole is.
pub(crate) fn part_of(whole: &Fingerprint, index: usize) -> Fingerprint {
    let digest = Sha256::new()
        .chain_update(b"part\0")
        .chain_update(whole)
        .chain_update((index as u64).to_le_bytes())
        .finalize();
    let mut print = [0; 16];
    print.copy_from_slice(&digest[..16]);
    print
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fingerprint_is_of_the_bytes_the_format_and_the_context() {
        let line = br#"{"id":"1"}"#;
        let mastodon = Hasher::new(Format::MastodonApi, "");
        assert_eq!(
            mastodon.of(line),
            Hasher::new(Format::MastodonApi, "").of(line)
        );
        assert_ne!(mastodon.of(line), mastodon.of(br#"{"id":"2"}"#));
        assert_ne!(
            mastodon.of(line),
            Hasher::new(Format::TwitterV1, "").of(line)
        );
        let ruth = Hasher::new(Format::TwitterArchive, "ruth");
        assert_ne!(
            ruth.of(line),
            Hasher::new(Format::TwitterArchive, "jun").of(line)
        );
        // The context's length is hashed first: it cannot shift into the bytes.
        assert_ne!(
            Hasher::new(Format::MastodonApi, "a").of(b"bc"),
            Hasher::new(Format::MastodonApi, "ab").of(b"c")
        );
    }

    #[test]
    fn parts_are_told_apart_by_whole_and_place() {
        let h = Hasher::new(Format::Twarc2, "");
        let (a, b) = (h.of(b"a"), h.of(b"b"));
        assert_eq!(part_of(&a, 1), part_of(&a, 1));
        assert_ne!(part_of(&a, 1), part_of(&a, 2));
        assert_ne!(part_of(&a, 1), part_of(&b, 1));
        assert_ne!(part_of(&a, 0), a);
    }

    /// Every size of set finds what it holds and only that, across the runs of its index and
    /// after records are taken out.
    #[test]
    fn every_fingerprint_held_is_found_and_no_other() {
        let h = Hasher::new(Format::MastodonApi, "");
        let print = |i: usize| h.of(&i.to_le_bytes());
        for n in [0, 1, 2, 3, 5, 8, 100, 1_000, 70_000] {
            let mut set = Fingerprints::new((0..n).map(print).collect(), Vec::new());
            assert!((0..n).all(|i| set.knows(&print(i))), "{n}");
            assert!((n..n + 5_000).all(|i| !set.knows(&print(i))), "{n}");
            assert!(!set.knows(&[0; 16]) && !set.knows(&[0xff; 16]), "{n}");
            set.unknow((0..n).step_by(2).map(print));
            assert!((0..n).all(|i| set.knows(&print(i)) == (i % 2 == 1)), "{n}");
        }
    }

    #[test]
    fn known_fingerprints_are_found_in_any_order() {
        let h = Hasher::new(Format::MastodonApi, "");
        let (a, b, c) = (h.of(b"a"), h.of(b"b"), h.of(b"c"));
        let known = Fingerprints::new(vec![c, a, c], Vec::new());
        assert!(known.knows(&a) && known.knows(&c));
        assert!(!known.knows(&b));
    }

    #[test]
    fn passed_records_are_told_apart_and_can_be_taken_out() {
        let h = Hasher::new(Format::MastodonApi, "");
        let (a, b, c) = (h.of(b"a"), h.of(b"b"), h.of(b"c"));
        let mut known = Fingerprints::new(vec![a], vec![c, b]);
        assert_eq!(
            [a, b, c].map(|p| known.knows_as(&p)),
            [Some(false), Some(true), Some(true)]
        );
        known.unknow([c, a]);
        assert_eq!(
            [a, b, c].map(|p| known.knows_as(&p)),
            [None, Some(true), None]
        );
    }
}
