//! Which posts belong to a story: the tagged ones, and every post in the same reply tree as a
//! tagged one (context).

use std::collections::HashMap;

use anyhow::Result;

use super::LoadedSource;
use crate::model::{Item, LocalId, Post};
use crate::store::Reason;
use crate::tag;

/// Each post's parent URI, resolving server-local ids where a source (or the archive) maps them.
pub(super) fn parents(
    sources: &[&LoadedSource],
    resolve: impl Fn(&LocalId) -> Result<Option<String>>,
) -> Result<HashMap<String, Option<String>>> {
    let mut parents: HashMap<String, Option<String>> = HashMap::new();
    for post in posts(sources) {
        let parent = match (&post.in_reply_to, &post.in_reply_to_local) {
            (Some(uri), _) => Some(uri.clone()),
            (None, Some(local)) => resolve(local)?,
            (None, None) => None,
        };
        let slot = parents.entry(post.uri.clone()).or_default();
        if slot.is_none() {
            *slot = parent;
        }
    }
    Ok(parents)
}

fn posts<'s>(sources: &'s [&LoadedSource]) -> impl Iterator<Item = &'s Post> {
    sources
        .iter()
        .flat_map(|s| &s.parsed.items)
        .filter_map(|item| match item {
            Item::Post(post) => Some(post.as_ref()),
            _ => None,
        })
}

/// Whether `post` carries `tag` (normalised): in its structured tags, or, for formats without
/// them, as a `#tag` word in its text.
pub(crate) fn is_tagged(post: &Post, tag: &str) -> bool {
    if post.has_structured_tags {
        post.tags.iter().any(|t| t == tag)
    } else {
        tag::hashtags_in_text(&post.text).iter().any(|t| t == tag)
    }
}

/// The posts chosen for a story, with why.
#[derive(Debug, Default)]
pub(super) struct Selection {
    reasons: HashMap<String, Reason>,
}

impl Selection {
    /// Why the post with `uri` is in the story, or `None` if it is not.
    pub(super) fn reason(&self, uri: &str) -> Option<Reason> {
        self.reasons.get(uri).copied()
    }
}

/// Selects the posts of `sources` whose reply tree (through `parents` and the story already
/// archived, `archived`) contains a post tagged `tag` or a post already in the story.
pub(super) fn select(
    sources: &[&LoadedSource],
    parents: &HashMap<String, Option<String>>,
    archived: &[(String, Option<String>)],
    tag: &str,
) -> Selection {
    let mut sets = UnionFind::default();
    let mut tagged: HashMap<&str, bool> = HashMap::new();
    for post in posts(sources) {
        let entry = tagged.entry(post.uri.as_str()).or_default();
        *entry |= is_tagged(post, tag);
    }
    for (uri, parent) in parents {
        sets.union(uri, parent.as_deref());
    }
    for (uri, parent) in archived {
        sets.union(uri, parent.as_deref());
    }
    let mut anchored = HashMap::new();
    for uri in tagged
        .iter()
        .filter(|(_, t)| **t)
        .map(|(u, _)| *u)
        .chain(archived.iter().map(|(u, _)| u.as_str()))
    {
        anchored.insert(sets.find(uri), ());
    }
    let reasons = tagged
        .into_iter()
        .filter(|(uri, _)| anchored.contains_key(&sets.find(uri)))
        .map(|(uri, is_tagged)| {
            let reason = if is_tagged {
                Reason::Tagged
            } else {
                Reason::Context
            };
            (uri.to_string(), reason)
        })
        .collect();
    Selection { reasons }
}

/// Disjoint sets over URIs, with path halving; no recursion.
#[derive(Default)]
struct UnionFind {
    ids: HashMap<String, usize>,
    parent: Vec<usize>,
}

impl UnionFind {
    fn id(&mut self, uri: &str) -> usize {
        if let Some(&id) = self.ids.get(uri) {
            return id;
        }
        let id = self.parent.len();
        self.parent.push(id);
        self.ids.insert(uri.to_string(), id);
        id
    }

    fn root(&mut self, mut x: usize) -> usize {
        while self.parent[x] != x {
            self.parent[x] = self.parent[self.parent[x]];
            x = self.parent[x];
        }
        x
    }

    fn find(&mut self, uri: &str) -> usize {
        let id = self.id(uri);
        self.root(id)
    }

    fn union(&mut self, a: &str, b: Option<&str>) {
        let ra = self.find(a);
        if let Some(b) = b {
            let rb = self.find(b);
            self.parent[ra] = rb;
        }
    }
}
