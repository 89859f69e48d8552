//! Whether a post carries the story's tag. (Which untagged posts join it as context is decided
//! over the reply graph in `staging::select`.)

use crate::model::Post;
use crate::tag;

/// Whether `post` carries `tag` (normalised): in its structured tags, or, for formats without
/// them, as a `#tag` word in its text.
pub(crate) fn is_tagged(post: &Post, tag: &str) -> bool {
    if post.has_structured_tags {
        post.tags.iter().any(|t| t == tag)
    } else {
        tag::hashtags_in_text(&post.text).iter().any(|t| t == tag)
    }
}
