//! Application-protocol decoders. Each turns bytes into our `EventKind`s; none sees files,
//! sockets or the clock.

pub mod dns;
pub mod http;
pub mod keylog;
pub mod proxy;
pub mod sip;
pub mod tls;
pub mod tls_decrypt;
pub mod x509;
pub mod xmpp;

use crate::model::{Event, EventKind};

/// Where decoded events go, stamped with the frame that completed them.
pub struct Emit<'a> {
    pub frame: u64,
    pub ts: i64,
    pub events: &'a mut Vec<Event>,
    /// The names said so far (DNS), each held once.
    pub names: &'a mut crate::intern::Interner,
}

impl Emit<'_> {
    pub fn push(&mut self, kind: EventKind) {
        self.events.push(Event {
            frame: self.frame,
            ts: self.ts,
            kind,
        });
    }

    pub fn anomaly(&mut self, what: &str, detail: String, stream: Option<u64>) {
        self.push(EventKind::Anomaly {
            what: what.into(),
            detail,
            offset: None,
            stream,
        });
    }
}
