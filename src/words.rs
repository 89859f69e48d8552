//! Counted nouns in plain English, for messages and pages: "1 post", "2 posts", "shared once".

/// `1 post`, `2 posts` (the plural by adding `s`).
pub fn plural(n: impl Count, noun: &str) -> String {
    counted(n, noun, &format!("{noun}s"))
}

/// `1 reply`, `2 replies`: a noun whose plural is not just `s` added.
pub fn counted(n: impl Count, one: &str, many: &str) -> String {
    let n = n.count();
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// `once`, `twice`, `3 times`.
pub fn times(n: impl Count) -> String {
    match n.count() {
        1 => "once".to_string(),
        2 => "twice".to_string(),
        n => format!("{n} times"),
    }
}

/// A count of things, whatever integer type holds it.
pub trait Count {
    /// The count.
    fn count(self) -> u64;
}

impl Count for u64 {
    fn count(self) -> u64 {
        self
    }
}

impl Count for usize {
    fn count(self) -> u64 {
        u64::try_from(self).unwrap_or(u64::MAX)
    }
}

impl Count for i64 {
    fn count(self) -> u64 {
        u64::try_from(self).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn singular_for_one_only() {
        assert_eq!(plural(1usize, "post"), "1 post");
        assert_eq!(plural(0u64, "post"), "0 posts");
        assert_eq!(counted(2usize, "reply", "replies"), "2 replies");
        assert_eq!(
            (times(1u64), times(2u64), times(7u64)),
            ("once".into(), "twice".into(), "7 times".into())
        );
    }
}
