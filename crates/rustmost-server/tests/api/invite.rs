//! `POST /teams/{id}/invite/email`: invitations mailed through a local SMTP sink, the
//! disabled answer, domain rules and permissions.

use crate::common::smtp::{Mail, start_mailing};
use crate::common::{TestServer, expect_errors};
use serde_json::json;
use std::sync::{Arc, Mutex};

/// The sink's mails once it holds `n` (polling; gives up after ten seconds).
async fn wait_for_mails(got: &Arc<Mutex<Vec<Mail>>>, n: usize) -> Vec<Mail> {
    for _ in 0..1000 {
        let mails = got.lock().unwrap().clone();
        if mails.len() >= n {
            return mails;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    got.lock().unwrap().clone()
}

async fn team(ts: &TestServer, at: &str) -> String {
    let t = ts.create_team(at, "team-one", "Team One", "O").await;
    t.id()
}

#[tokio::test]
async fn invitations_are_mailed_through_smtp() {
    let (ts, got) = start_mailing(&[
        ("MM_SERVICESETTINGS_ENABLEEMAILINVITATIONS", "true"),
        ("MM_SERVICESETTINGS_SITEURL", "http://chat.example.com"),
    ])
    .await;
    let (_, at) = ts.admin().await;
    let tid = team(&ts, &at).await;
    // n8n's user.invite body: a bare array split on "," (note the leading space).
    let r = ts
        .post(
            &format!("/api/v4/teams/{tid}/invite/email"),
            &at,
            json!(["Ann@Example.com", " bo+n8n@example.com"]),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body, json!({"status": "OK"}));
    // Mail goes out after the answer.
    let mails = wait_for_mails(&got, 2).await;
    assert_eq!(mails.len(), 2, "{mails:?}");
    assert_eq!(mails[0].rcpt, vec!["ann@example.com"]);
    assert_eq!(mails[1].rcpt, vec!["bo+n8n@example.com"]);
    let invite_id = ts.get(&format!("/api/v4/teams/{tid}"), &at).await.body["invite_id"]
        .as_str()
        .unwrap()
        .to_string();
    // Undo quoted-printable: soft line breaks and `=3D`.
    let data = &mails[0].data.replace("=\n", "").replace("=3D", "=");
    assert!(
        data.contains("Subject: [Mattermost] admin invited you to join Team One Team"),
        "{data}"
    );
    assert!(
        data.contains(&format!(
            "http://chat.example.com/signup_user_complete/?id={invite_id}"
        )),
        "{data}"
    );
    assert!(
        data.contains("From: noreply@example.com") || data.contains("From: <noreply@example.com>"),
        "{data}"
    );
}

#[tokio::test]
async fn invitations_disabled_and_errors() {
    let (ts, _, at) = TestServer::start_with_admin().await;
    let tid = team(&ts, &at).await;
    expect_errors!(ts;
        post(&format!("/api/v4/teams/{tid}/invite/email"), &at, json!(["a@example.com"]))
            => 501, "api.team.invite_members.disabled.app_error";
        post(&format!("/api/v4/teams/{tid}/invite/email"), &at, json!([]))
            => 400, "api.context.invalid_body_param.app_error";
    );
    expect_errors!(ts;
        post(&format!("/api/v4/teams/{tid}/invite/email"), &at, json!("a@example.com"))
            => 400, "api.team.invite_members_to_team_and_channels.invalid_body.app_error";
    );
    let (_, ut) = ts.user(&at, "bob").await;
    expect_errors!(ts;
        post(&format!("/api/v4/teams/{tid}/invite/email"), &ut, json!(["a@example.com"]))
            => 403, "api.context.permissions.app_error";
    );
    // Allowed domains, with invitations on (nothing listens on the SMTP port: still 200).
    ts.patch_config(&at, json!({"ServiceSettings": {"EnableEmailInvitations": true}, "EmailSettings": {"SMTPServer": "127.0.0.1", "SMTPPort": "1"}})).await;
    ts.patch_config(
        &at,
        json!({"TeamSettings": {"RestrictCreationToDomains": "example.com"}}),
    )
    .await;
    expect_errors!(ts;
        post(&format!("/api/v4/teams/{tid}/invite/email"), &at, json!(["a@example.com", "b@other.org"]))
            => 400, "api.team.invite_members.invalid_email.app_error";
    );
    let r = ts
        .post(
            &format!("/api/v4/teams/{tid}/invite/email"),
            &at,
            json!({"emails": ["a@example.com"]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
}

/// The team's allowed domains and `RestrictCreationToDomains` are separate rules: an address
/// must satisfy each non-empty one (upstream `IsEmailAddressAllowed`).
#[tokio::test]
async fn invitations_need_every_domain_rule() {
    let (ts, _, at) = TestServer::start_with_admin().await;
    let r = ts
        .post(
            "/api/v4/teams",
            &at,
            json!({"name": "team-one", "display_name": "Team One", "type": "O",
                   "allowed_domains": "@Example.com, other.org"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let tid = r.id();
    // Invitations on; nothing listens on the SMTP port, sending failures are only logged.
    ts.patch_config(&at, json!({"ServiceSettings": {"EnableEmailInvitations": true}, "EmailSettings": {"SMTPServer": "127.0.0.1", "SMTPPort": "1"}})).await;
    let invite = |emails: serde_json::Value| {
        let (ts, at, tid) = (&ts, at.clone(), tid.clone());
        async move {
            ts.post(&format!("/api/v4/teams/{tid}/invite/email"), &at, emails)
                .await
        }
    };
    // Only the team rule: either of its domains.
    let r = invite(json!(["a@example.com", "b@other.org"])).await;
    assert_eq!(r.status, 200, "{}", r.text);
    // Both rules: other.org passes the team's but not the server's.
    ts.patch_config(
        &at,
        json!({"TeamSettings": {"RestrictCreationToDomains": "example.com"}}),
    )
    .await;
    let r = invite(json!(["a@example.com", "b@other.org"])).await;
    r.assert_err(400, "api.team.invite_members.invalid_email.app_error");
    assert!(
        r.text.contains("b@other.org") && !r.text.contains("a@example.com"),
        "{}",
        r.text
    );
    assert_eq!(invite(json!(["a@example.com"])).await.status, 200);
    // Disjoint rules allow nothing.
    ts.patch_config(
        &at,
        json!({"TeamSettings": {"RestrictCreationToDomains": "third.net"}}),
    )
    .await;
    for e in ["a@example.com", "c@third.net"] {
        invite(json!([e]))
            .await
            .assert_err(400, "api.team.invite_members.invalid_email.app_error");
    }
}

/// Upstream's invitation quota: each address spends one of the sender's 20 an hour (burst 20,
/// so at most 21 at once); over it 413 `app.email.rate_limit_exceeded.app_error`, before any
/// mail is queued. The quota is the sender's, not the team's, and another sender has their own.
#[tokio::test]
async fn invitations_are_capped_per_request_and_per_hour() {
    let (ts, got) = start_mailing(&[("MM_SERVICESETTINGS_ENABLEEMAILINVITATIONS", "true")]).await;
    let (_, at) = ts.admin().await;
    let tid = team(&ts, &at).await;
    let url = format!("/api/v4/teams/{tid}/invite/email");
    let list = |n: usize, tag: &str| -> Vec<String> {
        (0..n).map(|i| format!("{tag}{i}@example.com")).collect()
    };
    // More than a burst in one request never passes.
    let r = ts.post(&url, &at, json!(list(22, "big"))).await;
    r.assert_err(413, "app.email.rate_limit_exceeded.app_error");
    // 21 at once pass; then the hour's budget is spent.
    let r = ts.post(&url, &at, json!(list(21, "ok"))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = ts.post(&url, &at, json!(["one.more@example.com"])).await;
    r.assert_err(413, "app.email.rate_limit_exceeded.app_error");
    assert!(
        r.body["message"].as_str().unwrap().contains("seconds"),
        "{}",
        r.text
    );
    let mails = wait_for_mails(&got, 21).await;
    assert_eq!(mails.len(), 21);
    assert!(
        mails.iter().all(|m| m.rcpt[0].starts_with("ok")),
        "only the accepted request was mailed"
    );
    // Another sender with the permissions has their own quota.
    let bob = ts.create_user(Some(&at), "bob", "User-Passw0rd!").await;
    let bid = bob["id"].as_str().unwrap();
    let r = ts.set_roles(&at, bid, "system_user system_admin").await;
    assert_eq!(r.status, 200, "{}", r.text);
    let bt = ts.login("bob", "User-Passw0rd!").await;
    let r = ts.post(&url, &bt, json!(["from.bob@example.com"])).await;
    assert_eq!(r.status, 200, "{}", r.text);
}

/// The mail goes out after the answer: an SMTP server that accepts connections and never
/// speaks (its timeout set to a minute) does not hold the request.
#[tokio::test]
async fn invitations_answer_before_the_mail_is_sent() {
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port_s = silent.local_addr().unwrap().port().to_string();
    let held = tokio::spawn(async move {
        let mut conns = Vec::new();
        while let Ok((sock, _)) = silent.accept().await {
            conns.push(sock);
        }
    });
    let ts = TestServer::start_with_env(&[
        ("MM_SERVICESETTINGS_ENABLEEMAILINVITATIONS", "true"),
        ("MM_EMAILSETTINGS_SMTPSERVER", "127.0.0.1"),
        ("MM_EMAILSETTINGS_SMTPPORT", &port_s),
        ("MM_EMAILSETTINGS_SMTPSERVERTIMEOUT", "60"),
        ("MM_EMAILSETTINGS_FEEDBACKEMAIL", "noreply@example.com"),
    ])
    .await;
    let (_, at) = ts.admin().await;
    let tid = team(&ts, &at).await;
    let r = tokio::time::timeout(
        std::time::Duration::from_secs(20),
        ts.post(
            &format!("/api/v4/teams/{tid}/invite/email"),
            &at,
            json!(["a@example.com"]),
        ),
    )
    .await
    .expect("the invitation call waited for the SMTP server");
    assert_eq!(r.status, 200, "{}", r.text);
    held.abort();
}
