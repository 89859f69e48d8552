//! Mastodon REST API JSON: what `/api/v1/timelines/tag/:tag`, `/api/v1/statuses/:id` and
//! `/api/v1/statuses/:id/context` return, saved to a file or fetched live.
//!
//! Accepted shapes: an array of Status entities, a single Status (including the body of
//! `DELETE /api/v1/statuses/:id`, which becomes a deletion), and a `{ancestors, descendants}`
//! context. An edit history (`/history`) is recognised and refused, since its revisions carry
//! no post id. Field meanings: `FORMATS.md` §1 and docs.joinmastodon.org `entities/Status`.
//!
//! Status `id`s are local to the server that answered, so each document's ids are tagged with
//! that server ([`LocalId`]); the collector, not this module, resolves `in_reply_to_id` to a URI.
//! This module keeps no state between documents, fetches nothing and does not decide which
//! posts belong to a story.

use serde_json::{Map, Value};

use super::serde_util::{authority, bool_of, kind_of, parse_time, pointer_join, str_of};
use super::{FormatError, ItemSink, Problem, SourceFormat};
use crate::model::{
    Author, Boost, CustomEmoji, Deletion, Item, LocalId, Media, Poll, PollOption, Post, Skip,
    SkipReason,
};
use crate::sanitize::{html_to_text, sanitize_html};
use crate::tag::normalize;

/// A JSON object, as every Mastodon entity is.
type Object = Map<String, Value>;

/// Mastodon REST API JSON (also served by GoToSocial, Pleroma/Akkoma and others).
pub struct MastodonApi;

impl SourceFormat for MastodonApi {
    const NAME: &'static str = "mastodon-api";

    fn sniff(doc: &Value) -> bool {
        match doc {
            Value::Array(items) => items.first().is_none_or(|first| {
                first.as_object().is_some_and(|s| {
                    !is_as2(s)
                        && s.contains_key("account")
                        && (s.contains_key("created_at") || s.contains_key("uri"))
                })
            }),
            Value::Object(obj) if is_as2(obj) => false,
            Value::Object(obj) => {
                let is_array = |key| obj.get(key).is_some_and(Value::is_array);
                is_array("ancestors")
                    || is_array("descendants")
                    || (obj.contains_key("account") && obj.contains_key("uri"))
            }
            _ => false,
        }
    }

    fn parse(doc: &Value, sink: &mut dyn ItemSink) -> Result<(), FormatError> {
        let records = records(doc)?;
        let mut reader = Reader {
            server: issuing_server(&records),
            sink,
        };
        // Several statuses (an array, a context) are records of their own; a single status is
        // its document's one record.
        let parts = doc.is_array() || records.len() > 1;
        for (i, (pointer, record)) in records.into_iter().enumerate() {
            if !parts || reader.sink.record(Some(i)) {
                reader.record(&pointer, record);
            }
        }
        if parts {
            reader.sink.record(None);
        }
        Ok(())
    }
}

/// The document's statuses with their JSON pointers, in document order, or why the document
/// is not one of the accepted shapes.
fn records(doc: &Value) -> Result<Vec<(String, &Value)>, FormatError> {
    match doc {
        Value::Array(items) if is_edit_history(items) => Err(FormatError::new(
            "",
            "this is a status edit history (`GET /api/v1/statuses/:id/history`): its revisions \
             carry no post `id` or `uri`, so they cannot be collected; collect the status itself \
             (`GET /api/v1/statuses/:id`) instead",
        )),
        Value::Array(items) if !items.is_empty() && !items.iter().any(Value::is_object) => {
            Err(FormatError::new(
                "",
                "expected an array of statuses, found no objects in the array",
            ))
        }
        Value::Array(items) => Ok(indexed("", items)),
        Value::Object(obj) if is_as2(obj) => Err(FormatError::new(
            "",
            "this is an ActivityPub document (it has `type` or `@context`), not Mastodon API JSON",
        )),
        Value::Object(obj) if obj.contains_key("ancestors") || obj.contains_key("descendants") => {
            let mut out = Vec::new();
            for key in ["ancestors", "descendants"] {
                let pointer = pointer_join("", key);
                match obj.get(key) {
                    None => {}
                    Some(Value::Array(items)) => out.extend(indexed(&pointer, items)),
                    Some(other) => {
                        let message = format!(
                            "`{key}` of a context must be an array of statuses, found {}",
                            kind_of(other)
                        );
                        return Err(FormatError::new(pointer, message));
                    }
                }
            }
            Ok(out)
        }
        Value::Object(obj) if obj.contains_key("account") => Ok(vec![(String::new(), doc)]),
        other => Err(FormatError::new(
            "",
            format!(
                "expected an array of statuses, a status or a `{{\"ancestors\", \"descendants\"}}` \
                 context, found {}",
                kind_of(other)
            ),
        )),
    }
}

fn indexed<'a>(base: &str, items: &'a [Value]) -> Vec<(String, &'a Value)> {
    items
        .iter()
        .enumerate()
        .map(|(i, item)| (pointer_join(base, i), item))
        .collect()
}

/// StatusEdit revisions look like statuses but have neither `id` nor `uri`.
fn is_edit_history(items: &[Value]) -> bool {
    !items.is_empty()
        && items.iter().all(|item| {
            item.as_object().is_some_and(|o| {
                o.contains_key("account") && !o.contains_key("id") && !o.contains_key("uri")
            })
        })
}

fn is_as2(obj: &Object) -> bool {
    obj.contains_key("@context") || obj.contains_key("type")
}

/// The server that issued the document's ids. A response does not say which server answered,
/// so this reads the clues in order of strength: a local account (its `acct` has no `@`) is on
/// that server; so is a local mention; and Mastodon links every hashtag to its own
/// `/tags/NAME` page. `""` when there is no clue at all.
fn issuing_server(records: &[(String, &Value)]) -> String {
    let statuses = || {
        records
            .iter()
            .flat_map(|(_, status)| [Some(*status), status.get("reblog")])
            .flatten()
    };
    let local_profile = |account: &Value| {
        let acct = str_of(account.get("acct"))?;
        if acct.trim_start_matches('@').contains('@') {
            return None;
        }
        authority(str_of(account.get("url"))?)
    };
    let by_account = || statuses().find_map(|s| s.get("account").and_then(local_profile));
    let by_mention = || {
        statuses()
            .filter_map(|s| s.get("mentions")?.as_array())
            .flatten()
            .find_map(local_profile)
    };
    let by_tag_page = || {
        statuses()
            .filter_map(|s| s.get("tags")?.as_array())
            .flatten()
            .find_map(|tag| authority(str_of(tag.get("url"))?))
    };
    by_account()
        .or_else(by_mention)
        .or_else(by_tag_page)
        .unwrap_or_default()
}

/// Turns records into items for one document.
struct Reader<'s> {
    /// See [`issuing_server`].
    server: String,
    sink: &'s mut dyn ItemSink,
}

impl Reader<'_> {
    fn record(&mut self, pointer: &str, record: &Value) {
        let Some(status) = record.as_object() else {
            let message = format!("expected a status object, found {}", kind_of(record));
            return self
                .sink
                .warning(pointer.to_owned(), Problem::shape(message));
        };
        // The `DELETE /api/v1/statuses/:id` body: the source `text` instead of `content`.
        if status.contains_key("text") && !status.contains_key("content") {
            return self.deletion(pointer, status);
        }
        match status.get("reblog") {
            None | Some(Value::Null) => self.status(pointer, status),
            Some(Value::Object(inner)) => self.boost(pointer, status, inner),
            Some(other) => {
                let message = format!(
                    "`reblog` must be a status or null, found {}",
                    kind_of(other)
                );
                self.sink
                    .warning(pointer.to_owned(), Problem::shape(message));
            }
        }
    }

    fn deletion(&mut self, pointer: &str, status: &Object) {
        match str_of(status.get("uri")) {
            Some(uri) => self.sink.item(Item::Delete(Deletion {
                uri: uri.to_owned(),
                deleted_at: None,
            })),
            None => self.sink.warning(
                pointer.to_owned(),
                Problem::missing("deleted status has no `uri`"),
            ),
        }
    }

    /// A status that is not a boost wrapper.
    fn status(&mut self, pointer: &str, status: &Object) {
        if !is_public(status) {
            return self.skip_not_public(status);
        }
        match self.post(status) {
            Ok(post) => self.sink.item(Item::Post(Box::new(post))),
            Err(message) => self.sink.warning(pointer.to_owned(), message),
        }
    }

    /// A boost wrapper: the boosted post first (it decides its own visibility), then the boost
    /// (the wrapper's visibility decides). The wrapper's empty content is never a post.
    fn boost(&mut self, pointer: &str, wrapper: &Object, inner: &Object) {
        self.status(&pointer_join(pointer, "reblog"), inner);
        if !is_public(wrapper) {
            return self.skip_not_public(wrapper);
        }
        match boost_of(wrapper, inner) {
            Ok(boost) => self.sink.item(Item::Boost(boost)),
            Err(message) => self.sink.warning(pointer.to_owned(), message),
        }
    }

    fn skip_not_public(&mut self, status: &Object) {
        self.sink.item(Item::Skipped(Skip {
            uri: str_of(status.get("uri")).map(str::to_owned),
            reason: SkipReason::NotPublic,
        }));
    }

    fn post(&self, s: &Object) -> Result<Post, Problem> {
        let uri = str_of(s.get("uri")).ok_or_else(|| Problem::missing("status has no `uri`"))?;
        let created_at = match str_of(s.get("created_at")) {
            None => {
                return Err(Problem::missing(format!(
                    "status `{uri}` has no `created_at`"
                )));
            }
            Some(raw) => parse_time(raw).ok_or_else(|| {
                Problem::unreadable(format!(
                    "status `{uri}` has an unreadable `created_at` `{raw}`"
                ))
            })?,
        };
        let author =
            author_of(s.get("account")).map_err(|e| e.of(format_args!("status `{uri}`")))?;
        let content_html = sanitize_html(content_of(s));
        let source_json = serde_json::to_string(s).map_err(|e| {
            Problem::unreadable(format!("status `{uri}` cannot be serialised again: {e}"))
        })?;
        Ok(Post {
            uri: uri.to_owned(),
            url: owned(s.get("url")),
            author,
            created_at,
            edited_at: str_of(s.get("edited_at")).and_then(parse_time),
            text: html_to_text(&content_html),
            content_html,
            language: owned(s.get("language")),
            // The REST API names the parent only by its local id.
            in_reply_to: None,
            in_reply_to_local: self.local_id(s.get("in_reply_to_id")),
            local_id: self.local_id(s.get("id")),
            conversation: None,
            sensitive: bool_of(s.get("sensitive")),
            spoiler_text: owned(s.get("spoiler_text")),
            tags: tags_of(s.get("tags")),
            // `tags: null` carries no structured data, so only an array counts.
            has_structured_tags: s.get("tags").is_some_and(Value::is_array),
            media: media_of(s.get("media_attachments")),
            quote_of: quote_of(s.get("quote")),
            poll: poll_of(s.get("poll")),
            emojis: emojis_of(s),
            source_json,
            reply_count: crate::store::reply_count_of(s),
        })
    }

    fn local_id(&self, id: Option<&Value>) -> Option<LocalId> {
        id_string(id).map(|id| LocalId {
            server: self.server.clone(),
            id,
        })
    }
}

/// Collected visibilities. A missing `visibility` counts as public: tag timelines and
/// unauthenticated contexts only return what anyone may see.
fn is_public(status: &Object) -> bool {
    match status.get("visibility") {
        None | Some(Value::Null) => true,
        Some(v) => matches!(v.as_str(), Some("public" | "unlisted")),
    }
}

fn boost_of(wrapper: &Object, inner: &Object) -> Result<Boost, Problem> {
    let uri = str_of(wrapper.get("uri")).ok_or_else(|| Problem::missing("boost has no `uri`"))?;
    let post_uri = str_of(inner.get("uri"))
        .ok_or_else(|| Problem::missing(format!("boost `{uri}`: boosted status has no `uri`")))?;
    let account = wrapper.get("account");
    let booster = str_of(account.and_then(|a| a.get("uri")))
        .or_else(|| str_of(account.and_then(|a| a.get("url"))))
        .ok_or_else(|| {
            Problem::missing(format!(
                "boost `{uri}`: `account` has neither `uri` nor `url`"
            ))
        })?;
    Ok(Boost {
        uri: uri.to_owned(),
        post_uri: post_uri.to_owned(),
        booster: booster.to_owned(),
        created_at: str_of(wrapper.get("created_at")).and_then(parse_time),
    })
}

fn author_of(account: Option<&Value>) -> Result<Author, Problem> {
    let account = account
        .and_then(Value::as_object)
        .ok_or_else(|| Problem::missing("no `account` object"))?;
    let url = str_of(account.get("url"));
    let uri = str_of(account.get("uri"))
        .or(url)
        .ok_or_else(|| Problem::missing("`account` has neither `uri` nor `url`"))?;
    let acct = str_of(account.get("acct"))
        .or_else(|| str_of(account.get("username")))
        .ok_or_else(|| Problem::missing("`account` has no `acct`"))?
        .trim()
        .trim_start_matches('@');
    // Local accounts' `acct` is the bare username: add the host their profile lives on.
    let handle = match authority(url.unwrap_or(uri)) {
        Some(host) if !acct.contains('@') => format!("@{acct}@{host}"),
        _ => format!("@{acct}"),
    };
    Ok(Author {
        uri: uri.to_owned(),
        handle,
        name: account
            .get("display_name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        url: url.map(str::to_owned),
        avatar: owned(account.get("avatar")),
        consent: super::consent::of_mastodon_account(account),
    })
}

/// `content`, without Mastodon 4.5's `<p class="quote-inline">RE: …</p>` fallback when the
/// status carries the quote itself. Runs before sanitising, which drops the `p`'s class.
fn content_of(status: &Object) -> &str {
    let content = status
        .get("content")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let has_quote = status.get("quote").is_some_and(|q| !q.is_null());
    if has_quote {
        strip_quote_fallback(content)
    } else {
        content
    }
}

fn strip_quote_fallback(content: &str) -> &str {
    let trimmed = content.trim_start();
    let Some(open_end) = trimmed.find('>') else {
        return content;
    };
    let is_fallback = trimmed[..open_end]
        .strip_prefix("<p")
        .is_some_and(|rest| rest.starts_with(char::is_whitespace) && rest.contains("quote-inline"));
    match trimmed[open_end..].find("</p>") {
        Some(close) if is_fallback => &trimmed[open_end + close + "</p>".len()..],
        _ => content,
    }
}

/// The quoted post's `uri`, from a Quote in state `accepted` (the only state with content).
/// A ShallowQuote names the quoted post only by its local `quoted_status_id`, which gives no
/// URI, and a pending, rejected or revoked quote is not one to show.
fn quote_of(quote: Option<&Value>) -> Option<String> {
    let quote = quote?.as_object()?;
    if str_of(quote.get("state")) != Some("accepted") {
        return None;
    }
    owned(quote.get("quoted_status")?.get("uri"))
}

/// `poll`: `options[].{title, votes_count}` (`votes_count` is null while results are hidden),
/// `multiple`, `expires_at` (null when it never ends) and `voters_count` (null on polls made
/// before it existed). A poll without a readable option is no poll.
fn poll_of(poll: Option<&Value>) -> Option<Poll> {
    let poll = poll?.as_object()?;
    let options: Vec<PollOption> = poll
        .get("options")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|o| {
            Some(PollOption {
                title: o.get("title")?.as_str()?.to_owned(),
                votes: o.get("votes_count").and_then(Value::as_u64),
            })
        })
        .collect();
    (!options.is_empty()).then(|| Poll {
        options,
        multiple: bool_of(poll.get("multiple")),
        closes_at: str_of(poll.get("expires_at")).and_then(parse_time),
        voters: poll.get("voters_count").and_then(Value::as_u64),
    })
}

/// The status's `emojis[]`, then the author's (`account.emojis[]`, used in the display name,
/// which the page shows with the post), each shortcode once, status first. The animated `url`
/// is kept rather than `static_url` (used only when `url` is missing), as Mastodon shows it.
/// Shortcodes and URLs are kept as given: the renderer decides what is safe to show.
fn emojis_of(status: &Object) -> Vec<CustomEmoji> {
    let lists = [
        status.get("emojis"),
        status.get("account").and_then(|a| a.get("emojis")),
    ];
    let mut out: Vec<CustomEmoji> = Vec::new();
    for emoji in lists
        .into_iter()
        .flatten()
        .filter_map(Value::as_array)
        .flatten()
    {
        let shortcode = str_of(emoji.get("shortcode")).map(|s| s.trim().trim_matches(':'));
        let url = str_of(emoji.get("url")).or_else(|| str_of(emoji.get("static_url")));
        if let (Some(shortcode), Some(url)) = (shortcode, url)
            && !shortcode.is_empty()
            && !out.iter().any(|e| e.shortcode == shortcode)
        {
            out.push(CustomEmoji {
                shortcode: shortcode.to_owned(),
                url: url.to_owned(),
            });
        }
    }
    out
}

/// `tags[].name`, normalised, without duplicates, in source order.
fn tags_of(tags: Option<&Value>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let names = tags
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|tag| str_of(tag.get("name")));
    for name in names {
        let tag = normalize(name);
        if !tag.is_empty() && !out.contains(&tag) {
            out.push(tag);
        }
    }
    out
}

/// Attachments with a usable URL: `url` is null while the server still processes the file,
/// and remote media may not be cached, so fall back to `remote_url`, then `preview_url`. For
/// a video or sound `preview_url` is its poster or cover, kept beside it (for a picture it is
/// only a smaller copy of the same).
fn media_of(attachments: Option<&Value>) -> Vec<Media> {
    let attachments = attachments.and_then(Value::as_array).into_iter().flatten();
    attachments
        .filter_map(|a| {
            let url = ["url", "remote_url", "preview_url"]
                .into_iter()
                .find_map(|key| str_of(a.get(key)))?;
            let size = a.pointer("/meta/original");
            let kind = str_of(a.get("type")).unwrap_or("unknown");
            let preview = str_of(a.get("preview_url"))
                .filter(|p| matches!(kind, "video" | "gifv" | "audio") && *p != url);
            Some(Media {
                url: url.to_owned(),
                kind: kind.to_owned(),
                alt: owned(a.get("description")),
                width: dimension(size.and_then(|s| s.get("width"))),
                height: dimension(size.and_then(|s| s.get("height"))),
                preview: preview.map(str::to_owned),
            })
        })
        .collect()
}

fn dimension(v: Option<&Value>) -> Option<u32> {
    u32::try_from(v?.as_u64()?).ok()
}

/// An id as an opaque string. Ids should be strings, but some servers send integers; any
/// other shape (a float has already lost digits) counts as absent.
fn id_string(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(_) => owned(v),
        Value::Number(n) if n.is_u64() || n.is_i64() => Some(n.to_string()),
        _ => None,
    }
}

/// The non-empty string at `v`, owned.
fn owned(v: Option<&Value>) -> Option<String> {
    str_of(v).map(str::to_owned)
}

#[cfg(test)]
mod tests;
