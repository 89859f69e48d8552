//! What an author's profile says about being archived: the one place every parser reads it.
//!
//! A **refusal** is the hashtag `#NoArchive` or `#NoBot`, in any case, written as a whole
//! hashtag (`#NoBotanist` is another tag) in the bio or in a profile field's name or value, or
//! on Bluesky the `!no-unauthenticated` label on the author (the account asked that logged-out
//! viewers not see its posts). A refusing author has none of their posts stored (see
//! `collect`).
//!
//! An **opt-out of indexing** is Mastodon's `noindex: true` (REST API `Account.noindex`; an
//! ActivityPub actor carrying `noindex: true`, which some servers send, though Mastodon itself
//! does not federate it). Mastodon's `indexable: false` and `discoverable: false` are **not**
//! read as opt-outs: both are opt-*in* settings that default to false, so nearly every account
//! has them false without ever having chosen anything, and they govern Mastodon's own search
//! (`indexable`) and its profile directory and suggestions (`discoverable`), not whether public
//! posts may be quoted elsewhere.
//!
//! Nothing here decides what happens to the posts: parsers fill in [`Consent`] and the
//! collector acts on it.

use serde_json::{Map, Value};

use super::serde_util::{one_or_many, str_of};
use crate::model::Consent;
use crate::sanitize::{html_to_text, sanitize_html};
use crate::tag::hashtags_in_text;

/// The hashtags that refuse archiving, normalised ([`crate::tag::normalize`]).
pub const REFUSAL_TAGS: [&str; 2] = ["noarchive", "nobot"];

/// The Bluesky label by which an account asks not to be shown to logged-out viewers.
pub const BLUESKY_REFUSAL_LABEL: &str = "!no-unauthenticated";

/// Whether plain `text` holds a refusal hashtag.
pub fn refuses_in_text(text: &str) -> bool {
    // Most profiles say nothing: skip the tokenising unless a refusal can be there at all.
    if !might_refuse(text) {
        return false;
    }
    hashtags_in_text(text)
        .iter()
        .any(|tag| REFUSAL_TAGS.contains(&tag.as_str()))
}

/// Whether `html` (a Mastodon bio or field value, as the server sends it) holds a refusal
/// hashtag. Mastodon links a hashtag as `#<span>NoArchive</span>`, so the HTML is read as text.
pub fn refuses_in_html(html: &str) -> bool {
    might_refuse(html) && refuses_in_text(&html_to_text(&sanitize_html(html)))
}

/// A cheap test that rules out most texts: every refusal tag is ASCII, and NFKC maps the
/// full-width forms (`ＮｏＢｏｔ`) to ASCII, so either the ASCII letters are there or a
/// non-ASCII character is.
fn might_refuse(text: &str) -> bool {
    if !text.is_ascii() {
        return true;
    }
    let lower = text.to_ascii_lowercase();
    REFUSAL_TAGS.iter().any(|tag| lower.contains(tag))
}

/// A Mastodon REST API `Account`: `note` (bio HTML), `fields[].name`/`value` (value is HTML),
/// `noindex`.
pub fn of_mastodon_account(account: &Map<String, Value>) -> Consent {
    profile_consent(account, "note", "fields")
}

/// An ActivityPub actor: `summary` (bio HTML), `attachment[]` `PropertyValue`s' `name` and
/// `value`, and `noindex` when a server sends it.
pub fn of_actor(actor: &Map<String, Value>) -> Consent {
    profile_consent(actor, "summary", "attachment")
}

fn profile_consent(profile: &Map<String, Value>, bio_key: &str, fields_key: &str) -> Consent {
    let from_profile = [bio_key, fields_key, "noindex"]
        .iter()
        .any(|key| profile.contains_key(*key));
    let bio_refuses = str_of(profile.get(bio_key)).is_some_and(refuses_in_html);
    let field_refuses = || {
        one_or_many(profile.get(fields_key))
            .into_iter()
            .filter_map(Value::as_object)
            .flat_map(|field| [field.get("name"), field.get("value")])
            .filter_map(|v| str_of(v))
            .any(refuses_in_html)
    };
    Consent {
        refuses: bio_refuses || field_refuses(),
        noindex: profile.get("noindex").and_then(Value::as_bool) == Some(true),
        from_profile,
    }
}

/// A Bluesky `ProfileViewBasic` (a post's `author`): refused when labelled
/// [`BLUESKY_REFUSAL_LABEL`], unless a later label with `neg: true` withdrew it.
pub fn of_bluesky_author(author: &Map<String, Value>) -> Consent {
    let labels = author.get("labels").and_then(Value::as_array);
    let mut refuses = false;
    for label in labels.into_iter().flatten() {
        if str_of(label.get("val")) == Some(BLUESKY_REFUSAL_LABEL) {
            refuses = label.get("neg").and_then(Value::as_bool) != Some(true);
        }
    }
    Consent {
        refuses,
        noindex: false,
        from_profile: labels.is_some(),
    }
}

/// A Twitter bio (v1.1 `user.description`, v2 `users[].description`), plain text. Only a
/// refusal counts as a profile statement: Twitter data are snapshots of an API that no longer
/// serves them, so a bio without the hashtag (perhaps an older copy) never lifts a refusal
/// seen in another.
pub fn of_twitter_bio(description: Option<&Value>) -> Consent {
    let refuses = str_of(description).is_some_and(refuses_in_text);
    Consent {
        refuses,
        noindex: false,
        from_profile: refuses,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn map(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(map) => map,
            other => panic!("not an object: {other}"),
        }
    }

    #[test]
    fn a_refusal_is_a_whole_hashtag_in_any_case() {
        for yes in [
            "#NoArchive",
            "please: #noarchive.",
            "#NOBOT and #other",
            "(#NoBot)",
            "＃ＮｏＢｏｔ",
            "line\n#nobot",
        ] {
            assert!(refuses_in_text(yes), "{yes}");
        }
        for no in [
            "#NoBotanist",
            "#NoArchives",
            "NoArchive",
            "no bot please",
            "https://example.com/page#nobot",
            "&#nobot",
            "#no_archive",
            "",
        ] {
            assert!(!refuses_in_text(no), "{no}");
        }
    }

    #[test]
    fn a_refusal_in_mastodon_html_is_read_through_the_links() {
        let bio = r#"<p>Carer. <a href="https://x.example/tags/NoArchive" class="mention hashtag" rel="tag">#<span>NoArchive</span></a></p>"#;
        assert!(refuses_in_html(bio));
        let botanist =
            r#"<p><a href="https://x.example/tags/nobotanist">#<span>NoBotanist</span></a></p>"#;
        assert!(!refuses_in_html(botanist));
        // A link's address is not its text.
        assert!(!refuses_in_html(
            r#"<p><a href="https://x.example/tags/nobot">a link</a></p>"#
        ));
    }

    #[test]
    fn mastodon_accounts_refuse_in_the_bio_or_any_field_and_opt_out_with_noindex() {
        let quiet = of_mastodon_account(&map(json!({"note": "<p>Hello</p>", "fields": []})));
        assert_eq!(
            quiet,
            Consent {
                refuses: false,
                noindex: false,
                from_profile: true
            }
        );
        let in_field_name =
            map(json!({"note": "", "fields": [{"name": "#nobot", "value": "yes"}]}));
        assert!(of_mastodon_account(&in_field_name).refuses);
        let in_field_value =
            map(json!({"fields": [{"name": "Archiving", "value": "<p>#NoArchive</p>"}]}));
        assert!(of_mastodon_account(&in_field_value).refuses);
        let noindex = of_mastodon_account(&map(json!({"note": "", "noindex": true})));
        assert_eq!((noindex.refuses, noindex.noindex), (false, true));
        // An account object without any profile part says nothing either way.
        assert!(!of_mastodon_account(&map(json!({"acct": "a"}))).from_profile);
    }

    #[test]
    fn actors_refuse_in_summary_or_property_values_and_indexable_is_no_opt_out() {
        let actor = map(json!({
            "type": "Person", "summary": "<p>#NoBot</p>", "indexable": false, "discoverable": false
        }));
        assert_eq!(
            of_actor(&actor),
            Consent {
                refuses: true,
                noindex: false,
                from_profile: true
            }
        );
        let field = map(
            json!({"attachment": {"type": "PropertyValue", "name": "Bots", "value": "#noarchive"}}),
        );
        assert!(of_actor(&field).refuses);
        let noindex = map(json!({"summary": null, "noindex": true}));
        assert!(of_actor(&noindex).noindex);
    }

    #[test]
    fn bluesky_authors_refuse_with_the_label_unless_withdrawn() {
        let labelled = map(json!({"labels": [{"val": "!no-unauthenticated", "src": "did:plc:a"}]}));
        assert!(of_bluesky_author(&labelled).refuses);
        let withdrawn = map(json!({"labels": [
            {"val": "!no-unauthenticated"}, {"val": "!no-unauthenticated", "neg": true}
        ]}));
        assert!(!of_bluesky_author(&withdrawn).refuses);
        assert!(!of_bluesky_author(&map(json!({"handle": "a.bsky.social"}))).from_profile);
    }

    #[test]
    fn twitter_bios_are_plain_text() {
        assert!(of_twitter_bio(Some(&json!("nurse &amp; writer #NoArchive"))).refuses);
        assert!(!of_twitter_bio(Some(&json!("#NoArchiveToday"))).refuses);
        assert!(!of_twitter_bio(None).from_profile);
        assert!(!of_twitter_bio(Some(&json!("nurse"))).from_profile);
    }
}
