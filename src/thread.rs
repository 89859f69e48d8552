//! Reply trees: a pure function from posts (by URI and parent URI) to a forest of threads.
//!
//! The order never depends on input order: roots and siblings are sorted by `(created_at, uri)`.
//! Everything is iterative, so a reply chain ten thousand deep costs no stack, and reply cycles
//! (which only forged or corrupt data can make) are broken deterministically at the cycle's
//! earliest post, which then starts a thread of its own.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

/// What threading needs to know about a post.
#[derive(Debug, Clone, Copy)]
pub struct Link<'a> {
    /// The post's URI.
    pub uri: &'a str,
    /// Its parent's URI, if it is a reply.
    pub parent: Option<&'a str>,
    /// When it was published.
    pub created_at: DateTime<Utc>,
}

/// Threads over a slice of [`Link`]s; every index refers to that slice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forest {
    /// Thread starters, in time order: posts without a parent, replies whose parent is not in
    /// the input, and the posts where a cycle was broken.
    pub roots: Vec<usize>,
    /// Each post's replies, in time order.
    pub children: Vec<Vec<usize>>,
    /// Each post's parent within the forest (`None` for roots).
    pub parent: Vec<Option<usize>>,
}

impl Forest {
    /// Posts of the thread started by `root`, depth first, each with its depth (root = 0).
    pub fn preorder(&self, root: usize) -> Preorder<'_> {
        Preorder {
            forest: self,
            stack: vec![(root, 0)],
        }
    }
}

/// Iterator returned by [`Forest::preorder`].
pub struct Preorder<'f> {
    forest: &'f Forest,
    stack: Vec<(usize, usize)>,
}

impl Iterator for Preorder<'_> {
    type Item = (usize, usize);

    fn next(&mut self) -> Option<(usize, usize)> {
        let (node, depth) = self.stack.pop()?;
        let kids = &self.forest.children[node];
        self.stack
            .extend(kids.iter().rev().map(|&k| (k, depth + 1)));
        Some((node, depth))
    }
}

/// Builds the reply forest of `links`. A URI given twice keeps its first entry; the second
/// becomes a root of its own so that no post is ever lost.
pub fn build_threads(links: &[Link<'_>]) -> Forest {
    let key = |i: usize| (links[i].created_at, links[i].uri);
    // Keys are untrusted URIs: foldhash is seeded per process, and several times faster than
    // SipHash on them (a twentieth of assembling a 100,000-post story was hashing).
    let mut index: foldhash::HashMap<&str, usize> =
        foldhash::HashMap::with_capacity_and_hasher(links.len(), Default::default());
    for (i, link) in links.iter().enumerate() {
        index.entry(link.uri).or_insert(i);
    }
    let mut parent: Vec<Option<usize>> = links
        .iter()
        .enumerate()
        .map(|(i, link)| {
            link.parent
                .and_then(|p| index.get(p).copied())
                .filter(|&p| p != i)
        })
        .collect();

    let mut order: Vec<usize> = (0..links.len()).collect();
    order.sort_by_key(|&i| key(i));
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); links.len()];
    for &i in &order {
        if let Some(p) = parent[i] {
            children[p].push(i);
        }
    }

    let mut visited = vec![false; links.len()];
    let mut roots: Vec<usize> = order
        .iter()
        .copied()
        .filter(|&i| parent[i].is_none())
        .collect();
    for &r in &roots {
        mark(&children, &mut visited, r);
    }
    // What is left hangs off a cycle: cut each cycle at its earliest post.
    for &start in &order {
        if visited[start] {
            continue;
        }
        let cut = earliest_in_cycle(&parent, start, key);
        if let Some(p) = parent[cut].take() {
            children[p].retain(|&c| c != cut);
        }
        roots.push(cut);
        mark(&children, &mut visited, cut);
    }
    roots.sort_by_key(|&i| key(i));
    Forest {
        roots,
        children,
        parent,
    }
}

fn mark(children: &[Vec<usize>], visited: &mut [bool], from: usize) {
    let mut stack = vec![from];
    while let Some(node) = stack.pop() {
        visited[node] = true;
        stack.extend(children[node].iter().copied().filter(|&c| !visited[c]));
    }
}

/// Walks up from `start` (which must not reach a root) until a post repeats, and returns the
/// earliest post on the cycle found.
fn earliest_in_cycle<K: Ord>(
    parent: &[Option<usize>],
    start: usize,
    key: impl Fn(usize) -> K,
) -> usize {
    let mut seen_at: HashMap<usize, usize> = HashMap::new();
    let mut path = Vec::new();
    let mut node = start;
    while let std::collections::hash_map::Entry::Vacant(slot) = seen_at.entry(node) {
        slot.insert(path.len());
        path.push(node);
        match parent[node] {
            Some(p) => node = p,
            None => return node,
        }
    }
    let cycle = &path[seen_at[&node]..];
    cycle
        .iter()
        .copied()
        .min_by_key(|&i| key(i))
        .unwrap_or(start)
}

#[cfg(test)]
mod tests;
