//! The listener: slow-client timeouts, strict transport security, TLS (rustls, ALPN, reload)
//! and the local-mode socket.

use crate::common::TestServer;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn addr(ts: &TestServer) -> String {
    ts.url
        .trim_start_matches("http://")
        .trim_start_matches("https://")
        .to_string()
}

/// Reads until the server closes the connection (or 10 s pass): what it sent and how long it
/// took.
async fn read_until_closed(s: &mut tokio::net::TcpStream) -> (String, Duration) {
    let start = Instant::now();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout(Duration::from_secs(10), s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
            Err(_) => panic!("the server kept a stalled connection open for 10 s"),
        }
    }
    (String::from_utf8_lossy(&got).into_owned(), start.elapsed())
}

const SHORT: &[(&str, &str)] = &[
    ("MM_SERVICESETTINGS_READTIMEOUT", "1"),
    ("MM_SERVICESETTINGS_WRITETIMEOUT", "1"),
    ("MM_SERVICESETTINGS_IDLETIMEOUT", "1"),
];

#[tokio::test]
async fn half_a_request_line_then_silence_is_disconnected() {
    let ts = TestServer::start_with_env(SHORT).await;
    let mut s = tokio::net::TcpStream::connect(addr(&ts)).await.unwrap();
    s.write_all(b"GET /api/v4/system/pi").await.unwrap();
    let (_, took) = read_until_closed(&mut s).await;
    assert!(took < Duration::from_secs(5), "{took:?}");
    // A well-behaved client is still served.
    assert_eq!(ts.get("/api/v4/system/ping", "").await.status, 200);
}

#[tokio::test]
async fn an_idle_kept_alive_connection_is_closed() {
    let ts = TestServer::start_with_env(SHORT).await;
    let mut s = tokio::net::TcpStream::connect(addr(&ts)).await.unwrap();
    s.write_all(b"GET /api/v4/system/ping HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let (got, took) = read_until_closed(&mut s).await;
    assert!(got.starts_with("HTTP/1.1 200"), "{got}");
    assert!(took < Duration::from_secs(5), "{took:?}");
}

#[tokio::test]
async fn a_body_that_stops_arriving_is_refused() {
    let ts = TestServer::start_with_env(SHORT).await;
    let mut s = tokio::net::TcpStream::connect(addr(&ts)).await.unwrap();
    s.write_all(
        b"POST /api/v4/users/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
          Content-Length: 100\r\n\r\n{\"login_id\":",
    )
    .await
    .unwrap();
    let (got, took) = read_until_closed(&mut s).await;
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert!(!got.starts_with("HTTP/1.1 2"), "{got}");
}

#[tokio::test]
async fn strict_transport_security_follows_the_config() {
    let ts = TestServer::start().await;
    let r = ts
        .http
        .get(format!("{}/api/v4/system/ping", ts.url))
        .send()
        .await
        .unwrap();
    assert!(r.headers().get("Strict-Transport-Security").is_none());
    let ts = TestServer::start_with_env(&[
        ("MM_SERVICESETTINGS_TLSSTRICTTRANSPORT", "true"),
        ("MM_SERVICESETTINGS_TLSSTRICTTRANSPORTMAXAGE", "1234"),
    ])
    .await;
    let r = ts
        .http
        .get(format!("{}/api/v4/system/ping", ts.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["Strict-Transport-Security"], "max-age=1234");
}

/// A self-signed certificate for localhost/127.0.0.1 written as PEM files in `dir`.
pub fn self_signed(dir: &std::path::Path, stem: &str) -> (String, String, Vec<u8>) {
    let ck =
        rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
    let cert = dir.join(format!("{stem}.crt"));
    let key = dir.join(format!("{stem}.key"));
    std::fs::write(&cert, ck.cert.pem()).unwrap();
    std::fs::write(&key, ck.key_pair.serialize_pem()).unwrap();
    (
        cert.display().to_string(),
        key.display().to_string(),
        ck.cert.der().to_vec(),
    )
}

/// A TLS client that trusts only `der`: which ALPN protocol was agreed, or the handshake error.
async fn handshake(addr: &str, der: &[u8], tls13_only: bool) -> Result<Option<Vec<u8>>, String> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(der.to_vec().into()).unwrap();
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let versions: &[&rustls::SupportedProtocolVersion] = if tls13_only {
        &[&rustls::version::TLS13]
    } else {
        &[&rustls::version::TLS12]
    };
    let mut cc = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    cc.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let s = tokio_rustls::TlsConnector::from(std::sync::Arc::new(cc))
        .connect(name, tcp)
        .await
        .map_err(|e| e.to_string())?;
    Ok(s.get_ref().1.alpn_protocol().map(<[u8]>::to_vec))
}

#[tokio::test]
async fn tls_serves_http2_by_alpn_honours_the_minimum_version_and_reloads() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key, der) = self_signed(dir.path(), "one");
    let env = [
        ("MM_SERVICESETTINGS_CONNECTIONSECURITY", "TLS"),
        ("MM_SERVICESETTINGS_TLSCERTFILE", cert.as_str()),
        ("MM_SERVICESETTINGS_TLSKEYFILE", key.as_str()),
    ];
    let ts = TestServer::start_with_env(&env).await;
    let a = addr(&ts);
    assert_eq!(
        handshake(&a, &der, true).await.unwrap().as_deref(),
        Some(&b"h2"[..])
    );
    assert_eq!(
        handshake(&a, &der, false).await.unwrap().as_deref(),
        Some(&b"h2"[..])
    );
    // Plain HTTP on a TLS port gets no answer.
    assert!(
        ts.http
            .get(format!("http://{a}/api/v4/system/ping"))
            .send()
            .await
            .is_err()
    );
    let https = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .build()
        .unwrap();
    let r = https
        .get(format!("https://{a}/api/v4/system/ping"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    // A new certificate takes over after a config change, with no restart.
    let (_, _, der2) = self_signed(dir.path(), "two");
    assert!(handshake(&a, &der2, true).await.is_err());
    // The env pins the file paths, so the reload swaps the files' contents in place.
    std::fs::copy(dir.path().join("two.crt"), &cert).unwrap();
    std::fs::copy(dir.path().join("two.key"), &key).unwrap();
    ts.state.config.reload().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if handshake(&a, &der2, true).await.is_ok() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the new certificate was never served"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(handshake(&a, &der, true).await.is_err());

    // SIGHUP re-reads the files too (the server registered its handler before it accepted the
    // connections above, so the signal cannot end this test process).
    let (_, _, der3) = self_signed(dir.path(), "three");
    std::fs::copy(dir.path().join("three.crt"), &cert).unwrap();
    std::fs::copy(dir.path().join("three.key"), &key).unwrap();
    assert!(handshake(&a, &der3, true).await.is_err());
    let st = std::process::Command::new("kill")
        .args(["-HUP", &std::process::id().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    let deadline = Instant::now() + Duration::from_secs(5);
    while handshake(&a, &der3, true).await.is_err() {
        assert!(
            Instant::now() < deadline,
            "SIGHUP did not reload the certificate"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // TLSMinVer 1.3 refuses a TLS 1.2 client.
    let env13 = [
        ("MM_SERVICESETTINGS_CONNECTIONSECURITY", "TLS"),
        ("MM_SERVICESETTINGS_TLSCERTFILE", cert.as_str()),
        ("MM_SERVICESETTINGS_TLSKEYFILE", key.as_str()),
        ("MM_SERVICESETTINGS_TLSMINVER", "1.3"),
    ];
    let ts13 = TestServer::start_with_env(&env13).await;
    let a13 = addr(&ts13);
    assert!(handshake(&a13, &der3, true).await.is_ok());
    assert!(handshake(&a13, &der3, false).await.is_err());
}

/// Behind a TLS listener (and no https `SiteURL`), the login cookies are `Secure`; the setting
/// is kept in the effective config as set.
#[tokio::test]
async fn login_cookies_are_secure_behind_a_tls_listener() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key, _) = self_signed(dir.path(), "cookie");
    let env = [
        ("MM_SERVICESETTINGS_CONNECTIONSECURITY", "TLS"),
        ("MM_SERVICESETTINGS_TLSCERTFILE", cert.as_str()),
        ("MM_SERVICESETTINGS_TLSKEYFILE", key.as_str()),
    ];
    let ts = TestServer::start_with_env(&env).await;
    let cfg = ts.state.config.get();
    assert_eq!(cfg.str("/ServiceSettings/ConnectionSecurity"), "TLS");
    assert!(!cfg.str("/ServiceSettings/SiteURL").starts_with("https"));
    let https = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .build()
        .unwrap();
    let base = format!("https://{}/api/v4", addr(&ts));
    let pw = crate::common::ADMIN_PASSWORD;
    let r = https
        .post(format!("{base}/users"))
        .json(&serde_json::json!({"username": "tlsadmin", "email": "tlsadmin@example.com", "password": pw}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = https
        .post(format!("{base}/users/login"))
        .header("X-Requested-With", "XMLHttpRequest")
        .json(&serde_json::json!({"login_id": "tlsadmin", "password": pw}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let token = r.headers()["Token"].to_str().unwrap().to_string();
    let cookies: Vec<String> = crate::common::set_cookies(&r);
    let auth = cookies
        .iter()
        .find(|c| c.starts_with("MMAUTHTOKEN="))
        .expect("an MMAUTHTOKEN cookie");
    assert!(auth.ends_with("; Secure"), "{auth}");
    assert!(
        cookies.iter().all(|c| c.ends_with("; Secure")),
        "{cookies:?}"
    );
    // The first user is the admin: the config it reads names the TLS listener.
    let r = https
        .get(format!("{base}/config"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["ServiceSettings"]["ConnectionSecurity"], "TLS");
}
