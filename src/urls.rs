//! URL helpers shared by parsing, collecting and fetching, so that none of them has to reach
//! into another's module for them.

/// `host` or `host:port` of an absolute URL: handles and server-local ids are scoped by it, and
/// the port matters on test and development servers (`localhost:3000`).
pub fn authority(url: &str) -> Option<String> {
    let url = url::Url::parse(url.trim()).ok()?;
    let host = url.host_str()?;
    Some(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::authority;

    #[test]
    fn authority_keeps_the_port_and_refuses_relative_urls() {
        assert_eq!(
            authority(" https://Social.Example/@a ").as_deref(),
            Some("social.example")
        );
        assert_eq!(
            authority("http://localhost:3000/x").as_deref(),
            Some("localhost:3000")
        );
        assert_eq!(authority("/users/a"), None);
        assert_eq!(authority("mailto:a@b.example"), None);
    }
}
