//! Server-written text in Mattermost's words: an upstream message id, its English text with the
//! Go-style `%v` placeholders filled in.

/// An upstream message with Go-style `%v` placeholders filled in order.
pub fn fill(id: &str, args: &[&str]) -> String {
    let mut msg = crate::error::lookup(id).unwrap_or_else(|| id.to_string());
    for a in args {
        msg = msg.replacen("%v", a, 1);
    }
    msg
}

#[cfg(test)]
mod tests {
    /// The integration code's sources, whose error ids must all have an English text.
    const SOURCES: &[(&str, &str)] = &[
        ("app/webhooks.rs", include_str!("webhooks.rs")),
        ("app/commands.rs", include_str!("commands.rs")),
        (
            "app/commands/builtin.rs",
            include_str!("commands/builtin.rs"),
        ),
        (
            "app/integration_posts.rs",
            include_str!("integration_posts.rs"),
        ),
        ("app/outgoing.rs", include_str!("outgoing.rs")),
        ("app/signing.rs", include_str!("signing.rs")),
        ("api/v4/webhooks.rs", include_str!("../api/v4/webhooks.rs")),
        ("api/v4/commands.rs", include_str!("../api/v4/commands.rs")),
        ("realtime/conn.rs", include_str!("../realtime/conn.rs")),
    ];

    /// Every string literal of `src` that looks like an upstream message id.
    fn ids(src: &str) -> Vec<&str> {
        src.split('"')
            .skip(1)
            .step_by(2)
            .filter(|s| {
                ["api.", "app.", "model.", "store.", "web."]
                    .iter()
                    .any(|p| s.starts_with(p))
                    && s.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_')
            })
            .collect()
    }

    #[test]
    fn every_integration_error_id_has_an_english_text() {
        let mut missing = Vec::new();
        let mut seen = 0;
        for (file, src) in SOURCES {
            for id in ids(src) {
                seen += 1;
                if crate::error::lookup(id).is_none() {
                    missing.push(format!("{file}: {id}"));
                }
            }
            // An id built at run time would escape this test: they are written out whole.
            assert!(
                !src.contains("format!(\"model.") && !src.contains("format!(\"api."),
                "{file} builds an error id with format!"
            );
        }
        assert!(seen > 100, "only {seen} ids found: the scan is broken");
        assert!(missing.is_empty(), "no English text for: {missing:#?}");
    }
}
