//! The event stream of `GET /api/v4/websocket`, as a bot hears it: authenticated by header (so
//! the server lets it resume), reconnecting with `connection_id` and `sequence_number` after a
//! drop so the events sent meanwhile are replayed, and telling the caller when they could not be.

use crate::{Client, Error, Result};
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

/// The socket's transport: plain TCP or TLS over it.
trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}
type Ws = WebSocketStream<Box<dyn Io>>;

/// Quiet this long and the client pings; the server answers pongs as data frames never are.
const PING_AFTER: Duration = Duration::from_secs(30);
/// No frame at all for this long (the server pings every 60 s) means the connection is dead.
const DEAD_AFTER: Duration = Duration::from_secs(100);
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// What [`EventStream::next`] yields: an event, or news about the connection.
#[derive(Debug)]
pub enum Notice {
    /// An event frame (`{"event", "data", "broadcast", "seq"}`), `hello` included.
    Event(Value),
    /// The first connection is up: its `connection_id`.
    Connected(String),
    /// Reconnected with the old `connection_id`: the server replays what was missed.
    Resumed(String),
    /// Reconnected, but the server could not resume (the old connection had expired): events
    /// sent while disconnected are lost, and this is the new `connection_id`.
    Restarted(String),
    /// The connection dropped; the next call to `next` tries again after `retry_in`.
    Disconnected { reason: String, retry_in: Duration },
}

/// A live subscription to the events the client's credential may see.
pub struct EventStream {
    client: Client,
    ws_url: String,
    tls: Option<tokio_rustls::TlsConnector>,
    host: String,
    port: u16,
    socket: Option<Ws>,
    connection_id: Option<String>,
    /// The `seq` expected next, sent as `sequence_number` when resuming.
    next_seq: u64,
    failures: u32,
    /// A notice to hand out before reading on (the hello after a `Restarted`).
    pending: Option<Value>,
    /// When the last frame of any kind arrived.
    last_frame: tokio::time::Instant,
    /// The wait before the next connection attempt.
    retry_in: Option<Duration>,
}

impl Client {
    /// Opens the event stream (`GET /api/v4/websocket`) with this client's token. The first
    /// connection is made here, so a refused credential or an unreachable server is an error.
    pub async fn events(&self) -> Result<EventStream> {
        if self.socket.is_some() {
            return Err(Error::WebSocket(
                "local mode has no user to listen as: use a saved credential or --access-token"
                    .into(),
            ));
        }
        let url = reqwest::Url::parse(&self.api).map_err(|_| Error::BadUrl(self.api.clone()))?;
        let secure = url.scheme() == "https";
        let host = url
            .host_str()
            .ok_or_else(|| Error::BadUrl(self.api.clone()))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let port = url.port_or_known_default().unwrap_or(80);
        let ws_url = format!(
            "{}{}/websocket",
            if secure { "wss://" } else { "ws://" },
            &self.api[url.scheme().len() + 3..]
        );
        let tls = secure.then(|| tokio_rustls::TlsConnector::from(tls_config(self.insecure)));
        let mut s = EventStream {
            client: self.clone(),
            ws_url,
            tls,
            host,
            port,
            socket: None,
            connection_id: None,
            next_seq: 0,
            failures: 0,
            pending: None,
            last_frame: tokio::time::Instant::now(),
            retry_in: None,
        };
        s.socket = Some(s.connect().await?);
        Ok(s)
    }
}

impl EventStream {
    /// The `connection_id` the server gave, once `hello` has arrived.
    pub fn connection_id(&self) -> Option<&str> {
        self.connection_id.as_deref()
    }

    /// Checks the credential over REST (a refused one ends the stream; an unreachable server is
    /// retried), then upgrades, asking to resume when there is a connection to resume.
    async fn connect(&self) -> Result<Ws> {
        self.client.get_user("me").await?;
        let mut url = self.ws_url.clone();
        if let Some(id) = &self.connection_id {
            url.push_str(&format!(
                "?connection_id={id}&sequence_number={}",
                self.next_seq
            ));
        }
        let mut req = url
            .into_client_request()
            .map_err(|e| Error::BadUrl(e.to_string()))?;
        if let Some(t) = &self.client.token {
            let v = HeaderValue::from_str(&format!("Bearer {t}"))
                .map_err(|_| Error::Decode("the token is not a valid header value".into()))?;
            req.headers_mut().insert("Authorization", v);
        }
        let tcp = tokio::net::TcpStream::connect((self.host.as_str(), self.port))
            .await
            .map_err(ws_io)?;
        let _ = tcp.set_nodelay(true);
        let io: Box<dyn Io> = match &self.tls {
            Some(tls) => {
                let name = rustls::pki_types::ServerName::try_from(self.host.clone())
                    .map_err(|_| Error::BadUrl(self.host.clone()))?;
                Box::new(tls.connect(name, tcp).await.map_err(ws_io)?)
            }
            None => Box::new(tcp),
        };
        let (ws, _) = tokio_tungstenite::client_async(req, io)
            .await
            .map_err(|e| match e {
                tokio_tungstenite::tungstenite::Error::Io(io) => ws_io(io),
                other => Error::WebSocket(other.to_string()),
            })?;
        Ok(ws)
    }

    /// The next event or connection notice. Drops are retried with backoff (1 s doubling to
    /// 30 s, reset by a successful connection); the error cases end the stream: the credential refused (HTTP 401 or a 1008
    /// close, which the server sends when a token is revoked), or a certificate not trusted.
    pub async fn next(&mut self) -> Result<Notice> {
        if let Some(hello) = self.pending.take() {
            return Ok(Notice::Event(hello));
        }
        loop {
            let Some(ws) = self.socket.as_mut() else {
                if let Some(d) = self.retry_in.take() {
                    tokio::time::sleep(d).await;
                }
                let resuming = self.connection_id.is_some();
                match self.connect().await {
                    Ok(ws) => {
                        self.socket = Some(ws);
                        self.failures = 0;
                        self.last_frame = tokio::time::Instant::now();
                        if resuming {
                            let id = self.connection_id.clone().unwrap_or_default();
                            return Ok(Notice::Resumed(id));
                        }
                        continue;
                    }
                    Err(e) if fatal(&e) => return Err(e),
                    Err(e) => return Ok(self.dropped(e.to_string())),
                }
            };
            let frame = match tokio::time::timeout(PING_AFTER, ws.next()).await {
                Ok(f) => f,
                Err(_) if self.last_frame.elapsed() >= DEAD_AFTER => {
                    return Ok(self.dropped("no answer from the server".into()));
                }
                Err(_) => {
                    // Quiet: a ping, whose pong counts as a frame.
                    if ws.send(Message::Ping(Vec::new().into())).await.is_err() {
                        return Ok(self.dropped("the connection is gone".into()));
                    }
                    continue;
                }
            };
            self.last_frame = tokio::time::Instant::now();
            match frame {
                Some(Ok(Message::Text(t))) => {
                    let Ok(v) = serde_json::from_str::<Value>(&t) else {
                        continue;
                    };
                    if let Some(n) = self.event(v) {
                        return Ok(n);
                    }
                }
                Some(Ok(Message::Close(Some(c)))) if u16::from(c.code) == 1008 => {
                    self.socket = None;
                    return Err(Error::Api {
                        status: 401,
                        body: rustmost_model::AppErrorBody {
                            id: String::new(),
                            message: format!(
                                "the server ended the event stream: {}",
                                if c.reason.is_empty() {
                                    "the credential is no longer valid"
                                } else {
                                    c.reason.as_str()
                                }
                            ),
                            detailed_error: String::new(),
                            request_id: String::new(),
                            status_code: 401,
                        },
                    });
                }
                Some(Ok(Message::Close(_))) | None => {
                    return Ok(self.dropped("the server closed the connection".into()));
                }
                Some(Err(e)) => return Ok(self.dropped(e.to_string())),
                Some(Ok(_)) => {}
            }
        }
    }

    /// Tracks `seq` and `hello`; replies (`seq_reply`) are not events and are skipped.
    fn event(&mut self, v: Value) -> Option<Notice> {
        v.get("event")?;
        if let Some(seq) = v["seq"].as_u64() {
            self.next_seq = seq + 1;
        }
        if v["event"] == "hello" {
            let id = v["data"]["connection_id"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let first = self.connection_id.is_none();
            self.connection_id = Some(id.clone());
            self.pending = Some(v);
            return Some(if first {
                Notice::Connected(id)
            } else {
                Notice::Restarted(id)
            });
        }
        Some(Notice::Event(v))
    }

    fn dropped(&mut self, reason: String) -> Notice {
        self.socket = None;
        let retry_in = Duration::from_secs(1 << self.failures.min(5)).min(MAX_BACKOFF);
        self.failures += 1;
        self.retry_in = Some(retry_in);
        Notice::Disconnected { reason, retry_in }
    }
}

fn fatal(e: &Error) -> bool {
    matches!(e, Error::Api { status: 401, .. } | Error::Certificate(_))
}

/// An I/O error of the socket: a certificate refusal gets its own error, as for REST calls.
fn ws_io(e: std::io::Error) -> Error {
    let bad_cert = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        .is_some_and(|r| matches!(r, rustls::Error::InvalidCertificate(_)));
    if bad_cert {
        Error::Certificate(Box::new(e))
    } else {
        Error::WebSocket(e.to_string())
    }
}

/// The TLS setup of the REST client: the webpki roots, or no verification at all with
/// "Ignore SSL Issues".
fn tls_config(insecure: bool) -> Arc<rustls::ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .expect("ring supports the default TLS versions");
    let mut cfg = if insecure {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAny(provider)))
            .with_no_client_auth()
    } else {
        let roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        builder.with_root_certificates(roots).with_no_client_auth()
    };
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Arc::new(cfg)
}

/// `--insecure`: any certificate is accepted (the handshake signatures are still checked).
#[derive(Debug)]
struct AcceptAny(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for AcceptAny {
    fn verify_server_cert(
        &self,
        _end_entity: &rustls::pki_types::CertificateDer<'_>,
        _intermediates: &[rustls::pki_types::CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> std::result::Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> std::result::Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> std::result::Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
