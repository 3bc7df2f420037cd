//! A local SMTP sink for tests of outgoing mail: accepts every message on a loopback port and
//! records its envelope recipients and raw data.

use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// A received message: envelope recipients and the raw data.
#[derive(Debug, Clone)]
pub struct Mail {
    pub rcpt: Vec<String>,
    pub data: String,
}

/// Speaks enough SMTP to accept messages and records them.
pub async fn smtp_sink() -> (u16, Arc<Mutex<Vec<Mail>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let got = Arc::new(Mutex::new(Vec::new()));
    let got2 = got.clone();
    tokio::spawn(async move {
        loop {
            let Ok((sock, _)) = listener.accept().await else {
                return;
            };
            let got = got2.clone();
            tokio::spawn(async move {
                let (r, mut w) = sock.into_split();
                let mut lines = BufReader::new(r).lines();
                let _ = w.write_all(b"220 sink ESMTP\r\n").await;
                let mut rcpt = Vec::new();
                while let Ok(Some(line)) = lines.next_line().await {
                    let up = line.to_uppercase();
                    if up.starts_with("EHLO") || up.starts_with("HELO") {
                        let _ = w.write_all(b"250-sink\r\n250 8BITMIME\r\n").await;
                    } else if up.starts_with("MAIL FROM") {
                        rcpt.clear();
                        let _ = w.write_all(b"250 ok\r\n").await;
                    } else if up.starts_with("RCPT TO") {
                        rcpt.push(
                            line[8..]
                                .trim()
                                .trim_matches(|c| c == '<' || c == '>')
                                .to_string(),
                        );
                        let _ = w.write_all(b"250 ok\r\n").await;
                    } else if up == "DATA" {
                        let _ = w.write_all(b"354 go\r\n").await;
                        let mut data = String::new();
                        while let Ok(Some(l)) = lines.next_line().await {
                            if l == "." {
                                break;
                            }
                            data.push_str(&l);
                            data.push('\n');
                        }
                        got.lock().unwrap().push(Mail {
                            rcpt: rcpt.clone(),
                            data,
                        });
                        let _ = w.write_all(b"250 queued\r\n").await;
                    } else if up == "QUIT" {
                        let _ = w.write_all(b"221 bye\r\n").await;
                        return;
                    } else {
                        let _ = w.write_all(b"250 ok\r\n").await;
                    }
                }
            });
        }
    });
    (port, got)
}

/// A test server whose mail goes to a fresh sink (SMTP on loopback, a `FeedbackEmail` to send
/// from), with `env` added: (server, what the sink receives).
pub async fn start_mailing(env: &[(&str, &str)]) -> (super::TestServer, Arc<Mutex<Vec<Mail>>>) {
    let (port, got) = smtp_sink().await;
    let port = port.to_string();
    let mut all = vec![
        ("MM_EMAILSETTINGS_SMTPSERVER", "127.0.0.1"),
        ("MM_EMAILSETTINGS_SMTPPORT", port.as_str()),
        ("MM_EMAILSETTINGS_FEEDBACKEMAIL", "noreply@example.com"),
    ];
    all.extend_from_slice(env);
    (super::TestServer::start_with_env(&all).await, got)
}
