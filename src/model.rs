//! Our own event model: every decoder speaks only these types, so parser crates never leak
//! into the correlation, the verdict or the JSON.

use serde::Serialize;

/// How much a finding or a log signature weighs: a fault decides a phase, a warning and a
/// note (info) are said beside it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Warning,
    Fault,
}

/// What the judge relies on a log signature for, beyond its phase and fault: set in the
/// catalog (`role = …`), so that code keys on a role, not on a signature's id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The client asks for its edge configuration: a sign-in starts.
    SignInStart,
    /// Expressway-C answered it with the configuration.
    EdgeConfigServed,
    /// A visual voicemail request: a 403 after it is the allow list.
    VoicemailRequest,
    /// A REGISTER received, answered 200, answered an error (followed by Call-ID).
    RegisterReceived,
    RegisterAccepted,
    RegisterRejected,
    /// The SERVICE Expressway-E sends before the first REGISTER, its answer, its time-out.
    ServiceRequest,
    ServiceAnswered,
    ServiceTimeout,
    /// The client sent `<starttls/>` (places a Jabber log beside a capture).
    StarttlsSent,
    /// Expressway-E set its X-Auth cookie (its domain against the name the client used).
    CookieSet,
    /// Expressway-C could not place the user's home CUCM (checked against its dump).
    HomeCucmUnknown,
}

impl EventKind {
    /// A log line's role in the catalog, if it has one.
    pub fn role(&self) -> Option<Role> {
        match self {
            EventKind::LogSignature { role, .. } => *role,
            _ => None,
        }
    }
}

impl Role {
    /// The SIP method whose trail (by Call-ID through the Expressways) the line belongs to.
    pub fn trail(self) -> Option<&'static str> {
        match self {
            Role::RegisterReceived | Role::RegisterAccepted | Role::RegisterRejected => {
                Some("REGISTER")
            }
            Role::ServiceRequest | Role::ServiceAnswered | Role::ServiceTimeout => Some("SERVICE"),
            _ => None,
        }
    }
}

/// An event and the input it came from (its place among the inputs of a case).
pub struct Tagged {
    pub input: usize,
    pub event: Event,
}
pub use arcstr::ArcStr;
use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

/// An IP address and port, printed as Wireshark does (`[v6]:port` for IPv6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Endpoint {
    pub ip: IpAddr,
    pub port: u16,
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.ip {
            IpAddr::V4(ip) => write!(f, "{ip}:{}", self.port),
            IpAddr::V6(ip) => write!(f, "[{ip}]:{}", self.port),
        }
    }
}

impl Serialize for Endpoint {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Which end of a TCP connection sent something.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Client,
    Server,
}

/// Why an ICMP/ICMPv6 destination-unreachable says a packet was not delivered (its code),
/// written as words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unreachable {
    Network,
    Host,
    Port,
    Prohibited,
    NoRoute,
    Address,
    Other,
}

impl Unreachable {
    /// The message's code: ICMPv4 type 3, or ICMPv6 type 1.
    pub fn from_code(v6: bool, code: u8) -> Unreachable {
        match (v6, code) {
            (false, 0) => Unreachable::Network,
            (false, 1) => Unreachable::Host,
            (false, 3) | (true, 4) => Unreachable::Port,
            (false, 9 | 10 | 13) | (true, 1) => Unreachable::Prohibited,
            (true, 0) => Unreachable::NoRoute,
            (true, 3) => Unreachable::Address,
            _ => Unreachable::Other,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Unreachable::Network => "network unreachable",
            Unreachable::Host => "host unreachable",
            Unreachable::Port => "port unreachable",
            Unreachable::Prohibited => "administratively prohibited",
            Unreachable::NoRoute => "no route",
            Unreachable::Address => "address unreachable",
            Unreachable::Other => "unreachable",
        }
    }
}

impl fmt::Display for Unreachable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Unreachable {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Transport {
    Udp,
    Tcp,
    /// Inside TLS, decrypted with a key log.
    Tls,
}

/// One observed fact, located in its input by a 1-based frame number.
#[derive(Clone, Debug)]
pub struct Event {
    /// 1-based frame number in a capture; 0 for events from a log (they carry a `line`).
    pub frame: u64,
    /// Nanoseconds since the Unix epoch, UTC (a log line's local time when its basis says
    /// so).
    pub ts: i64,
    pub kind: EventKind,
}

/// `ts` is written as what it is: UTC with `Z`, or a log's local time without a zone, as
/// logged (no `Z`).
impl Serialize for Event {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Written<'a> {
            #[serde(skip_serializing_if = "is_zero")]
            frame: u64,
            ts: &'a str,
            #[serde(flatten)]
            kind: &'a EventKind,
        }
        let basis = match &self.kind {
            EventKind::LogSignature { time_basis, .. } => *time_basis,
            _ => crate::time::TimeBasis::Utc,
        };
        let ts = crate::time::written_on(self.ts, basis);
        Written {
            frame: self.frame,
            ts: ts.as_str(),
            kind: &self.kind,
        }
        .serialize(s)
    }
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}

/// A DNS resource record from an answer section, reduced to what MRA needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "UPPERCASE")]
pub enum DnsRecord {
    Srv {
        name: Arc<str>,
        priority: u16,
        weight: u16,
        port: u16,
        target: Arc<str>,
    },
    A {
        name: Arc<str>,
        addr: IpAddr,
    },
    Aaaa {
        name: Arc<str>,
        addr: IpAddr,
    },
    Cname {
        name: Arc<str>,
        target: Arc<str>,
    },
    Other {
        name: Arc<str>,
        rtype: u16,
    },
}

/// A DNS message's section that is most often empty: no allocation then, and one thin
/// pointer in the event (the event kind's largest variant) otherwise. Reads as a slice.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Records(Option<Box<Box<[DnsRecord]>>>);

impl std::ops::Deref for Records {
    type Target = [DnsRecord];
    fn deref(&self) -> &[DnsRecord] {
        self.0.as_deref().map_or(&[], |r| r)
    }
}

impl<'a> IntoIterator for &'a Records {
    type Item = &'a DnsRecord;
    type IntoIter = std::slice::Iter<'a, DnsRecord>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl From<Vec<DnsRecord>> for Records {
    fn from(records: Vec<DnsRecord>) -> Self {
        Records((!records.is_empty()).then(|| Box::new(records.into_boxed_slice())))
    }
}

impl Serialize for Records {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

/// How a TCP connection attempt ended, as far as the capture shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TcpOutcome {
    /// SYN sent, nothing came back.
    Unanswered,
    /// The server (or something on its path) answered the SYN with RST.
    Refused,
    /// An ICMP destination-unreachable came back for the SYN.
    IcmpUnreachable,
    /// SYN-ACK seen (or the connection was already running when the capture began).
    Established,
}

/// Which side of MRA an Expressway is (`e`/`c` in the signature catalog).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub enum ExpresswayRole {
    /// Expressway-E, in the DMZ: the traversal server the clients reach.
    #[serde(rename(serialize = "expressway_e", deserialize = "e"))]
    E,
    /// Expressway-C, inside: the traversal client that reaches CUCM and IM&P.
    #[serde(rename(serialize = "expressway_c", deserialize = "c"))]
    C,
}

/// A zone from an Expressway's configuration or status dump.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ZoneDump {
    pub id: u32,
    /// The dump's line where the zone first appears.
    pub line: u64,
    pub name: Option<String>,
    /// `TraversalClient`, `TraversalServer`, `Neighbor`, `DNS`…
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Peer addresses, as configured (names or IP addresses).
    pub peers: Vec<String>,
    /// From a status dump: `Active`, `Failed`…
    pub status: Option<String>,
    /// The line of the status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_line: Option<u64>,
}

/// A server an Expressway's configuration names, with the dump's line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ServerDump {
    pub address: String,
    pub line: u64,
}

/// A summary of one X.509 certificate, taken from a TLS Certificate message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CertSummary {
    pub subject: String,
    pub issuer: String,
    pub common_name: Option<String>,
    pub san_dns: Vec<String>,
    pub san_ip: Vec<IpAddr>,
    /// Validity bounds, seconds since the Unix epoch.
    pub not_before: i64,
    pub not_after: i64,
    pub sha256: String,
    pub self_signed: bool,
    /// `RSA`, `EC`, `DSA` or `other`, and the key size in bits (0 when unknown).
    pub key_algorithm: String,
    pub key_bits: u32,
    /// The issuer's signature, by name (`sha256WithRSAEncryption`) or dotted OID.
    pub signature_algorithm: String,
    /// The extended key usages (`server_auth`, `client_auth`, `any`, other OIDs); `None`
    /// when the extension is absent, which allows every usage.
    pub extended_key_usage: Option<Vec<String>>,
    /// The certificate itself, for path validation; not printed. Shared: a server sends the
    /// same chain on every connection.
    #[serde(skip)]
    pub der: std::sync::Arc<[u8]>,
}

impl CertSummary {
    /// Whether the certificate parsed: an unparseable one has no validity, key or names to
    /// judge (its zeros are not dates).
    pub fn parsed(&self) -> bool {
        !self.signature_algorithm.is_empty()
    }

    /// `valid 2026-01-01T00:00:00Z to 2027-01-01T00:00:00Z`, or that the validity is unknown.
    pub fn validity_text(&self) -> String {
        if !self.parsed() {
            return "validity unknown (the certificate did not parse)".into();
        }
        format!(
            "valid {} to {}",
            crate::time::format_ns(self.not_before.saturating_mul(1_000_000_000)),
            crate::time::format_ns(self.not_after.saturating_mul(1_000_000_000))
        )
    }

    /// Whether the certificate was outside its validity at `secs` (never for one that did not
    /// parse: nothing is known of its dates).
    pub fn outside_validity(&self, secs: i64) -> bool {
        self.parsed() && (secs > self.not_after || secs < self.not_before)
    }

    /// One line on the key, the signature and the usages: `RSA 2048 · sha256WithRSAEncryption ·
    /// EKU server_auth, client_auth`.
    pub fn key_line(&self) -> String {
        if self.signature_algorithm.is_empty() {
            return "unknown (the certificate did not parse)".into();
        }
        let eku = match &self.extended_key_usage {
            Some(usages) => format!("EKU {}", usages.join(", ")),
            None => "no EKU extension".into(),
        };
        format!(
            "{} {} · {} · {eku}",
            self.key_algorithm, self.key_bits, self.signature_algorithm
        )
    }
}

/// A certificate summary shared by every event and report that shows it: a busy capture
/// carries the same chain on every connection to a server.
pub type SharedCert = std::sync::Arc<CertSummary>;

/// A SIP request, a SIP response and an Expressway dump: boxed, as rare and large events,
/// so that every event is not as large as they are.
#[derive(Clone, Debug, Serialize)]
pub struct SipRequest {
    pub transport: Transport,
    pub stream: Option<u64>,
    pub client: Endpoint,
    pub server: Endpoint,
    pub method: String,
    pub uri: String,
    pub call_id: Option<String>,
    pub cseq: Option<String>,
}

/// A SIP response, boxed as the request is.
#[derive(Clone, Debug, Serialize)]
pub struct SipResponse {
    pub transport: Transport,
    pub stream: Option<u64>,
    pub client: Endpoint,
    pub server: Endpoint,
    pub code: u16,
    pub reason: String,
    pub call_id: Option<String>,
    pub cseq: Option<String>,
}

/// What an Expressway's configuration or status dump says that MRA needs; one per dump.
#[derive(Clone, Debug, Serialize)]
pub struct ExpresswayDump {
    /// The dump's first entry.
    pub line: u64,
    pub host: Option<String>,
    pub domain: Option<String>,
    /// From the zone types, when a traversal zone says it.
    pub role: Option<ExpresswayRole>,
    /// The line of the zone type that says the role.
    pub role_line: Option<u64>,
    pub version: Option<String>,
    pub zones: Vec<ZoneDump>,
    /// Unified CM servers configured on it (Expressway-C), as written.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unified_cm: Vec<ServerDump>,
    /// Its own addresses: its interfaces' and the static NAT address clients reach it by.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<ServerDump>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventKind {
    DnsQuery {
        transport: Transport,
        client: Endpoint,
        server: Endpoint,
        id: u16,
        /// Shared: a busy capture asks the same few names thousands of times.
        name: Arc<str>,
        qtype: u16,
    },
    DnsResponse {
        transport: Transport,
        client: Endpoint,
        server: Endpoint,
        id: u16,
        /// Shared: a busy capture asks the same few names thousands of times.
        name: Arc<str>,
        qtype: u16,
        rcode: u8,
        truncated: bool,
        answers: Box<[DnsRecord]>,
        /// The additional section (glue addresses for SRV targets often come here; most
        /// answers have none).
        additional: Records,
    },
    /// An ICMP/ICMPv6 destination-unreachable quoting a packet we can name.
    IcmpUnreachable {
        reporter: IpAddr,
        transport: Transport,
        /// The TCP connection it refers to, when there is one.
        stream: Option<u64>,
        client: Endpoint,
        server: Endpoint,
        reason: Unreachable,
    },
    TcpSyn {
        stream: u64,
        client: Endpoint,
        server: Endpoint,
        retransmission: bool,
    },
    TcpSynAck {
        stream: u64,
        retransmission: bool,
    },
    TcpRst {
        stream: u64,
        from: Side,
    },
    TcpFin {
        stream: u64,
        from: Side,
    },
    /// Emitted once per connection when the capture ends; `frame` is its first frame.
    TcpConnection {
        stream: u64,
        client: Endpoint,
        server: Endpoint,
        outcome: TcpOutcome,
        /// Counted up to 65,535.
        syn_count: u16,
        first_rst: Option<Side>,
        first_fin: Option<Side>,
        bytes_client: u64,
        bytes_server: u64,
        last_frame: u64,
        #[serde(serialize_with = "crate::time::serialize_ns")]
        last_ts: i64,
        /// The reason of an ICMP destination-unreachable quoting this connection.
        icmp: Option<Unreachable>,
    },
    TlsClientHello {
        stream: u64,
        sni: Option<Box<str>>,
        legacy_version: u16,
        supported_versions: Box<[u16]>,
        alpn: Box<[Box<str>]>,
    },
    TlsServerHello {
        stream: u64,
        legacy_version: u16,
        /// The negotiated version, from supported_versions when present (TLS 1.3).
        version: u16,
        cipher: u16,
    },
    /// A HelloRetryRequest (TLS 1.3): the server asks for another ClientHello (another key
    /// share); the real ServerHello follows it.
    TlsHelloRetryRequest {
        stream: u64,
        cipher: u16,
    },
    TlsCertificate {
        stream: u64,
        /// The server's chain, or the client's (mutual TLS, after a CertificateRequest).
        from: Side,
        /// Shared: every connection to a server carries the same chain.
        chain: Vec<SharedCert>,
    },
    TlsAlert {
        stream: u64,
        from: Side,
        level: u8,
        description: u8,
    },
    /// A record that is most likely an alert, but encrypted (TLS 1.3, or after ChangeCipherSpec).
    TlsEncryptedAlert {
        stream: u64,
        from: Side,
    },
    /// Both sides finished the handshake (TLS 1.2: both ChangeCipherSpec; TLS 1.3: the client's
    /// encrypted Finished).
    TlsHandshakeDone {
        stream: u64,
        version: u16,
    },
    /// The first application-data record a side sent after the handshake (a request).
    TlsApplicationData {
        stream: u64,
        from: Side,
    },
    XmppStreamOpen {
        stream: u64,
        from: Side,
        to: Option<String>,
    },
    XmppFeatures {
        stream: u64,
        starttls: bool,
    },
    XmppStartTls {
        stream: u64,
    },
    XmppProceed {
        stream: u64,
    },
    XmppFailure {
        stream: u64,
    },
    XmppStreamError {
        stream: u64,
        from: Side,
        condition: String,
    },
    SipRequest(Box<SipRequest>),
    SipResponse(Box<SipResponse>),
    /// The XMPP login's outcome (SASL `<success/>` or `<failure>`), inside TLS: decrypted
    /// with a key log.
    XmppAuth {
        stream: u64,
        success: bool,
        /// The failure's condition (`not-authorized`), if any.
        #[serde(skip_serializing_if = "Option::is_none")]
        condition: Option<String>,
    },
    /// An HTTP request inside TLS (8443), decrypted with a key log.
    HttpRequest {
        stream: u64,
        method: Box<str>,
        path: Box<str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        host: Option<Box<str>>,
        /// The Authorization scheme, and a Basic header's user: never a password or token.
        #[serde(skip_serializing_if = "Option::is_none")]
        auth: Option<Box<str>>,
    },
    /// A client asked an HTTP proxy for a tunnel (`CONNECT host:port`): the connection's
    /// real destination, which the proxy's address hides.
    ProxyConnect {
        stream: u64,
        host: String,
        port: u16,
    },
    /// The proxy's answer to CONNECT: 2xx opens the tunnel, anything else refuses it.
    ProxyAnswer {
        stream: u64,
        code: u16,
        reason: String,
    },
    /// An HTTP response inside TLS, decrypted with a key log.
    HttpResponse {
        stream: u64,
        code: u16,
        reason: String,
    },
    /// An Expressway's configuration or status dump (a bundle's `xconf_dump_*`,
    /// `xstat_dump_*`): what MRA needs of it.
    ExpresswayDump(Box<ExpresswayDump>),
    /// Certificates found in a file (PEM or DER), such as a bundle's `ca_*.pem`.
    CertificateFile {
        certs: Vec<SharedCert>,
    },
    /// A log line that matches a catalog signature.
    LogSignature {
        line: u64,
        /// Shared with the catalog that found the line (`Catalog::shared_id`): its lookup
        /// by this id then goes by address, not by hashing the text.
        signature: Arc<str>,
        phase: crate::faults::Phase,
        /// Shared with the catalog's signature; a thin pointer, as `host` is (a bundle holds
        /// a hundred thousand hits).
        fault: Option<ArcStr>,
        severity: Severity,
        time_basis: crate::time::TimeBasis,
        /// Shared by the lines of one box.
        host: Option<ArcStr>,
        fields: Fields,
        /// Shared: every evidence citing the line points at this one copy.
        excerpt: Arc<str>,
        /// What the judge relies on this line for (the catalog's `role`).
        #[serde(skip_serializing_if = "Option::is_none")]
        role: Option<Role>,
    },
    /// Something odd in the data: decoding went on around it.
    Anomaly {
        what: String,
        detail: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        offset: Option<u64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        stream: Option<u64>,
    },
}

/// A log hit's named fields, sorted by name: two words in the event and one allocation of
/// exactly its pairs (a `BTreeMap` took a 544-byte node for two fields: a bundle's hundred
/// thousand hits held 70 MB of them). A name is held once per thread that read it and shared
/// by every hit that has it (the same few dozen names, a `String` each, were a tenth of a
/// multi-user bundle's memory). Written as a JSON object, as the map was.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Fields(Box<[(Arc<str>, Box<str>)]>);

impl Fields {
    pub fn get(&self, name: &str) -> Option<&str> {
        // A hit holds a handful of fields: their lengths tell most of them apart without
        // comparing bytes (a binary search compared bytes at every step).
        self.0
            .iter()
            .find(|(k, _)| k.len() == name.len() && &**k == name)
            .map(|(_, v)| &**v)
    }

    pub fn contains_key(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (&**k, &**v))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// As a map, to be changed.
    pub fn to_map(&self) -> std::collections::BTreeMap<String, String> {
        self.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }
}

/// The shared copy of a field's name (see [`Fields`]): names are few, and looked up per
/// thread so that scanning threads never wait on one another.
fn field_name(name: &str) -> Arc<str> {
    thread_local! {
        static NAMES: std::cell::RefCell<std::collections::HashMap<Box<str>, Arc<str>>> =
            Default::default();
    }
    NAMES.with_borrow_mut(|names| {
        if let Some(shared) = names.get(name) {
            return shared.clone();
        }
        let shared: Arc<str> = Arc::from(name);
        // A catalog names a few dozen fields; a hostile one cannot grow this past a bound.
        if names.len() < 4096 {
            names.insert(name.into(), shared.clone());
        }
        shared
    })
}

/// A hit's fields while the scan gathers them: names shared as in [`Fields`], a name set twice
/// keeping its last value, made [`Fields`] (sorted by name) when done. A handful per hit: a
/// list searched by length and name costs less than a map's nodes and owned keys, which were
/// 4% of a bundle's CPU samples (perf, one thread).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldMap(Vec<(Arc<str>, String)>);

impl FieldMap {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.position(name).map(|i| &*self.0[i].1)
    }

    pub fn contains_key(&self, name: &str) -> bool {
        self.position(name).is_some()
    }

    /// Sets `name` to `value`, replacing the value it had.
    pub fn insert(&mut self, name: &str, value: String) {
        match self.position(name) {
            Some(i) => self.0[i].1 = value,
            None => self.0.push((field_name(name), value)),
        }
    }

    /// Sets `name` to `value` unless it has a value already.
    pub fn insert_absent(&mut self, name: &str, value: String) {
        if !self.contains_key(name) {
            self.0.push((field_name(name), value));
        }
    }

    /// In the order they were first set.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (&**k, &**v))
    }

    fn position(&self, name: &str) -> Option<usize> {
        self.0
            .iter()
            .position(|(k, _)| k.len() == name.len() && &**k == name)
    }
}

impl From<FieldMap> for Fields {
    fn from(mut map: FieldMap) -> Self {
        map.0.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        Fields(
            map.0
                .into_iter()
                .map(|(k, v)| (k, v.into_boxed_str()))
                .collect(),
        )
    }
}

impl From<std::collections::BTreeMap<String, String>> for Fields {
    fn from(map: std::collections::BTreeMap<String, String>) -> Self {
        Fields(
            map.into_iter()
                .map(|(k, v)| (field_name(&k), v.into_boxed_str()))
                .collect(),
        )
    }
}

impl std::ops::Index<&str> for Fields {
    type Output = str;
    fn index(&self, name: &str) -> &str {
        self.get(name)
            .unwrap_or_else(|| panic!("no field {name:?}"))
    }
}

impl Serialize for Fields {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

// A busy capture holds a million events: every byte of the largest variant is a megabyte.
// Rare large events are boxed to keep it so.
const _: () = assert!(std::mem::size_of::<EventKind>() <= 88);

impl EventKind {
    /// The Wireshark `tcp.stream` index the event belongs to, if any.
    pub fn stream(&self) -> Option<u64> {
        use EventKind::*;
        match self {
            TcpSyn { stream, .. }
            | TcpSynAck { stream, .. }
            | TcpRst { stream, .. }
            | TcpFin { stream, .. }
            | TcpConnection { stream, .. }
            | TlsClientHello { stream, .. }
            | TlsServerHello { stream, .. }
            | TlsCertificate { stream, .. }
            | TlsHelloRetryRequest { stream, .. }
            | TlsAlert { stream, .. }
            | TlsEncryptedAlert { stream, .. }
            | TlsHandshakeDone { stream, .. }
            | TlsApplicationData { stream, .. }
            | XmppStreamOpen { stream, .. }
            | XmppFeatures { stream, .. }
            | XmppStartTls { stream }
            | XmppProceed { stream }
            | XmppFailure { stream }
            | XmppStreamError { stream, .. }
            | XmppAuth { stream, .. }
            | HttpRequest { stream, .. }
            | HttpResponse { stream, .. }
            | ProxyConnect { stream, .. }
            | ProxyAnswer { stream, .. } => Some(*stream),
            Anomaly { stream, .. } | IcmpUnreachable { stream, .. } => *stream,
            SipRequest(r) => r.stream,
            SipResponse(r) => r.stream,
            DnsQuery { .. }
            | DnsResponse { .. }
            | LogSignature { .. }
            | CertificateFile { .. }
            | ExpresswayDump(_) => None,
        }
    }
}

/// A DNS record type's mnemonic (RFC 1035, 3596, 2782…), else `TYPEn` (RFC 3597).
pub fn qtype_name(t: u16) -> String {
    let name = match t {
        1 => "A",
        2 => "NS",
        5 => "CNAME",
        6 => "SOA",
        12 => "PTR",
        15 => "MX",
        16 => "TXT",
        28 => "AAAA",
        33 => "SRV",
        35 => "NAPTR",
        41 => "OPT",
        64 => "SVCB",
        65 => "HTTPS",
        255 => "ANY",
        _ => return format!("TYPE{t}"),
    };
    name.into()
}

/// One line of `mradiag events`: `input` first, then the event's fields in their declared
/// order, each code a person reads by name (a DNS type, an rcode, a TLS alert) followed by
/// its name (`"qtype":33,"qtype_name":"SRV"`).
pub fn event_line(input: &str, ev: &Event) -> String {
    let fields = serde_json::to_string(ev).expect("an event serializes");
    let input = serde_json::to_string(input).expect("a string serializes");
    let mut line = format!("{{\"input\":{input},{}", &fields[1..]);
    let mut name_after = |key: &str, name: String| {
        // Keys are unique in an event, and a string value's own quotes are escaped: the
        // first `"key":` is the field.
        let pattern = format!("\"{key}\":");
        if let Some(at) = line.find(&pattern) {
            let start = at + pattern.len();
            let end = line[start..]
                .find([',', '}'])
                .map_or(line.len(), |e| start + e);
            let named = format!(",\"{key}_name\":{}", serde_json::json!(name));
            line.insert_str(end, &named);
        }
    };
    match &ev.kind {
        EventKind::DnsQuery { qtype, .. } => name_after("qtype", qtype_name(*qtype)),
        EventKind::DnsResponse { qtype, rcode, .. } => {
            name_after("qtype", qtype_name(*qtype));
            name_after("rcode", rcode_name(*rcode));
        }
        EventKind::TlsAlert { description, .. } => {
            name_after("description", alert_name(*description))
        }
        _ => {}
    }
    line
}

pub fn rcode_name(r: u8) -> String {
    match r {
        0 => "NOERROR".into(),
        1 => "FORMERR".into(),
        2 => "SERVFAIL".into(),
        3 => "NXDOMAIN".into(),
        4 => "NOTIMP".into(),
        5 => "REFUSED".into(),
        other => format!("RCODE{other}"),
    }
}

pub fn tls_version_name(v: u16) -> String {
    match v {
        0x0300 => "SSL 3.0".into(),
        0x0301 => "TLS 1.0".into(),
        0x0302 => "TLS 1.1".into(),
        0x0303 => "TLS 1.2".into(),
        0x0304 => "TLS 1.3".into(),
        other => format!("0x{other:04x}"),
    }
}

/// TLS alert descriptions the judge decides on (RFC 8446 §6, RFC 5246 §7.2).
pub mod alert {
    pub const BAD_CERTIFICATE: u8 = 42;
    pub const UNSUPPORTED_CERTIFICATE: u8 = 43;
    pub const CERTIFICATE_EXPIRED: u8 = 45;
    pub const CERTIFICATE_UNKNOWN: u8 = 46;
    pub const UNKNOWN_CA: u8 = 48;
    pub const PROTOCOL_VERSION: u8 = 70;
}

/// TLS versions as the hellos carry them.
pub const TLS_1_2: u16 = 0x0303;
pub const TLS_1_3: u16 = 0x0304;

pub fn alert_name(d: u8) -> String {
    let name = match d {
        0 => "close_notify",
        10 => "unexpected_message",
        20 => "bad_record_mac",
        22 => "record_overflow",
        40 => "handshake_failure",
        42 => "bad_certificate",
        43 => "unsupported_certificate",
        44 => "certificate_revoked",
        45 => "certificate_expired",
        46 => "certificate_unknown",
        47 => "illegal_parameter",
        48 => "unknown_ca",
        49 => "access_denied",
        50 => "decode_error",
        51 => "decrypt_error",
        70 => "protocol_version",
        71 => "insufficient_security",
        80 => "internal_error",
        86 => "inappropriate_fallback",
        90 => "user_canceled",
        109 => "missing_extension",
        110 => "unsupported_extension",
        112 => "unrecognized_name",
        116 => "certificate_required",
        120 => "no_application_protocol",
        _ => return format!("alert_{d}"),
    };
    name.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn icmp_codes_are_named_per_family() {
        let v4 = |c| Unreachable::from_code(false, c).as_str();
        let v6 = |c| Unreachable::from_code(true, c).as_str();
        assert_eq!(
            [v4(0), v4(1), v4(3), v4(9), v4(10), v4(13), v4(4)],
            [
                "network unreachable",
                "host unreachable",
                "port unreachable",
                "administratively prohibited",
                "administratively prohibited",
                "administratively prohibited",
                "unreachable",
            ]
        );
        assert_eq!(
            [v6(0), v6(1), v6(3), v6(4), v6(5)],
            [
                "no route",
                "administratively prohibited",
                "address unreachable",
                "port unreachable",
                "unreachable",
            ]
        );
    }

    #[test]
    fn event_lines_name_their_codes() {
        let ev = Event {
            frame: 2,
            ts: 0,
            kind: EventKind::DnsResponse {
                transport: Transport::Udp,
                client: Endpoint {
                    ip: [10, 0, 0, 2].into(),
                    port: 5000,
                },
                server: Endpoint {
                    ip: [10, 0, 0, 53].into(),
                    port: 53,
                },
                id: 7,
                // A name that holds the key itself stays a name.
                name: "\"qtype\":1,x".into(),
                qtype: 33,
                rcode: 3,
                truncated: false,
                answers: Box::default(),
                additional: Default::default(),
            },
        };
        let line = event_line("a.pcap", &ev);
        assert!(
            line.starts_with("{\"input\":\"a.pcap\",\"frame\":2,"),
            "{line}"
        );
        assert!(
            line.contains(
                "\"qtype\":33,\"qtype_name\":\"SRV\",\"rcode\":3,\"rcode_name\":\"NXDOMAIN\","
            ),
            "{line}"
        );
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["name"], "\"qtype\":1,x");
        assert_eq!(qtype_name(99), "TYPE99");
    }

    #[test]
    fn a_dns_section_holds_nothing_when_empty_and_reads_and_writes_as_its_records() {
        let empty = Records::from(Vec::new());
        assert!(empty.0.is_none() && empty.is_empty());
        assert_eq!(serde_json::to_string(&empty).unwrap(), "[]");
        let glue = vec![DnsRecord::A {
            name: "expe1.example.com".into(),
            addr: "192.0.2.10".parse().unwrap(),
        }];
        let held = Records::from(glue.clone());
        assert_eq!(&held[..], &glue[..]);
        assert_eq!(
            serde_json::to_string(&held).unwrap(),
            serde_json::to_string(&glue).unwrap()
        );
        assert_eq!((&held).into_iter().count(), 1);
    }

    #[test]
    fn gathered_fields_keep_the_last_value_set_and_come_out_sorted_as_a_map_would() {
        let mut gathered = FieldMap::default();
        let mut map = std::collections::BTreeMap::new();
        for (name, value, replace) in [
            ("url", "https://a/", true),
            ("host", "expe1", true),
            ("url", "https://b/", true),
            ("auth_user", "alice", false),
            ("host", "expe2", false),
            ("Txn-id", "7", true),
            ("ho", "short name", true),
        ] {
            if replace {
                gathered.insert(name, value.to_string());
                map.insert(name.to_string(), value.to_string());
            } else {
                gathered.insert_absent(name, value.to_string());
                map.entry(name.to_string())
                    .or_insert_with(|| value.to_string());
            }
        }
        assert_eq!(gathered.get("url"), Some("https://b/"));
        assert_eq!(gathered.get("host"), Some("expe1"));
        assert!(gathered.contains_key("ho") && !gathered.contains_key("h"));
        let fields = Fields::from(gathered);
        assert_eq!(fields, Fields::from(map.clone()));
        let names: Vec<&str> = fields.iter().map(|(k, _)| k).collect();
        assert_eq!(names, ["Txn-id", "auth_user", "ho", "host", "url"]);
    }
}
