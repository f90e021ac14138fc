//! Serving HTTP/1.1 so that the server holds (SPEC §9): slow, silent and
//! idle clients are cut off, connections are capped, every request has a
//! time limit and every answer the headers that keep browsers careful.
//!
//! - [`serve`] accepts connections while fewer than
//!   `server.max_connections` are open; beyond that it stops accepting, so
//!   further clients wait in the listening socket's queue, not in memory.
//! - Each connection has a [`Clock`] and a watchdog beside hyper: a
//!   connection that has not sent a request's headers within
//!   `server.header_read_timeout_s` (counted from its opening, or on a
//!   kept-alive connection from the first byte of the next request), that
//!   waits more than `server.idle_timeout_s` for its next request, or that
//!   writes no byte of an answer for `server.request_timeout_s`, is closed.
//!   hyper's own header timer is off: it counts the wait between requests
//!   as header time, which would close kept-alive connections after the
//!   header timeout rather than the idle one.
//! - [`limits`] answers a request that takes longer than
//!   `server.request_timeout_s` (408 or 503); [`headers`] adds the security
//!   headers to every answer.
//! - Shutdown stops accepting, closes idle connections and lets requests
//!   in flight finish.

/// The security headers of every answer.
pub mod headers;
/// The time limit of a request.
pub mod limits;

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::ConnectInfo;
use axum::http::{Request, Response};
use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, Semaphore};
use tower::ServiceExt as _;

use crate::config;

/// How often, at most, the cap on connections is logged while reached.
const CAP_WARNING_EVERY: Duration = Duration::from_secs(60);

/// The limits a connection is held to, from `[server]`.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub header_read: Duration,
    pub request: Duration,
    pub idle: Duration,
    pub max_connections: usize,
}

impl From<&config::Server> for Limits {
    fn from(s: &config::Server) -> Self {
        Self {
            header_read: s.header_read_timeout(),
            request: s.request_timeout(),
            idle: s.idle_timeout(),
            max_connections: s.max_connections,
        }
    }
}

/// Serves `app` on `listener` until `shutdown` completes, then stops
/// accepting, closes idle connections and waits for the requests in
/// flight. Each request carries `ConnectInfo<SocketAddr>`, the address of
/// its connection.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(None::<Duration>);
    let builder = Arc::new(builder);
    let mut warned: Option<Instant> = None;
    tokio::pin!(shutdown);
    loop {
        // A permit first, then a connection: while none is free, clients
        // wait in the listening socket's queue.
        let permit = match Arc::clone(&permits).try_acquire_owned() {
            Ok(p) => p,
            Err(_) => {
                if warned.is_none_or(|at| at.elapsed() >= CAP_WARNING_EVERY) {
                    tracing::warn!(
                        max_connections = limits.max_connections,
                        "connection cap reached; new connections wait until one closes"
                    );
                    warned = Some(Instant::now());
                }
                tokio::select! {
                    p = Arc::clone(&permits).acquire_owned() => match p {
                        Ok(p) => p,
                        // The semaphore is never closed.
                        Err(_) => break,
                    },
                    () = &mut shutdown => break,
                }
            }
        };
        let (stream, addr) = tokio::select! {
            r = listener.accept() => match r {
                Ok(c) => c,
                Err(e) => {
                    accept_failed(e).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(error = %e, "cannot set TCP_NODELAY");
        }
        let watcher = graceful.watcher();
        let builder = Arc::clone(&builder);
        let app = app.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let clock = Arc::new(Clock::new());
            let io = TokioIo::new(Watched {
                io: stream,
                clock: Arc::clone(&clock),
            });
            let service = {
                let clock = Arc::clone(&clock);
                hyper::service::service_fn(move |req: Request<Incoming>| {
                    answer(app.clone(), Arc::clone(&clock), addr, req)
                })
            };
            let conn = watcher.watch(builder.serve_connection(io, service));
            tokio::select! {
                r = conn => {
                    if let Err(e) = r {
                        tracing::debug!(error = %e, %addr, "connection ended with an error");
                    }
                }
                why = clock.expired(&limits) => {
                    tracing::debug!(%addr, why, "connection closed");
                }
            }
        });
    }
    drop(listener);
    tracing::info!(
        connections = graceful.count(),
        "no longer accepting; finishing requests in flight"
    );
    graceful.shutdown().await;
}

/// Hands one request to the router, keeping the connection's clock.
async fn answer(
    app: Router,
    clock: Arc<Clock>,
    addr: SocketAddr,
    mut req: Request<Incoming>,
) -> Result<Response<Sent>, Infallible> {
    clock.enter(Phase::Handling);
    req.extensions_mut().insert(ConnectInfo(addr));
    let res = match app.oneshot(req.map(Body::new)).await {
        Ok(res) => res,
        Err(never) => match never {},
    };
    clock.enter(Phase::Sending);
    Ok(res.map(|inner| Sent {
        inner,
        clock,
        done: false,
    }))
}

/// Like `axum::serve`: errors of one connection are skipped; others (out
/// of file descriptors, say) are logged and accepting pauses a second.
async fn accept_failed(e: io::Error) {
    if matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    ) {
        return;
    }
    tracing::error!(error = %e, "cannot accept connections; retrying in a second");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

/// Where a connection is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum Phase {
    /// Reading a request's headers (from the opening, or from the first
    /// byte of a request on a kept-alive connection).
    Head = 0,
    /// The router has the request; [`limits`] bounds it.
    Handling = 1,
    /// The answer's body is being written.
    Sending = 2,
    /// Waiting for the next request.
    Idle = 3,
}

impl Phase {
    fn from_bits(b: u64) -> Self {
        match b {
            0 => Phase::Head,
            1 => Phase::Handling,
            2 => Phase::Sending,
            _ => Phase::Idle,
        }
    }
}

/// Milliseconds fit in the low 62 bits; the phase is in the top two.
const MS_BITS: u32 = 62;
const MS_MASK: u64 = (1 << MS_BITS) - 1;

fn pack(phase: Phase, ms: u64) -> u64 {
    ((phase as u64) << MS_BITS) | (ms & MS_MASK)
}

/// A connection's phase and when it began, and when it last wrote,
/// shared by its reads and writes, its service and its watchdog.
struct Clock {
    opened: Instant,
    /// The phase and its start, in milliseconds since `opened`, in one
    /// word so that they change together.
    phase: AtomicU64,
    /// When a byte was last written, in milliseconds since `opened`.
    wrote: AtomicU64,
    changed: Notify,
}

impl Clock {
    fn new() -> Self {
        Self {
            opened: Instant::now(),
            phase: AtomicU64::new(pack(Phase::Head, 0)),
            wrote: AtomicU64::new(0),
            changed: Notify::new(),
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.opened.elapsed().as_millis()).unwrap_or(MS_MASK)
    }

    fn enter(&self, phase: Phase) {
        self.phase
            .store(pack(phase, self.now_ms()), Ordering::Release);
        self.changed.notify_one();
    }

    /// The answer's body is done (or dropped): the connection waits for
    /// its next request, unless that has already come.
    fn sent(&self) {
        let now = self.phase.load(Ordering::Acquire);
        if Phase::from_bits(now >> MS_BITS) == Phase::Sending
            && self
                .phase
                .compare_exchange(
                    now,
                    pack(Phase::Idle, self.now_ms()),
                    Ordering::AcqRel,
                    Ordering::Acquire,
                )
                .is_ok()
        {
            self.changed.notify_one();
        }
    }

    /// Bytes came in: on an idle connection, a request has begun.
    fn read_some(&self) {
        let now = self.phase.load(Ordering::Acquire);
        if Phase::from_bits(now >> MS_BITS) == Phase::Idle
            && self
                .phase
                .compare_exchange(
                    now,
                    pack(Phase::Head, self.now_ms()),
                    Ordering::AcqRel,
                    Ordering::Acquire,
                )
                .is_ok()
        {
            self.changed.notify_one();
        }
    }

    fn wrote_some(&self) {
        self.wrote.store(self.now_ms(), Ordering::Release);
    }

    /// When the present phase runs out, in milliseconds since `opened`,
    /// and what to log then.
    fn deadline(&self, limits: &Limits) -> Option<(u64, &'static str)> {
        let word = self.phase.load(Ordering::Acquire);
        let since = word & MS_MASK;
        let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(MS_MASK);
        match Phase::from_bits(word >> MS_BITS) {
            Phase::Head => Some((
                since.saturating_add(ms(limits.header_read)),
                "request headers not sent in time",
            )),
            Phase::Handling => None,
            Phase::Sending => {
                let wrote = self.wrote.load(Ordering::Acquire).max(since);
                Some((
                    wrote.saturating_add(ms(limits.request)),
                    "no byte of the answer written in time",
                ))
            }
            Phase::Idle => Some((since.saturating_add(ms(limits.idle)), "idle")),
        }
    }

    /// Completes when the connection has overrun its present phase.
    async fn expired(&self, limits: &Limits) -> &'static str {
        loop {
            let changed = self.changed.notified();
            match self.deadline(limits) {
                None => changed.await,
                Some((at, why)) => {
                    let now = self.now_ms();
                    if now >= at {
                        return why;
                    }
                    tokio::select! {
                        () = tokio::time::sleep(Duration::from_millis(at - now)) => {}
                        () = changed => {}
                    }
                }
            }
        }
    }
}

/// A connection's socket, telling its clock of the bytes that pass.
struct Watched {
    io: TcpStream,
    clock: Arc<Clock>,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.io).poll_read(cx, buf);
        if matches!(r, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.clock.read_some();
        }
        r
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.io).poll_write(cx, buf);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.clock.wrote_some();
        }
        r
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.io).poll_write_vectored(cx, bufs);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.clock.wrote_some();
        }
        r
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

/// An answer's body, telling the clock when it is done.
struct Sent {
    inner: Body,
    clock: Arc<Clock>,
    done: bool,
}

impl Sent {
    fn finish(&mut self) {
        if !self.done {
            self.done = true;
            self.clock.sent();
        }
    }
}

impl HttpBody for Sent {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, axum::Error>>> {
        let r = Pin::new(&mut self.inner).poll_frame(cx);
        if matches!(r, Poll::Ready(None)) {
            self.finish();
        }
        r
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for Sent {
    fn drop(&mut self) {
        self.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits {
            header_read: Duration::from_secs(10),
            request: Duration::from_secs(30),
            idle: Duration::from_secs(60),
            max_connections: 4,
        }
    }

    #[test]
    fn each_phase_has_its_deadline() {
        let c = Clock::new();
        let l = limits();
        assert_eq!(c.deadline(&l).map(|d| d.0), Some(10_000));
        c.enter(Phase::Handling);
        assert_eq!(c.deadline(&l), None);
        c.enter(Phase::Sending);
        let (at, _) = c.deadline(&l).unwrap();
        assert!((30_000..31_000).contains(&at), "{at}");
        c.sent();
        let (at, why) = c.deadline(&l).unwrap();
        assert!((60_000..61_000).contains(&at), "{at}");
        assert_eq!(why, "idle");
        // The first byte of the next request starts its header time.
        c.read_some();
        let (at, _) = c.deadline(&l).unwrap();
        assert!((10_000..11_000).contains(&at), "{at}");
        // Later bytes of the same headers do not extend it.
        std::thread::sleep(Duration::from_millis(20));
        c.read_some();
        assert_eq!(c.deadline(&l).unwrap().0, at);
    }

    #[test]
    fn a_late_body_end_does_not_end_the_next_request() {
        let c = Clock::new();
        c.enter(Phase::Handling);
        c.sent();
        assert_eq!(c.deadline(&limits()), None);
    }
}
