//! What a fetched file is, told by its bytes: the magic numbers of the picture, video and sound
//! formats browsers show, and a name for what anything else looks like (HTML, SVG, JSON), so a
//! refusal can say why. A server's `Content-Type` is a claim; only the bytes are evidence.
//!
//! Hand-written rather than a crate such as `infer`: the list is short and stable, the tests
//! below pin each signature, and what matters most here is what is *refused* — SVG above all,
//! since it is XML that can carry script — which a general detector does not single out.

/// What a file is for a story.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// A picture.
    Image,
    /// A video.
    Video,
    /// A sound.
    Audio,
}

/// A file recognised as media.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sniffed {
    /// Its MIME type.
    pub mime: &'static str,
    /// Picture, video or sound.
    pub family: Family,
}

/// Why bytes are not kept as media.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotMedia {
    /// An SVG picture: XML that can carry script, never kept.
    Svg,
    /// An HTML page (an error page, a login wall).
    Html,
    /// JSON (an API error).
    Json,
    /// Nothing recognised.
    Unknown,
}

/// What `bytes` are, or what they look like when they are not media.
pub fn sniff(bytes: &[u8]) -> Result<Sniffed, NotMedia> {
    media(bytes).ok_or_else(|| not_media(bytes))
}

fn found(mime: &'static str, family: Family) -> Option<Sniffed> {
    Some(Sniffed { mime, family })
}

fn media(b: &[u8]) -> Option<Sniffed> {
    use Family::{Audio, Image, Video};
    let at = |offset: usize, magic: &[u8]| b.get(offset..offset + magic.len()) == Some(magic);
    if at(0, b"\xFF\xD8\xFF") {
        return found("image/jpeg", Image);
    }
    if at(0, b"\x89PNG\r\n\x1A\n") {
        return found("image/png", Image);
    }
    if at(0, b"GIF87a") || at(0, b"GIF89a") {
        return found("image/gif", Image);
    }
    if at(0, b"RIFF") && at(8, b"WEBP") {
        return found("image/webp", Image);
    }
    if at(0, b"RIFF") && at(8, b"WAVE") {
        return found("audio/wav", Audio);
    }
    if at(0, b"BM") && b.len() > 14 && at(6, b"\0\0\0\0") {
        return found("image/bmp", Image);
    }
    if at(4, b"ftyp") {
        return iso_media(b.get(8..12)?);
    }
    if at(0, b"\x1A\x45\xDF\xA3") {
        let head = &b[..b.len().min(64)];
        return if head.windows(4).any(|w| w == b"webm") {
            found("video/webm", Video)
        } else {
            found("video/x-matroska", Video)
        };
    }
    if at(0, b"OggS") {
        let head = &b[..b.len().min(128)];
        return if head.windows(6).any(|w| w == b"theora") {
            found("video/ogg", Video)
        } else {
            found("audio/ogg", Audio)
        };
    }
    if at(0, b"fLaC") {
        return found("audio/flac", Audio);
    }
    if at(0, b"ID3") || is_mpeg_audio_frame(b) {
        return found("audio/mpeg", Audio);
    }
    if b.len() >= 2 && b[0] == 0xFF && (b[1] & 0xF6) == 0xF0 {
        return found("audio/aac", Audio);
    }
    None
}

/// An ISO base media file (`ftyp` box) by its major brand: AVIF and HEIF pictures, QuickTime,
/// MPEG-4 audio, and MPEG-4 video for the many other brands.
fn iso_media(brand: &[u8]) -> Option<Sniffed> {
    use Family::{Audio, Image, Video};
    match brand {
        b"avif" | b"avis" => found("image/avif", Image),
        b"heic" | b"heix" | b"heim" | b"heis" => found("image/heic", Image),
        b"mif1" | b"msf1" => found("image/heif", Image),
        b"qt  " => found("video/quicktime", Video),
        b"M4A " | b"M4B " => found("audio/mp4", Audio),
        _ => found("video/mp4", Video),
    }
}

/// An MPEG-1/2 audio frame header (MP3 without an ID3 tag): 11 sync bits, a known version
/// and layer, a bitrate index that is neither free nor bad.
fn is_mpeg_audio_frame(b: &[u8]) -> bool {
    let [a, c, d, ..] = *b else {
        return false;
    };
    let version = (c >> 3) & 0b11;
    let layer = (c >> 1) & 0b11;
    let bitrate = d >> 4;
    a == 0xFF && (c & 0xE0) == 0xE0 && version != 0b01 && layer != 0 && (1..15).contains(&bitrate)
}

/// What bytes that are not media look like: text is read past a byte-order mark, white space,
/// an XML declaration, comments and a doctype to its first element.
fn not_media(b: &[u8]) -> NotMedia {
    let text = b.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(b);
    let head: Vec<u8> = text.iter().take(4096).map(u8::to_ascii_lowercase).collect();
    let start = head
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(head.len());
    let head = &head[start..];
    if head.starts_with(b"{") || head.starts_with(b"[") {
        return NotMedia::Json;
    }
    if !head.starts_with(b"<") {
        return NotMedia::Unknown;
    }
    let first = first_element(head);
    if first.starts_with(b"<svg") {
        NotMedia::Svg
    } else if head.starts_with(b"<!doctype html")
        || [
            b"<html".as_slice(),
            b"<head",
            b"<body",
            b"<script",
            b"<meta",
            b"<title",
            b"<div",
        ]
        .iter()
        .any(|tag| first.starts_with(tag))
    {
        NotMedia::Html
    } else if contains(head, b"<svg") {
        NotMedia::Svg
    } else {
        NotMedia::Unknown
    }
}

/// `head` from its first element, past `<?…?>`, `<!--…-->` and `<!…>`.
fn first_element(mut head: &[u8]) -> &[u8] {
    loop {
        let end = if head.starts_with(b"<?") {
            find(head, b"?>").map(|i| i + 2)
        } else if head.starts_with(b"<!--") {
            find(head, b"-->").map(|i| i + 3)
        } else if head.starts_with(b"<!") {
            find(head, b">").map(|i| i + 1)
        } else {
            return head;
        };
        let Some(end) = end else { return head };
        let rest = &head[end..];
        let skip = rest
            .iter()
            .position(|c| !c.is_ascii_whitespace())
            .unwrap_or(rest.len());
        head = &rest[skip..];
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    find(haystack, needle).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mime(bytes: &[u8]) -> Result<&'static str, NotMedia> {
        sniff(bytes).map(|s| s.mime)
    }

    #[test]
    fn media_signatures() {
        let cases: &[(&[u8], &str)] = &[
            (b"\xFF\xD8\xFF\xE0\0\x10JFIF\0", "image/jpeg"),
            (b"\x89PNG\r\n\x1A\n\0\0\0\rIHDR", "image/png"),
            (b"GIF89a\x01\0\x01\0", "image/gif"),
            (b"GIF87a\x01\0\x01\0", "image/gif"),
            (b"RIFF\x24\0\0\0WEBPVP8 ", "image/webp"),
            (b"RIFF\x24\0\0\0WAVEfmt ", "audio/wav"),
            (b"BM\x3A\0\0\0\0\0\0\0\x36\0\0\0\x28\0", "image/bmp"),
            (b"\0\0\0\x1CftypavifAAAA", "image/avif"),
            (b"\0\0\0\x18ftypheicAAAA", "image/heic"),
            (b"\0\0\0\x18ftypmif1AAAA", "image/heif"),
            (b"\0\0\0\x14ftypqt  AAAA", "video/quicktime"),
            (b"\0\0\0\x20ftypisomAAAA", "video/mp4"),
            (b"\0\0\0\x20ftypmp42AAAA", "video/mp4"),
            (b"\0\0\0\x20ftypM4A AAAA", "audio/mp4"),
            (
                b"\x1A\x45\xDF\xA3\x9F\x42\x86\x81\x01\x42\x82\x84webm",
                "video/webm",
            ),
            (
                b"\x1A\x45\xDF\xA3\x9F\x42\x86\x81\x01\x42\x82\x88matroska",
                "video/x-matroska",
            ),
            (b"OggS\0\x02\0\0\0\0\0\0\0\0\x01\x1EvorbisAAAA", "audio/ogg"),
            (b"OggS\0\x02\0\0\0\0\0\0\0\0\x80theora", "video/ogg"),
            (b"fLaC\0\0\0\x22", "audio/flac"),
            (b"ID3\x04\0\0\0\0\0\0", "audio/mpeg"),
            (b"\xFF\xFB\x90\x64\0\0", "audio/mpeg"),
            (b"\xFF\xF1\x50\x80\0\0", "audio/aac"),
        ];
        for (bytes, want) in cases {
            assert_eq!(mime(bytes), Ok(*want), "{bytes:?}");
        }
        assert_eq!(sniff(b"\xFF\xD8\xFF\xDB").unwrap().family, Family::Image);
        assert_eq!(sniff(b"\0\0\0\x20ftypisom").unwrap().family, Family::Video);
        assert_eq!(sniff(b"fLaC").unwrap().family, Family::Audio);
    }

    #[test]
    fn svg_is_told_apart_however_it_starts() {
        for svg in [
            "<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>",
            "\u{feff}<?xml version=\"1.0\"?>\n<!-- made by hand -->\n<!DOCTYPE svg PUBLIC \
             \"-//W3C//DTD SVG 1.1//EN\" \"x\">\n<SVG onload=\"alert(1)\"/>",
            "  \n<?xml version=\"1.0\" encoding=\"UTF-8\"?><svg/>",
        ] {
            assert_eq!(mime(svg.as_bytes()), Err(NotMedia::Svg), "{svg}");
        }
    }

    #[test]
    fn pages_and_documents_are_not_media() {
        assert_eq!(
            mime(b"<!DOCTYPE html><html><body>Not found</body></html>"),
            Err(NotMedia::Html)
        );
        assert_eq!(mime(b"\n  <html lang=en>"), Err(NotMedia::Html));
        assert_eq!(
            mime(b"<!-- cdn --><head><title>x</title>"),
            Err(NotMedia::Html)
        );
        assert_eq!(mime(b"{\"error\":\"gone\"}"), Err(NotMedia::Json));
        assert_eq!(mime(b"[1,2]"), Err(NotMedia::Json));
        assert_eq!(mime(b"plain words"), Err(NotMedia::Unknown));
        assert_eq!(
            mime(b"<?xml version=\"1.0\"?><rss/>"),
            Err(NotMedia::Unknown)
        );
        assert_eq!(mime(b""), Err(NotMedia::Unknown));
        assert_eq!(mime(b"\0\0\0\x20ftyp"), Err(NotMedia::Unknown));
        // A PNG signature cut short is not a PNG.
        assert_eq!(mime(b"\x89PNG\r\n"), Err(NotMedia::Unknown));
    }
}
