//! Outgoing e-mail through the SMTP server of `EmailSettings` (plain, implicit `TLS` or
//! `STARTTLS`, optional authentication), the team invitation mail and the personal access token
//! notices.

use crate::config::Config;
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::sync::Arc;
use std::time::Duration;

/// Sends one message with text and HTML parts. Errors are described without secrets.
pub async fn send_mail(
    cfg: &Config,
    to: &str,
    subject: &str,
    text: &str,
    html: &str,
) -> Result<(), String> {
    let from_addr = cfg.str("/EmailSettings/FeedbackEmail");
    let from_name = cfg.str("/EmailSettings/FeedbackName");
    let from = Mailbox::new(
        (!from_name.is_empty()).then(|| from_name.to_string()),
        from_addr
            .parse()
            .map_err(|e| format!("FeedbackEmail: {e}"))?,
    );
    let to: Mailbox = to.parse().map_err(|e| format!("recipient {to:?}: {e}"))?;
    let mut builder = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(subject);
    let reply_to = cfg.str("/EmailSettings/ReplyToAddress");
    if let Ok(addr) = reply_to.parse() {
        builder = builder.reply_to(Mailbox::new(from.name.clone(), addr));
    }
    let msg = builder
        .multipart(MultiPart::alternative_plain_html(
            text.to_string(),
            html.to_string(),
        ))
        .map_err(|e| format!("message: {e}"))?;

    let host = cfg.str("/EmailSettings/SMTPServer").to_string();
    if host.is_empty() {
        return Err("EmailSettings.SMTPServer is empty".into());
    }
    let port: u16 = match cfg.get("/EmailSettings/SMTPPort") {
        Some(serde_json::Value::String(s)) => s.parse().map_err(|_| format!("SMTPPort {s:?}"))?,
        Some(serde_json::Value::Number(n)) => n
            .as_u64()
            .and_then(|n| u16::try_from(n).ok())
            .ok_or("SMTPPort out of range")?,
        _ => 25,
    };
    let timeout = match cfg.i64("/EmailSettings/SMTPServerTimeout") {
        t if t > 0 => t as u64,
        _ => 10,
    };
    let mut t = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host.clone())
        .port(port)
        .timeout(Some(Duration::from_secs(timeout)));
    let security = cfg.str("/EmailSettings/ConnectionSecurity");
    if security == "TLS" || security == "STARTTLS" {
        let params = TlsParameters::builder(host)
            .dangerous_accept_invalid_certs(
                cfg.bool("/EmailSettings/SkipServerCertificateVerification"),
            )
            .build_rustls()
            .map_err(|e| format!("TLS: {e}"))?;
        t = t.tls(if security == "TLS" {
            Tls::Wrapper(params)
        } else {
            Tls::Required(params)
        });
    }
    if cfg.bool("/EmailSettings/EnableSMTPAuth") {
        t = t.credentials(Credentials::new(
            cfg.str("/EmailSettings/SMTPUsername").to_string(),
            cfg.str("/EmailSettings/SMTPPassword").to_string(),
        ));
    }
    t.build()
        .send(msg)
        .await
        .map(|_| ())
        .map_err(|e| format!("SMTP: {e}"))
}

/// Sends one message to each address from a task of its own, one after another, so the request
/// that queued them does not wait on the SMTP server. Failures are logged.
pub fn send_in_background(
    cfg: Arc<Config>,
    team_id: String,
    to: Vec<String>,
    subject: String,
    text: String,
    html: String,
) {
    tokio::spawn(async move {
        for addr in &to {
            if let Err(e) = send_mail(&cfg, addr, &subject, &text, &html).await {
                tracing::error!(%team_id, error = %e, "failed to send invite email");
            }
        }
    });
}

/// Minimal HTML escaping for values placed in the invitation body.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The invitation's subject, plain text and HTML, from upstream's English strings.
pub fn invite_mail(
    site_name: &str,
    sender: &str,
    team_display: &str,
    link: &str,
) -> (String, String, String) {
    let t = |id: &str| crate::error::lookup(id).unwrap_or_default();
    let fill = |s: String| {
        s.replace("{{ .SiteName }}", site_name)
            .replace("{{ .SenderName }}", sender)
            .replace("{{ .TeamDisplayName }}", team_display)
    };
    let subject = fill(t("api.templates.invite_subject"));
    let title = fill(t("api.templates.invite_body.title"));
    let sub = t("api.templates.invite_body.subTitle");
    let button = t("api.templates.invite_body.button");
    let footer_title = t("api.templates.invite_body_footer.title");
    let footer = t("api.templates.invite_body_footer.info");
    let text = format!("{title}\n\n{sub}\n\n{button}: {link}\n\n{footer_title}\n{footer}\n");
    let html = format!(
        "<html><body><h1>{}</h1><p>{}</p><p><a href=\"{}\">{}</a></p><h2>{}</h2><p>{}</p></body></html>",
        esc(&title),
        esc(&sub),
        esc(link),
        esc(&button),
        esc(&footer_title),
        esc(&footer)
    );
    (subject, text, html)
}

/// Fills upstream's `{{ .Name }}` / `{{.Name}}` placeholders.
fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = template.to_string();
    for (k, v) in values {
        out = out
            .replace(&format!("{{{{ .{k} }}}}"), v)
            .replace(&format!("{{{{.{k}}}}}"), v);
    }
    out
}

/// Which personal access token notice to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenNotice {
    /// `SendUserAccessTokenAddedEmail`.
    Added,
    /// The v11.10 rotation notice.
    Rotated,
}

/// A token notice's subject, plain text and HTML, from upstream's English strings. It never
/// carries the token or its secret.
pub fn token_mail(
    notice: TokenNotice,
    site_name: &str,
    site_url: &str,
) -> (String, String, String) {
    let t = |id: &str| crate::error::lookup(id).unwrap_or_default();
    let (subject, title, info) = match notice {
        TokenNotice::Added => (
            "api.templates.user_access_token_subject",
            "api.templates.user_access_token_body.title",
            "api.templates.user_access_token_body.info",
        ),
        TokenNotice::Rotated => (
            "api.templates.user_access_token_rotated_subject",
            "api.templates.user_access_token_rotated_body.title",
            "api.templates.user_access_token_rotated_body.info",
        ),
    };
    let values = [("SiteName", site_name), ("SiteURL", site_url)];
    let subject = fill(&t(subject), &values);
    let title = fill(&t(title), &values);
    let info = fill(&t(info), &values);
    let text = format!("{title}\n\n{info}\n");
    let html = format!(
        "<html><body><h1>{}</h1><p>{}</p></body></html>",
        esc(&title),
        esc(&info)
    );
    (subject, text, html)
}
