//! Serving connections: plain TCP or TLS (rustls, certificate reloaded on SIGHUP and on config
//! changes) on the listen address, the local-mode unix socket, and the slow-client timeouts
//! (`ServiceSettings.ReadTimeout`, `WriteTimeout`, `IdleTimeout`).

use crate::config::Config;
use crate::state::AppState;
use anyhow::Context as _;
use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use parking_lot::RwLock;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tower::ServiceExt;

/// Go's `http.Server` timeouts as Mattermost sets them; `None` where the setting is 0 or less.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// Reading a request: its header (hyper's header timer) and each wait for body data.
    pub read: Option<Duration>,
    /// How long a response write may stall on a client that does not read.
    pub write: Option<Duration>,
    /// How long a kept-alive connection may wait for its next request.
    pub idle: Option<Duration>,
}

impl Timeouts {
    pub fn from_config(cfg: &Config) -> Self {
        let secs = |p: &str| {
            let n = cfg.i64(p);
            (n > 0).then(|| Duration::from_secs(n as u64))
        };
        Timeouts {
            read: secs("/ServiceSettings/ReadTimeout"),
            write: secs("/ServiceSettings/WriteTimeout"),
            idle: secs("/ServiceSettings/IdleTimeout").or(secs("/ServiceSettings/ReadTimeout")),
        }
    }

    /// hyper starts its header timer both for a new connection's first request and while a
    /// kept-alive connection waits for the next one, so it serves as both limits.
    fn header(&self) -> Option<Duration> {
        match (self.read, self.idle) {
            (Some(r), Some(i)) => Some(r.min(i)),
            (r, i) => r.or(i),
        }
    }
}

/// The certificate served, swapped in place when the files are reloaded.
#[derive(Debug)]
pub struct CertStore {
    files: RwLock<(PathBuf, PathBuf)>,
    key: RwLock<Arc<CertifiedKey>>,
}

impl CertStore {
    pub fn load(cert: &Path, key: &Path) -> anyhow::Result<Self> {
        Ok(CertStore {
            key: RwLock::new(Arc::new(load_certified_key(cert, key)?)),
            files: RwLock::new((cert.to_path_buf(), key.to_path_buf())),
        })
    }

    /// Re-reads the files (new paths from the config when given); a failure keeps the
    /// certificate in use.
    pub fn reload(&self, paths: Option<(PathBuf, PathBuf)>) -> anyhow::Result<()> {
        let (cert, key) = match paths {
            Some(p) => p,
            None => self.files.read().clone(),
        };
        let ck = load_certified_key(&cert, &key)?;
        *self.key.write() = Arc::new(ck);
        *self.files.write() = (cert, key);
        Ok(())
    }
}

impl ResolvesServerCert for CertStore {
    fn resolve(&self, _: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.key.read().clone())
    }
}

fn load_certified_key(cert: &Path, key: &Path) -> anyhow::Result<CertifiedKey> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs = CertificateDer::pem_file_iter(cert)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .with_context(|| format!("reading TLSCertFile {}", cert.display()))?;
    if certs.is_empty() {
        anyhow::bail!("TLSCertFile {} holds no certificate", cert.display());
    }
    let key = PrivateKeyDer::from_pem_file(key)
        .with_context(|| format!("reading TLSKeyFile {}", key.display()))?;
    let signer = rustls::crypto::ring::sign::any_supported_type(&key)
        .context("TLSKeyFile: unsupported private key type")?;
    Ok(CertifiedKey::new(certs, signer))
}

/// The rustls server config for `ConnectionSecurity = "TLS"`: the certificate store, TLS 1.2+
/// (or 1.3 only with `TLSMinVer = "1.3"`), HTTP/2 and HTTP/1.1 offered by ALPN.
pub fn tls_config(
    cfg: &Config,
) -> anyhow::Result<Option<(Arc<rustls::ServerConfig>, Arc<CertStore>)>> {
    if cfg.str("/ServiceSettings/ConnectionSecurity") != "TLS" {
        return Ok(None);
    }
    let (cert, key) = tls_files(cfg).context(
        "ConnectionSecurity is TLS but ServiceSettings.TLSCertFile or TLSKeyFile is empty",
    )?;
    let store = Arc::new(CertStore::load(&cert, &key)?);
    let versions: &[&rustls::SupportedProtocolVersion] = match cfg.str("/ServiceSettings/TLSMinVer")
    {
        "1.3" => &[&rustls::version::TLS13],
        // rustls has no TLS 1.0 or 1.1: those settings mean 1.2 and up.
        _ => &[&rustls::version::TLS13, &rustls::version::TLS12],
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut sc = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .context("TLS protocol versions")?
        .with_no_client_auth()
        .with_cert_resolver(store.clone());
    sc.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Some((Arc::new(sc), store)))
}

fn tls_files(cfg: &Config) -> Option<(PathBuf, PathBuf)> {
    let cert = cfg.str("/ServiceSettings/TLSCertFile");
    let key = cfg.str("/ServiceSettings/TLSKeyFile");
    (!cert.is_empty() && !key.is_empty()).then(|| (cert.into(), key.into()))
}

/// A stream whose writes fail once they have stalled for the write timeout, so a client that
/// stops reading cannot hold a connection and its buffers.
struct TimedIo<S> {
    inner: S,
    write_timeout: Option<Duration>,
    stalled: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl<S> TimedIo<S> {
    fn new(inner: S, write_timeout: Option<Duration>) -> Self {
        TimedIo {
            inner,
            write_timeout,
            stalled: None,
        }
    }

    fn on_pending(&mut self, cx: &mut Context<'_>) -> Poll<std::io::Error> {
        let Some(t) = self.write_timeout else {
            return Poll::Pending;
        };
        let sleep = self
            .stalled
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(t)));
        ready!(sleep.as_mut().poll(cx));
        Poll::Ready(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "write timeout",
        ))
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for TimedIo<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for TimedIo<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match Pin::new(&mut self.inner).poll_write(cx, buf) {
            Poll::Pending => self.on_pending(cx).map(Err),
            done => {
                self.stalled = None;
                done
            }
        }
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match Pin::new(&mut self.inner).poll_flush(cx) {
            Poll::Pending => self.on_pending(cx).map(Err),
            done => {
                self.stalled = None;
                done
            }
        }
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        match Pin::new(&mut self.inner).poll_write_vectored(cx, bufs) {
            Poll::Pending => self.on_pending(cx).map(Err),
            done => {
                self.stalled = None;
                done
            }
        }
    }
    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// The HTTP service every connection runs: the router with the peer address (and, on the
/// local socket, the local-mode session) in the request's extensions.
pub type Svc = tower::util::BoxCloneSyncService<
    axum::http::Request<Body>,
    axum::response::Response,
    std::convert::Infallible,
>;

fn builder(t: &Timeouts) -> auto::Builder<TokioExecutor> {
    let mut b = auto::Builder::new(TokioExecutor::new());
    b.http1()
        .timer(TokioTimer::new())
        .header_read_timeout(t.header());
    b.http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(t.idle);
    b
}

fn spawn_conn<I>(
    b: &auto::Builder<TokioExecutor>,
    graceful: &GracefulShutdown,
    io: I,
    svc: Svc,
    extensions: axum::http::Extensions,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let hsvc = hyper::service::service_fn(move |req: axum::http::Request<Incoming>| {
        let mut req = req.map(Body::new);
        req.extensions_mut().extend(extensions.clone());
        svc.clone().oneshot(req)
    });
    let conn = b
        .serve_connection_with_upgrades(TokioIo::new(io), hsvc)
        .into_owned();
    let conn = graceful.watch(conn);
    tokio::spawn(async move {
        if let Err(e) = conn.await {
            tracing::debug!(error = %e, "connection closed with an error");
        }
    });
}

/// Accept failures such as too many open files: wait a little rather than spin.
async fn accept_failed(e: std::io::Error) {
    tracing::warn!(error = %e, "accept failed");
    tokio::time::sleep(Duration::from_millis(100)).await;
}

/// Serves TCP connections (TLS when `tls` is set) until `shutdown` resolves, then lets the
/// connections in flight finish.
pub async fn serve_tcp(
    state: AppState,
    listener: tokio::net::TcpListener,
    svc: Svc,
    tls: Option<(Arc<rustls::ServerConfig>, Arc<CertStore>)>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let timeouts = Timeouts::from_config(&state.config.get());
    let b = builder(&timeouts);
    let graceful = GracefulShutdown::new();
    let acceptor = tls
        .as_ref()
        .map(|(sc, _)| tokio_rustls::TlsAcceptor::from(sc.clone()));
    let store = tls.map(|(_, s)| s);
    let _reloader = store.clone().map(|s| spawn_reloader(state.clone(), s));
    tokio::pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(c) => c,
                Err(e) => { accept_failed(e).await; continue; }
            },
            () = &mut shutdown => break,
        };
        let _ = tcp.set_nodelay(true);
        let mut ext = axum::http::Extensions::new();
        ext.insert(ConnectInfo(peer));
        match &acceptor {
            None => spawn_conn(
                &b,
                &graceful,
                TimedIo::new(tcp, timeouts.write),
                svc.clone(),
                ext,
            ),
            Some(acc) => {
                let acc = acc.clone();
                let (b, svc, watcher) = (b.clone(), svc.clone(), graceful.watcher());
                let limit = timeouts.header().unwrap_or(Duration::from_secs(60));
                tokio::spawn(async move {
                    // A handshake that stalls is a slow client too.
                    let tls = match tokio::time::timeout(limit, acc.accept(tcp)).await {
                        Ok(Ok(s)) => s,
                        Ok(Err(e)) => {
                            tracing::debug!(%peer, error = %e, "TLS handshake failed");
                            return;
                        }
                        Err(_) => return,
                    };
                    let hsvc =
                        hyper::service::service_fn(move |req: axum::http::Request<Incoming>| {
                            let mut req = req.map(Body::new);
                            req.extensions_mut().extend(ext.clone());
                            svc.clone().oneshot(req)
                        });
                    let conn = b
                        .serve_connection_with_upgrades(
                            TokioIo::new(TimedIo::new(tls, timeouts.write)),
                            hsvc,
                        )
                        .into_owned();
                    if let Err(e) = watcher.watch(conn).await {
                        tracing::debug!(error = %e, "connection closed with an error");
                    }
                });
            }
        }
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// Reloads the certificate on SIGHUP, and when the config in effect changes (a reload, a
/// patch, new file paths). The task ends with the returned guard.
fn spawn_reloader(state: AppState, store: Arc<CertStore>) -> AbortOnDrop {
    // Registered before the first connection is accepted, so a SIGHUP from then on reloads
    // rather than ending the process.
    #[cfg(unix)]
    let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
    AbortOnDrop(tokio::spawn(async move {
        let mut seen = state.config.get();
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            #[cfg(unix)]
            let signalled = async {
                match hup.as_mut() {
                    Some(h) => {
                        h.recv().await;
                    }
                    None => std::future::pending().await,
                }
            };
            #[cfg(not(unix))]
            let signalled = std::future::pending::<()>();
            let paths = tokio::select! {
                () = signalled => None,
                _ = tick.tick() => {
                    let now = state.config.get();
                    if Arc::ptr_eq(&now, &seen) {
                        continue;
                    }
                    seen = now;
                    tls_files(&seen)
                }
            };
            match store.reload(paths) {
                Ok(()) => tracing::info!("TLS certificate reloaded"),
                Err(e) => {
                    tracing::error!(error = %format!("{e:#}"), "TLS certificate reload failed; the old one stays")
                }
            }
        }
    }))
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The session every local-mode request runs as: mmctl's `--local`, a system admin with no
/// user behind it (upstream's `Session{Local: true}`), trusted because only the socket's owner
/// can connect.
pub fn local_session() -> Arc<crate::state::Session> {
    Arc::new(crate::app::sessions::from_row(rustmost_store::SessionRow {
        id: String::new(),
        token_hash: String::new(),
        create_at: 0,
        expires_at: 0,
        last_activity_at: 0,
        user_id: String::new(),
        device_id: String::new(),
        roles: "system_admin system_user".into(),
        is_oauth: false,
        props: [("local".to_string(), "true".to_string())].into(),
    }))
}

/// Binds the local-mode socket (a stale one from a crash is replaced), readable and writable by
/// the server's user only.
#[cfg(unix)]
pub fn bind_local(path: &Path) -> anyhow::Result<tokio::net::UnixListener> {
    use std::os::unix::fs::{FileTypeExt, PermissionsExt};
    if let Ok(m) = std::fs::symlink_metadata(path) {
        if !m.file_type().is_socket() {
            anyhow::bail!(
                "LocalModeSocketLocation {} exists and is not a socket",
                path.display()
            );
        }
        std::fs::remove_file(path)
            .with_context(|| format!("removing the old socket {}", path.display()))?;
    }
    let l = tokio::net::UnixListener::bind(path)
        .with_context(|| format!("binding the local-mode socket {}", path.display()))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .with_context(|| format!("setting the mode of {}", path.display()))?;
    Ok(l)
}

/// Serves local-mode connections until `shutdown`, then removes the socket file.
#[cfg(unix)]
pub async fn serve_local(
    state: AppState,
    listener: tokio::net::UnixListener,
    path: PathBuf,
    svc: Svc,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let timeouts = Timeouts::from_config(&state.config.get());
    let b = builder(&timeouts);
    let graceful = GracefulShutdown::new();
    let session = local_session();
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            r = listener.accept() => match r {
                Ok((s, _)) => s,
                Err(e) => { accept_failed(e).await; continue; }
            },
            () = &mut shutdown => break,
        };
        let mut ext = axum::http::Extensions::new();
        // Handlers that record the caller's address see the loopback address.
        ext.insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 0))));
        ext.insert(session.clone());
        ext.insert(LocalMode);
        spawn_conn(
            &b,
            &graceful,
            TimedIo::new(stream, timeouts.write),
            svc.clone(),
            ext,
        );
    }
    drop(listener);
    let _ = std::fs::remove_file(&path);
    graceful.shutdown().await;
}

/// Marks a request that arrived over the local-mode socket.
#[derive(Debug, Clone, Copy)]
pub struct LocalMode;
