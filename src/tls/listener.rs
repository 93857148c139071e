//! The TLS listener: accepts TCP connections, runs each handshake in its own task
//! (bounded by a timeout, so a slow or silent client never stalls the accept loop),
//! and hands the finished streams to `axum::serve` as [`Guarded`] connections, like
//! the plain listeners'. A client that speaks plain HTTP to this port gets a plain
//! `400` saying so, instead of TLS alert bytes it cannot read.

use std::{io, net::SocketAddr, sync::Arc, time::Duration};

use axum::{
    Router,
    extract::connect_info::Connected,
    serve::{IncomingStream, Listener},
};
use rustls::ServerConfig;
use tokio::{
    io::AsyncWriteExt,
    net::{TcpListener, TcpStream},
    sync::mpsc,
    task::JoinHandle,
};
use tokio_rustls::{TlsAcceptor, server::TlsStream};

use crate::{
    faults::connection::ConnectionFault,
    head_guard::{Abortive, Guarded, Peer},
};

/// How long a client has to finish its TLS handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// The first byte of every TLS connection: a handshake record.
const TLS_HANDSHAKE_RECORD: u8 = 0x16;

/// The answer to plain HTTP sent to the TLS port.
const PLAIN_HTTP_ANSWER: &str = "{\"error\":\"this port speaks HTTPS: send the request over TLS (https://), \
or plain HTTP to the main listener (--bind)\"}";

/// A TLS listener whose connections are [`Guarded`] by the router they are served by.
pub struct TlsListener {
    handshaken: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local: SocketAddr,
    router: Router,
    acceptor: JoinHandle<()>,
}

impl TlsListener {
    /// Starts accepting on `listener` right away; handshakes finish in the background.
    pub fn new(listener: TcpListener, config: Arc<ServerConfig>, router: Router) -> io::Result<Self> {
        let local = listener.local_addr()?;
        let (ready_tx, handshaken) = mpsc::channel(64);
        let acceptor = tokio::spawn(accept_loop(listener, TlsAcceptor::from(config), ready_tx));
        Ok(Self { handshaken, local, router, acceptor })
    }
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        // axum drops the listener on shutdown: stop accepting new connections.
        self.acceptor.abort();
    }
}

async fn accept_loop(
    mut listener: TcpListener,
    acceptor: TlsAcceptor,
    ready: mpsc::Sender<(TlsStream<TcpStream>, SocketAddr)>,
) {
    loop {
        let (stream, peer) = Listener::accept(&mut listener).await;
        let (acceptor, ready) = (acceptor.clone(), ready.clone());
        tokio::spawn(async move {
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, handshake(&acceptor, stream)).await {
                Ok(Ok(Some(tls))) => {
                    let _ = ready.send((tls, peer)).await;
                }
                Ok(Ok(None)) => tracing::debug!(%peer, "plain HTTP on the TLS listener: answered 400"),
                Ok(Err(error)) => tracing::debug!(%peer, "TLS handshake failed: {error}"),
                Err(_) => tracing::debug!(%peer, "TLS handshake did not finish within {HANDSHAKE_TIMEOUT:?}"),
            }
        });
    }
}

/// The handshake, or `None` when the client spoke something else than TLS (answered here).
async fn handshake(acceptor: &TlsAcceptor, mut stream: TcpStream) -> io::Result<Option<TlsStream<TcpStream>>> {
    let mut first = [0u8; 1];
    if stream.peek(&mut first).await? == 0 {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    if first[0] != TLS_HANDSHAKE_RECORD && first[0].is_ascii_alphabetic() {
        let answer = format!(
            "HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
             connection: close\r\n\r\n{PLAIN_HTTP_ANSWER}",
            PLAIN_HTTP_ANSWER.len()
        );
        stream.write_all(answer.as_bytes()).await?;
        stream.shutdown().await?;
        return Ok(None);
    }
    acceptor.accept(stream).await.map(Some)
}

impl Listener for TlsListener {
    type Io = Guarded<TlsStream<TcpStream>>;
    type Addr = Peer;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let Some((stream, peer)) = self.handshaken.recv().await else {
            // The accept loop never ends on its own; it only stops when the listener is dropped.
            return std::future::pending().await;
        };
        let guarded = Guarded::new(stream, peer, self.router.clone());
        let fault = guarded.fault();
        (guarded, Peer(peer, fault))
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(Peer(self.local, ConnectionFault::default()))
    }
}

impl Connected<IncomingStream<'_, TlsListener>> for Peer {
    fn connect_info(stream: IncomingStream<'_, TlsListener>) -> Self {
        stream.remote_addr().clone()
    }
}

impl Abortive for TlsStream<TcpStream> {
    fn abort_on_close(&self) {
        self.get_ref().0.abort_on_close();
    }
}
