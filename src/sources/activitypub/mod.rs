//! ActivityStreams 2.0 / ActivityPub documents: a Note (or Article, Page, Question), a `Create`,
//! `Update`, `Announce` or `Delete` activity, a `Tombstone`, an actor, or an (Ordered)Collection
//! (Page) of any of these, such as a Mastodon account export's `outbox.json`.
//!
//! Format notes: `/work/shared/FORMATS.md` §2 and <https://www.w3.org/TR/activitystreams-core/>.
//!
//! This module does not fetch anything: a bare URI where an object should be (an `Announce` of
//! a URI, a collection item given by reference) is reported and left for live collection. It does
//! not expand JSON-LD either; it reads the compacted form every server sends.
//!
//! # Privacy
//! An account export holds followers-only and direct posts next to public ones. A post is kept
//! only when `as:Public` is among its addressees (see `object::is_public`); anything else
//! becomes a [`SkipReason::NotPublic`] skip and nothing of its content leaves this module.
//!
//! # Hostile input
//! Embedding is followed at most `MAX_EMBEDDING` (8) objects deep, and a document nested deeper
//! than serde_json's own parse limit is refused before anything else looks at it, so no
//! recursion here or in serde_json (serialising, dropping) can exhaust the stack.

mod object;
#[cfg(test)]
mod tests;

use serde_json::{Map, Value};

use super::serde_util::{id_of, one_or_many, pointer_join, str_of};
use super::{FormatError, ItemSink, Problem, ProblemKind, SourceFormat};
use crate::model::{Boost, Deletion, Item, Skip, SkipReason};
use object::{Outcome, is_public, time};

/// A JSON object: what every AS2 object, activity, collection and actor is.
type Object = Map<String, Value>;

/// How many objects deep embedding is followed (`Announce{Create{Page}}` is 2, a collection's
/// embedded `first` page's items are 2).
const MAX_EMBEDDING: usize = 8;

/// Documents nested deeper than this are refused whole. It is serde_json's own recursion
/// limit, so only a `Value` built in code (not parsed from text) can reach it.
const MAX_JSON_DEPTH: usize = 128;

/// Object types that carry a post.
const POST_TYPES: &[&str] = &["Note", "Article", "Page", "Question"];
/// Actor types, read as profiles.
const ACTOR_TYPES: &[&str] = &["Person", "Service", "Group", "Organization", "Application"];
/// Collection types, whose items are walked.
const COLLECTION_TYPES: &[&str] = &[
    "OrderedCollection",
    "OrderedCollectionPage",
    "Collection",
    "CollectionPage",
];
/// Activity and object types with their own handling here (besides the lists above).
const ACTIVITY_TYPES: &[&str] = &["Create", "Update", "Announce", "Delete", "Tombstone"];

/// The ActivityPub / ActivityStreams 2.0 format.
pub struct ActivityPub;

impl SourceFormat for ActivityPub {
    const NAME: &'static str = "activitypub";

    fn sniff(doc: &Value) -> bool {
        let Some(map) = doc.as_object() else {
            return false;
        };
        let known = |t: &str| t == "Undo" || is_known(t);
        types(map).any(known)
            || one_or_many(map.get("@context"))
                .into_iter()
                .filter_map(Value::as_str)
                .any(|c| c.contains("activitystreams"))
    }

    fn parse(doc: &Value, sink: &mut dyn ItemSink) -> Result<(), FormatError> {
        let Some(map) = doc.as_object() else {
            return Err(FormatError::new(
                "",
                "expected a JSON object (an ActivityStreams object, activity, collection or actor)",
            ));
        };
        if nests_deeper_than(doc, MAX_JSON_DEPTH) {
            return Err(FormatError::new(
                "",
                format!("the document is nested more than {MAX_JSON_DEPTH} levels deep"),
            ));
        }
        let Some(kind) = kind_of(map) else {
            return Err(FormatError::new(
                "/type",
                "the document has no `type`, so it is no ActivityStreams object",
            ));
        };
        let mut walk = Walk { sink };
        if COLLECTION_TYPES.contains(&kind) {
            // At the top level a collection we cannot read fails the document.
            return walk.collection(map, "", 0);
        }
        walk.object(map, kind, "", 0);
        Ok(())
    }
}

/// The walk through one document, pushing items to the sink in document order.
struct Walk<'s> {
    sink: &'s mut dyn ItemSink,
}

impl Walk<'_> {
    fn warn(&mut self, pointer: &str, problem: Problem) {
        self.sink.warning(pointer.to_string(), problem);
    }

    fn skip(&mut self, map: &Object, reason: SkipReason) {
        let uri = str_of(map.get("id")).map(str::to_string);
        self.sink.item(Item::Skipped(Skip { uri, reason }));
    }

    /// One embedded record `depth` objects below the top: an object, or a bare reference.
    fn record(&mut self, value: &Value, pointer: &str, depth: usize) {
        if depth > MAX_EMBEDDING {
            self.warn(
                pointer,
                Problem::new(
                    ProblemKind::TooDeep,
                    format!("objects are embedded more than {MAX_EMBEDDING} deep here; skipped"),
                ),
            );
            return;
        }
        match value {
            Value::Object(map) => match kind_of(map) {
                Some(kind) => self.object(map, kind, pointer, depth),
                None => self.warn(
                    pointer,
                    Problem::missing("the record has no `type`; skipped"),
                ),
            },
            Value::String(uri) => self.warn(
                pointer,
                Problem::new(
                    ProblemKind::Reference,
                    format!("item is a bare reference to {uri}; collect it live to fetch it"),
                ),
            ),
            _ => self.warn(
                pointer,
                Problem::shape("the item is neither an object nor a URI; skipped"),
            ),
        }
    }

    fn object(&mut self, map: &Object, kind: &str, pointer: &str, depth: usize) {
        match kind {
            "Create" | "Update" => self.create(map, kind == "Update", pointer, depth),
            "Announce" => self.announce(map, pointer, depth),
            "Delete" => self.delete(map, pointer),
            "Tombstone" => match str_of(map.get("id")) {
                Some(uri) => self.sink.item(Item::Delete(Deletion {
                    uri: uri.to_string(),
                    deleted_at: time(map.get("deleted")),
                })),
                None => self.warn(
                    pointer,
                    Problem::missing("the Tombstone has no `id`; skipped"),
                ),
            },
            _ if POST_TYPES.contains(&kind) => {
                object::post(map, None, pointer, self.sink);
            }
            _ if ACTOR_TYPES.contains(&kind) => match object::actor(map) {
                Some(author) => self.sink.item(Item::Actor(author)),
                None => self.warn(pointer, Problem::missing("the actor has no `id`; skipped")),
            },
            _ if COLLECTION_TYPES.contains(&kind) => {
                if let Err(e) = self.collection(map, pointer, depth) {
                    self.warn(&e.pointer, Problem::shape(e.message));
                }
            }
            // Undo, Like, Follow, Accept, EmojiReact, ... carry no post.
            _ => self.skip(map, SkipReason::Unsupported),
        }
    }

    /// `Create` or `Update`: the post in `object`; `Update` makes it an edit.
    fn create(&mut self, activity: &Object, update: bool, pointer: &str, depth: usize) {
        let object_pointer = pointer_join(pointer, "object");
        match activity.get("object") {
            None | Some(Value::Null) => {
                self.warn(
                    pointer,
                    Problem::missing("the activity has no `object`; skipped"),
                );
            }
            Some(Value::String(uri)) => self.warn(
                pointer,
                Problem::new(
                    ProblemKind::Reference,
                    format!("`object` is a bare reference to {uri}; collect it live to fetch it"),
                ),
            ),
            Some(Value::Object(note)) if is_post(note) => {
                let wrapper = object::Wrapper { activity, update };
                object::post(note, Some(wrapper), &object_pointer, self.sink);
            }
            // `Update{Person}` is a profile, `Create{Like}` nonsense: read it as it stands.
            Some(other) => self.record(other, &object_pointer, depth + 1),
        }
    }

    /// `Announce`: a boost of `object`, or a Lemmy community relaying a whole activity.
    fn announce(&mut self, activity: &Object, pointer: &str, depth: usize) {
        if !is_public(activity, None) {
            self.skip(activity, SkipReason::NotPublic);
            return;
        }
        let object_pointer = pointer_join(pointer, "object");
        let object = activity.get("object");
        if let Some(value @ Value::Object(inner)) = object {
            if is_post(inner) {
                // Some servers embed the boosted post: keep it, unless it is not public.
                let wrapper = object::Wrapper {
                    activity,
                    update: false,
                };
                if object::post(inner, Some(wrapper), &object_pointer, self.sink)
                    == Outcome::NotPublic
                {
                    return;
                }
            } else if inner.contains_key("actor") {
                // An activity (every one has an `actor`), as in Lemmy's `Announce{Create{Page}}`:
                // a community relaying it, not a boost. The relayed activity is what counts.
                self.record(value, &object_pointer, depth + 1);
                return;
            }
        }
        let Some(uri) = str_of(activity.get("id")) else {
            self.warn(
                pointer,
                Problem::missing("the Announce has no `id`; skipped"),
            );
            return;
        };
        let Some(post_uri) = id_of(object) else {
            self.warn(
                pointer,
                Problem::missing("the Announce has no `object`; skipped"),
            );
            return;
        };
        let Some(booster) = id_of(activity.get("actor")) else {
            self.warn(
                pointer,
                Problem::missing("the Announce has no `actor`; skipped"),
            );
            return;
        };
        self.sink.item(Item::Boost(Boost {
            uri: uri.to_string(),
            post_uri: post_uri.to_string(),
            booster: booster.to_string(),
            created_at: time(activity.get("published")),
        }));
    }

    /// `Delete{Tombstone}` or `Delete{URI}`. An actor deleting itself is not a post deletion.
    fn delete(&mut self, activity: &Object, pointer: &str) {
        let object = activity.get("object");
        let Some(uri) = id_of(object) else {
            self.warn(
                pointer,
                Problem::missing("the Delete has no `object`; skipped"),
            );
            return;
        };
        if id_of(activity.get("actor")) == Some(uri) {
            self.skip(activity, SkipReason::Unsupported);
            return;
        }
        let deleted_at =
            time(activity.get("published")).or_else(|| time(object.and_then(|o| o.get("deleted"))));
        self.sink.item(Item::Delete(Deletion {
            uri: uri.to_string(),
            deleted_at,
        }));
    }

    /// A collection or page: `orderedItems`, then `items`, then an embedded `first` page.
    fn collection(&mut self, map: &Object, pointer: &str, depth: usize) -> Result<(), FormatError> {
        let mut lists = Vec::new();
        for key in ["orderedItems", "items"] {
            match map.get(key) {
                None | Some(Value::Null) => {}
                Some(Value::Array(items)) => lists.push((key, items)),
                Some(_) => {
                    return Err(FormatError::new(
                        pointer_join(pointer, key),
                        format!("`{key}` is not an array"),
                    ));
                }
            }
        }
        for (key, items) in lists {
            let list_pointer = pointer_join(pointer, key);
            for (i, item) in items.iter().enumerate() {
                // A document's own items are its records (an outbox's activities).
                if depth == 0 && !self.sink.record(Some(i)) {
                    continue;
                }
                self.record(item, &pointer_join(&list_pointer, i), depth + 1);
            }
        }
        if depth == 0 {
            self.sink.record(None);
        }
        // `first` given as a URI is a page to fetch live; only an embedded one is read.
        if let Some(first @ Value::Object(_)) = map.get("first") {
            self.record(first, &pointer_join(pointer, "first"), depth + 1);
        }
        Ok(())
    }
}

/// The `type` values of an object (`type` may be an array).
fn types(map: &Object) -> impl Iterator<Item = &str> {
    one_or_many(map.get("type"))
        .into_iter()
        .filter_map(Value::as_str)
}

/// The type an object is read as: the first of its types that we handle, else its first type.
fn kind_of(map: &Object) -> Option<&str> {
    types(map)
        .find(|t| is_known(t))
        .or_else(|| types(map).next())
}

fn is_known(kind: &str) -> bool {
    [POST_TYPES, ACTOR_TYPES, COLLECTION_TYPES, ACTIVITY_TYPES]
        .iter()
        .any(|list| list.contains(&kind))
}

fn is_post(map: &Object) -> bool {
    kind_of(map).is_some_and(|k| POST_TYPES.contains(&k))
}

/// Whether `doc` has arrays or objects nested more than `limit` deep; iterative, so it is safe
/// on any input.
fn nests_deeper_than(doc: &Value, limit: usize) -> bool {
    let mut stack = vec![(doc, 1usize)];
    while let Some((value, depth)) = stack.pop() {
        let children: Box<dyn Iterator<Item = &Value>> = match value {
            Value::Array(items) => Box::new(items.iter()),
            Value::Object(map) => Box::new(map.values()),
            _ => continue,
        };
        if depth > limit {
            return true;
        }
        stack.extend(children.map(|child| (child, depth + 1)));
    }
    false
}
