//! Whether a post carries the story's tag. (Which untagged posts join it as context is decided
//! over the reply graph by the store: `store/staging.rs`, "Membership".)

use crate::model::Post;
use crate::tag;

/// Whether `post` carries `tag` (normalised): in its structured tags, or, for formats without
/// them, as a `#tag` word in its text.
pub(crate) fn is_tagged(post: &Post, tag: &str) -> bool {
    hashtags_of(post).iter().any(|t| t == tag)
}

/// The hashtags `post` carries (normalised): its structured tags, or, for formats without
/// them, the `#tag` words of its text.
pub(crate) fn hashtags_of(post: &Post) -> std::borrow::Cow<'_, [String]> {
    if post.has_structured_tags {
        std::borrow::Cow::Borrowed(&post.tags)
    } else {
        std::borrow::Cow::Owned(tag::hashtags_in_text(&post.text))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeSet, HashMap};

    use proptest::prelude::*;
    use serde_json::{Value, json};

    use crate::store::{Store, WALK_FOR_TEST, WalkForTest};

    /// A post of a generated conversation: its parent (an earlier post, or one of a few posts
    /// never collected), whether it carries the tag, and which of two collects read it.
    #[derive(Debug, Clone)]
    struct Generated {
        parent: Option<Parent>,
        tagged: bool,
        runs: u8,
    }

    #[derive(Debug, Clone)]
    enum Parent {
        Earlier(usize),
        Missing(usize),
    }

    fn uri(i: usize) -> String {
        format!("https://s.example/notes/{i}")
    }

    fn parent_uri(parent: &Parent) -> String {
        match parent {
            Parent::Earlier(j) => uri(*j),
            Parent::Missing(k) => format!("https://s.example/gone/{k}"),
        }
    }

    fn outbox(posts: &[Generated], run: u8) -> Value {
        let items: Vec<Value> = posts
            .iter()
            .enumerate()
            .filter(|(_, p)| p.runs & run != 0)
            .map(|(i, p)| {
                let tags = if p.tagged {
                    json!([{"type": "Hashtag", "name": "#t"}])
                } else {
                    json!([])
                };
                json!({"type": "Create", "actor": "https://s.example/users/a",
                    "object": {"id": uri(i), "type": "Note",
                        "attributedTo": "https://s.example/users/a",
                        "published": format!("2026-01-01T00:{:02}:{:02}Z", i / 60, i % 60),
                        "to": ["https://www.w3.org/ns/activitystreams#Public"],
                        "inReplyTo": p.parent.as_ref().map(parent_uri),
                        "content": format!("<p>post {i}</p>"), "tag": tags}})
            })
            .collect();
        json!({"type": "OrderedCollection", "orderedItems": items})
    }

    /// Union-find over URIs.
    #[derive(Default)]
    struct Components(HashMap<String, String>);

    impl Components {
        fn root(&mut self, x: &str) -> String {
            let up = self.0.get(x).cloned();
            match up {
                Some(up) if up != x => {
                    let root = self.root(&up);
                    self.0.insert(x.to_string(), root.clone());
                    root
                }
                _ => x.to_string(),
            }
        }

        fn join(&mut self, a: &str, b: &str) {
            let (a, b) = (self.root(a), self.root(b));
            self.0.insert(a, b);
        }
    }

    /// The story after the two collects, told from the rule itself: each collect keeps its
    /// posts whose reply tree — over its posts and the story's, by their parent links, the
    /// collected parent or not — holds a tagged post of it or a post of the story.
    fn expected(posts: &[Generated]) -> BTreeSet<String> {
        let mut story = BTreeSet::new();
        for run in [1, 2] {
            let mut graph = Components::default();
            let linked = posts
                .iter()
                .enumerate()
                .filter(|(i, p)| p.runs & run != 0 || story.contains(&uri(*i)));
            for (i, p) in linked {
                if let Some(parent) = &p.parent {
                    graph.join(&uri(i), &parent_uri(parent));
                }
            }
            let seeded: BTreeSet<String> = posts
                .iter()
                .enumerate()
                .filter(|(i, p)| (p.runs & run != 0 && p.tagged) || story.contains(&uri(*i)))
                .map(|(i, _)| graph.root(&uri(i)))
                .collect();
            let joining: Vec<String> = (0..posts.len())
                .filter(|&i| posts[i].runs & run != 0 && seeded.contains(&graph.root(&uri(i))))
                .map(uri)
                .collect();
            story.extend(joining);
        }
        story
    }

    fn generated() -> impl Strategy<Value = Vec<Generated>> {
        prop::collection::vec((0usize..100, 0usize..10, any::<bool>(), 1u8..4), 1..40).prop_map(
            |draws| {
                draws
                    .into_iter()
                    .enumerate()
                    .map(|(i, (to, missing, tagged, runs))| Generated {
                        // A third start threads, a sixth answer a post never collected.
                        parent: match to {
                            0..33 => None,
                            33..50 => Some(Parent::Missing(missing % 3)),
                            _ if i == 0 => None,
                            _ => Some(Parent::Earlier(to % i)),
                        },
                        tagged: tagged && missing < 3,
                        runs,
                    })
                    .collect()
            },
        )
    }

    /// The story two collects of `posts` make, walked as `walk` says (see
    /// `store/staging/walk.rs`).
    fn story_of(posts: &[Generated], walk: Option<WalkForTest>) -> BTreeSet<String> {
        WALK_FOR_TEST.with(|w| w.set(walk));
        let mut store = Store::open_in_memory().unwrap();
        for run in [1, 2] {
            let report = crate::collect::collect_documents(
                &mut store,
                "t",
                "outbox",
                None,
                &[outbox(posts, run)],
            )
            .unwrap();
            assert!(report.error.is_none(), "{:?}", report.error);
        }
        WALK_FOR_TEST.with(|w| w.set(None));
        store
            .load_story("t")
            .unwrap()
            .into_iter()
            .map(|p| p.uri)
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// Membership decided by walking only from what a collect brings is the rule's.
        #[test]
        fn two_collects_keep_what_the_reply_trees_join(posts in generated()) {
            prop_assert_eq!(story_of(&posts, None), expected(&posts));
        }

        /// The same, with every ring of the walk walked as a ring (the inputs here are too
        /// small for any to be, otherwise), its starts above a seed found either way.
        #[test]
        fn two_collects_walked_by_rings_keep_what_the_reply_trees_join(
            posts in generated(),
            from_outside in any::<bool>(),
        ) {
            let walk = WalkForTest { small_ring: 1, from_outside: Some(from_outside) };
            prop_assert_eq!(story_of(&posts, Some(walk)), expected(&posts));
        }
    }
}
