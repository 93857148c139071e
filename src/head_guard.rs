//! Requests whose head the HTTP parser refuses before any router sees them: a
//! request line longer than hyper reads (414) or headers too large or too many
//! (431). hyper answers those itself, with no body and no request id; this module
//! answers them like every other refusal (CONTRACT §4): the vendor's error shape,
//! `X-Emulator-Request-Id`, `X-Emulator-Explain`, a journal entry. The limits stay
//! hyper's.
//!
//! How: every accepted connection is wrapped in a [`Guarded`] stream that keeps the
//! first bytes of the request being read. When hyper writes one of its own refusals
//! (a `414`/`431` head without our request id, which every answer of the app
//! carries), the stream swallows it and instead writes the answer the listener's
//! router gives to a stand-in request: the captured method, path and `Host`,
//! marked with [`HeadRefused`], so the dispatcher answers the vendor's
//! [`FrameError`] through the journal like any request. Then it drains what the
//! client still sends for a moment before closing, so the client reads the answer
//! instead of a connection reset.

use std::{
    future::Future,
    io,
    net::SocketAddr,
    pin::Pin,
    task::{Context, Poll, ready},
    time::Duration,
};

use axum::{
    Router,
    body::Body,
    extract::{Request, connect_info::Connected},
    http::{Method, Uri, header},
    serve::{IncomingStream, Listener},
};
use http_body_util::BodyExt;
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::{TcpListener, TcpStream},
    time::Sleep,
};
use tower::ServiceExt;

use crate::{
    faults::connection::{ConnectionFault, Sabotage, cut_head},
    vendor::FrameError,
};

/// The most request bytes kept to tell which vendor a refused request was for.
const CAPTURE: usize = 64 * 1024;
/// How long, and how much, a refused connection is drained before it is closed.
const DRAIN_FOR: Duration = Duration::from_millis(250);
const DRAIN_BYTES: usize = 8 * 1024 * 1024;

/// Marks the stand-in for a request whose head hyper refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeadRefused(pub FrameError);

/// The peer of a guarded connection (`ConnectInfo<Peer>`), and the connection's fault
/// switch; the serving code copies the address into `ConnectInfo<SocketAddr>`, which
/// the rest of the emulator reads, and the switch into the request's extensions.
#[derive(Clone, Debug)]
pub struct Peer(pub SocketAddr, pub ConnectionFault);

impl Connected<IncomingStream<'_, GuardedListener>> for Peer {
    fn connect_info(stream: IncomingStream<'_, GuardedListener>) -> Self {
        stream.remote_addr().clone()
    }
}

/// A TCP listener whose connections are [`Guarded`] by the router they are served by.
pub struct GuardedListener {
    listener: TcpListener,
    router: Router,
}

impl GuardedListener {
    pub fn new(listener: TcpListener, router: Router) -> Self {
        Self { listener, router }
    }
}

impl Listener for GuardedListener {
    type Io = Guarded<TcpStream>;
    type Addr = Peer;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let (stream, peer) = Listener::accept(&mut self.listener).await;
        let fault = ConnectionFault::default();
        let mut guarded = Guarded::new(stream, peer, self.router.clone());
        guarded.fault = fault.clone();
        (guarded, Peer(peer, fault))
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.listener.local_addr().map(|addr| Peer(addr, ConnectionFault::default()))
    }
}

type Answer = Pin<Box<dyn Future<Output = Vec<u8>> + Send>>;

/// What the stream is doing with hyper's writes.
enum Writes {
    /// Passing them through.
    Through,
    /// hyper refused the head: building the answer to write instead.
    Building(Answer),
    /// Writing that answer.
    Answering {
        bytes: Vec<u8>,
        written: usize,
    },
    /// Answer written: draining the client before closing.
    Draining {
        deadline: Pin<Box<Sleep>>,
        drained: usize,
    },
    Closed,
}

/// A connection stream that answers hyper's own head refusals in the vendor's shape.
pub struct Guarded<IO> {
    io: IO,
    peer: SocketAddr,
    router: Router,
    /// The bytes of the request being read, up to [`CAPTURE`].
    head: Vec<u8>,
    /// A response has been written since the last read: the next read starts a request.
    answered: bool,
    writes: Writes,
    /// Armed by a fault rule: break the connection instead of writing the next answer.
    fault: ConnectionFault,
}

impl<IO> Guarded<IO> {
    pub fn new(io: IO, peer: SocketAddr, router: Router) -> Self {
        let fault = ConnectionFault::default();
        Self { io, peer, router, head: Vec::new(), answered: false, writes: Writes::Through, fault }
    }

    /// The connection's fault switch, for its [`Peer`].
    pub fn fault(&self) -> ConnectionFault {
        self.fault.clone()
    }
}

/// A stream that can be closed abortively (a TCP RST on close).
pub trait Abortive {
    fn abort_on_close(&self);
}

impl Abortive for TcpStream {
    fn abort_on_close(&self) {
        let _ = self.set_zero_linger();
    }
}

/// The status of a head hyper wrote by itself, if `bytes` is one: `HTTP/1.1 414` or
/// `431` without the request id that every answer of the app carries.
fn bare_refusal(bytes: &[u8]) -> Option<FrameError> {
    let refusal = match bytes.get(..12)? {
        b"HTTP/1.1 414" => FrameError::UriTooLong,
        b"HTTP/1.1 431" => FrameError::HeadersTooLarge,
        _ => return None,
    };
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(1024)]).to_ascii_lowercase();
    (!head.contains("x-emulator-request-id")).then_some(refusal)
}

/// The stand-in request: the captured method, path (no query) and `Host`.
fn stand_in(head: &[u8], refusal: FrameError, peer: SocketAddr) -> Request {
    let text = String::from_utf8_lossy(head);
    let mut lines = text.split("\r\n");
    let mut request_line = lines.next().unwrap_or_default().split(' ');
    let method = request_line.next().and_then(|m| Method::from_bytes(m.as_bytes()).ok()).unwrap_or(Method::GET);
    let target = request_line.next().unwrap_or("/");
    let path = target.split(['?', '#']).next().unwrap_or("/");
    let uri = path.parse::<Uri>().ok().filter(|u| u.path().starts_with('/')).unwrap_or_else(|| Uri::from_static("/"));
    let host = lines
        .take_while(|line| !line.is_empty())
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("host"))
        .map(|(_, value)| value.trim().to_owned());
    let mut builder = Request::builder().method(method).uri(uri);
    if let Some(host) = host {
        builder = builder.header(header::HOST, host);
    }
    let mut request = builder.body(Body::empty()).unwrap_or_else(|_| Request::new(Body::empty()));
    request.extensions_mut().insert(HeadRefused(refusal));
    request.extensions_mut().insert(axum::extract::ConnectInfo(peer));
    request
}

/// The router's answer to the stand-in, as HTTP/1.1 bytes that close the connection.
async fn answer(router: Router, request: Request) -> Vec<u8> {
    let response = router.oneshot(request).await.unwrap_or_else(|e| match e {});
    let (parts, body) = response.into_parts();
    let body = body.collect().await.map(http_body_util::Collected::to_bytes).unwrap_or_default();
    let status = parts.status;
    let mut out = format!("HTTP/1.1 {} {}\r\n", status.as_u16(), status.canonical_reason().unwrap_or("")).into_bytes();
    for (name, value) in &parts.headers {
        if name != header::CONTENT_LENGTH && name != header::CONNECTION {
            out.extend_from_slice(name.as_str().as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(value.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
    }
    let date = httpdate::fmt_http_date(std::time::SystemTime::now());
    out.extend_from_slice(
        format!("date: {date}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n", body.len()).as_bytes(),
    );
    out.extend_from_slice(&body);
    out
}

impl<IO: AsyncRead + AsyncWrite + Abortive + Unpin> Guarded<IO> {
    /// Moves the replacement answer along; `Ready` once it is written and drained.
    fn poll_answer(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            match &mut self.writes {
                Writes::Through | Writes::Closed => return Poll::Ready(Ok(())),
                Writes::Building(future) => {
                    let bytes = ready!(future.as_mut().poll(cx));
                    self.writes = Writes::Answering { bytes, written: 0 };
                }
                Writes::Answering { bytes, written } => {
                    while *written < bytes.len() {
                        let n = ready!(Pin::new(&mut self.io).poll_write(cx, &bytes[*written..]))?;
                        if n == 0 {
                            return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
                        }
                        *written += n;
                    }
                    ready!(Pin::new(&mut self.io).poll_flush(cx))?;
                    self.writes = Writes::Draining { deadline: Box::pin(tokio::time::sleep(DRAIN_FOR)), drained: 0 };
                }
                Writes::Draining { deadline, drained } => {
                    if deadline.as_mut().poll(cx).is_ready() || *drained >= DRAIN_BYTES {
                        self.writes = Writes::Closed;
                        continue;
                    }
                    let mut scratch = [0u8; 16 * 1024];
                    let mut buf = ReadBuf::new(&mut scratch);
                    match ready!(Pin::new(&mut self.io).poll_read(cx, &mut buf)) {
                        Ok(()) if !buf.filled().is_empty() => *drained += buf.filled().len(),
                        _ => self.writes = Writes::Closed,
                    }
                }
            }
        }
    }
}

impl<IO: AsyncRead + AsyncWrite + Unpin> AsyncRead for Guarded<IO> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        ready!(Pin::new(&mut this.io).poll_read(cx, buf))?;
        let fresh = &buf.filled()[before..];
        if !fresh.is_empty() {
            if this.answered {
                this.head.clear();
                this.answered = false;
            }
            let room = CAPTURE.saturating_sub(this.head.len());
            this.head.extend_from_slice(&fresh[..fresh.len().min(room)]);
        }
        Poll::Ready(Ok(()))
    }
}

impl<IO: AsyncRead + AsyncWrite + Abortive + Unpin> AsyncWrite for Guarded<IO> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, bytes: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        match this.fault.armed() {
            Some(Sabotage::Reset) => {
                this.fault.disarm();
                this.io.abort_on_close();
                return Poll::Ready(Err(io::ErrorKind::ConnectionReset.into()));
            }
            Some(Sabotage::PartialHeaders) => {
                let cut = cut_head(bytes);
                ready!(Pin::new(&mut this.io).poll_write(cx, cut))?;
                this.fault.disarm();
                return Poll::Ready(Err(io::ErrorKind::ConnectionAborted.into()));
            }
            None => {}
        }
        if !matches!(this.writes, Writes::Through) {
            // The rest of hyper's own refusal: already replaced.
            return Poll::Ready(Ok(bytes.len()));
        }
        if !this.answered
            && let Some(refusal) = bare_refusal(bytes)
        {
            this.answered = true;
            let request = stand_in(&this.head, refusal, this.peer);
            this.writes = Writes::Building(Box::pin(answer(this.router.clone(), request)));
            return Poll::Ready(Ok(bytes.len()));
        }
        this.answered = true;
        Pin::new(&mut this.io).poll_write(cx, bytes)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_answer(cx))?;
        Pin::new(&mut this.io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_answer(cx))?;
        Pin::new(&mut this.io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_heads_without_a_request_id_are_hypers_own_refusals() {
        assert_eq!(
            bare_refusal(b"HTTP/1.1 414 URI Too Long\r\ncontent-length: 0\r\n\r\n"),
            Some(FrameError::UriTooLong)
        );
        assert_eq!(
            bare_refusal(b"HTTP/1.1 431 Request Header Fields Too Large\r\n\r\n"),
            Some(FrameError::HeadersTooLarge)
        );
        assert_eq!(bare_refusal(b"HTTP/1.1 414 URI Too Long\r\nx-emulator-request-id: req_1\r\n\r\n"), None);
        assert_eq!(bare_refusal(b"HTTP/1.1 404 Not Found\r\n\r\n"), None);
        assert_eq!(bare_refusal(b"{\"a\":1}"), None);
    }

    #[test]
    fn the_stand_in_keeps_method_path_and_host_and_drops_the_query() {
        let head = b"POST /propal/v1/leads?q=xxxxxxxx HTTP/1.1\r\nHost: api.propal.io\r\nX-A: b\r\n";
        let request = stand_in(head, FrameError::UriTooLong, "10.0.0.1:5000".parse().unwrap());
        assert_eq!(request.method(), Method::POST);
        assert_eq!(request.uri(), "/propal/v1/leads");
        assert_eq!(request.headers()[header::HOST], "api.propal.io");
        assert_eq!(request.extensions().get::<HeadRefused>(), Some(&HeadRefused(FrameError::UriTooLong)));
    }

    #[test]
    fn a_truncated_or_garbled_head_still_gives_a_request() {
        let request = stand_in(b"\xff\xfe garbage", FrameError::HeadersTooLarge, "10.0.0.1:5000".parse().unwrap());
        assert_eq!(request.uri(), "/");
    }
}
