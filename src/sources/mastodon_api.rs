//! Stub: being written.

use serde_json::Value;

use super::{FormatError, ItemSink, SourceFormat};

/// The mastodon-api format.
pub struct MastodonApi;

impl SourceFormat for MastodonApi {
    const NAME: &'static str = "mastodon-api";
    fn sniff(_doc: &Value) -> bool {
        false
    }
    fn parse(_doc: &Value, _sink: &mut dyn ItemSink) -> Result<(), FormatError> {
        Ok(())
    }
}
