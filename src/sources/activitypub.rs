//! Stub: being written.

use serde_json::Value;

use super::{FormatError, ItemSink, SourceFormat};

/// The activitypub format.
pub struct ActivityPub;

impl SourceFormat for ActivityPub {
    const NAME: &'static str = "activitypub";
    fn sniff(_doc: &Value) -> bool {
        false
    }
    fn parse(_doc: &Value, _sink: &mut dyn ItemSink) -> Result<(), FormatError> {
        Ok(())
    }
}
