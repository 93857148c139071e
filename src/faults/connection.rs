//! Faults below HTTP: a handle shared by one connection's stream and the requests
//! read from it. A fault rule arms it while its request is answered; the stream
//! ([`crate::head_guard::Guarded`]) then breaks the connection on the answer's first
//! write instead of sending it: an abortive close (TCP `RST`, the client reads
//! "connection reset by peer"), or the first part of the head and a close.

use std::sync::{
    Arc,
    atomic::{AtomicU8, Ordering},
};

/// How the connection breaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sabotage {
    /// Abortive close: RST, nothing of the answer sent.
    Reset = 1,
    /// The status line and part of the first header, then a normal close.
    PartialHeaders = 2,
}

/// One connection's fault switch; clones share it. In requests' extensions.
#[derive(Clone, Debug, Default)]
pub struct ConnectionFault(Arc<AtomicU8>);

impl ConnectionFault {
    /// Breaks the connection on the next answer written to it.
    pub fn arm(&self, sabotage: Sabotage) {
        self.0.store(sabotage as u8, Ordering::SeqCst);
    }

    /// The armed sabotage, if any.
    pub fn armed(&self) -> Option<Sabotage> {
        match self.0.load(Ordering::SeqCst) {
            1 => Some(Sabotage::Reset),
            2 => Some(Sabotage::PartialHeaders),
            _ => None,
        }
    }

    pub fn disarm(&self) {
        self.0.store(0, Ordering::SeqCst);
    }
}

/// The bytes of a response head that a partial-headers fault sends: the status line
/// and half of the next line, so no client can take it for a complete head.
pub fn cut_head(head: &[u8]) -> &[u8] {
    let status_line = head.windows(2).position(|w| w == b"\r\n").map_or(head.len(), |at| at + 2);
    let next_line = head[status_line..].windows(2).position(|w| w == b"\r\n").unwrap_or(0);
    &head[..(status_line + next_line / 2).min(head.len())]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cut_keeps_the_status_line_and_half_a_header() {
        let head = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n{}";
        assert_eq!(cut_head(head), b"HTTP/1.1 200 OK\r\ncontent-type: a");
    }

    #[test]
    fn arming_is_seen_by_clones_until_disarmed() {
        let fault = ConnectionFault::default();
        let other = fault.clone();
        assert_eq!(other.armed(), None);
        fault.arm(Sabotage::Reset);
        assert_eq!(other.armed(), Some(Sabotage::Reset));
        other.disarm();
        assert_eq!(fault.armed(), None);
    }
}
