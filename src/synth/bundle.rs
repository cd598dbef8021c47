//! Multi-user Expressway-E and -C logs of a busy cluster, as diagnostic logging writes them:
//! hours of sign-ins of many users (get_edge_config with its Basic or Bearer header on E and
//! forwarded to C with X-Forwarded-For, the edge configuration answered, REGISTERs of
//! directory numbers and their refreshes every two minutes, CUCM's 200 OK naming the user id,
//! voicemail requests), traversal keepalives and lines about no one, with failures planted for
//! chosen users at chosen times. The shapes vary with the seed: user-id styles, numbering
//! plans, host names, the boxes' UTC offsets (either sign), one or two clusters, clients
//! behind a shared NAT, OAuth clients that never send a user name to Expressway-E.
//! Every line follows a real line of research/mra-domain.md (section 2.7, S3, S4, S9, S21,
//! S22, G2), re-timed and re-addressed.

use super::Rng;
use std::fmt::Write;

/// A failure planted in one user's sign-in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultKind {
    /// CUCM UDS refuses the credentials (Expressway-C), answered 401 to the client.
    UdsAuth401,
    /// Expressway-E answers get_edge_config 403: the domain is not enabled for MRA.
    Domain403,
    /// Expressway-E cannot reach Expressway-C: 502.
    NextHop502,
    /// Expressway-C cannot place the user's home CUCM.
    HomeCucmUnknown,
    /// CUCM refuses the REGISTER (403), through C and E.
    Register403,
    /// Unity Connection is not on Expressway-C's allow list: voicemail requests get 403.
    Voicemail403,
    /// Expressway-C cannot reach Expressway-E on 7400 (XMPP) while the user signs in: lines
    /// about no user (S4); the rest of the sign-in works. Not in `ALL`: no line names the user.
    Xcp7400,
}

impl FaultKind {
    pub const ALL: [FaultKind; 6] = [
        FaultKind::UdsAuth401,
        FaultKind::Domain403,
        FaultKind::NextHop502,
        FaultKind::HomeCucmUnknown,
        FaultKind::Register403,
        FaultKind::Voicemail403,
    ];

    /// The fault id a correct judge names.
    pub fn fault(self) -> &'static str {
        match self {
            FaultKind::UdsAuth401 => "provisioning.auth_failed",
            FaultKind::Domain403 => "provisioning.domain_not_enabled",
            FaultKind::NextHop502 => "provisioning.next_hop_failed",
            FaultKind::HomeCucmUnknown => "provisioning.home_cluster_unknown",
            FaultKind::Register403 => "sip.register_rejected",
            FaultKind::Voicemail403 => "voicemail.forbidden",
            FaultKind::Xcp7400 => "xmpp.backend_unreachable",
        }
    }
}

/// One planted failure: user `user` (an index into the generated users) fails at `at_s`
/// seconds after the logs start; with `recover_after_s`, the same user signs in fine that
/// much later.
#[derive(Clone, Copy, Debug)]
pub struct Planted {
    pub user: usize,
    pub kind: FaultKind,
    pub at_s: u64,
    pub recover_after_s: Option<u64>,
}

#[derive(Clone, Debug)]
pub struct BundleSpec {
    pub seed: u64,
    pub users: usize,
    pub minutes: u64,
    pub planted: Vec<Planted>,
    /// Healthy users sign in at random times; a user named in `planted` signs in only as
    /// planted (and, if `also_healthy`, once more early in the logs).
    pub also_healthy: bool,
    /// Routine lines about no one per box and minute (TCP connections, lookups, handshakes
    /// in progress, OPTIONS between the boxes), beside the traversal keepalives: a busy box
    /// logging at debug level writes thousands, and they are most of a real bundle's bytes.
    pub routine_per_minute: u64,
}

/// The boxes of one cluster and the log text each wrote.
pub struct GeneratedBox {
    pub host: String,
    pub expressway_e: bool,
    pub log: String,
}

pub struct Generated {
    pub boxes: Vec<GeneratedBox>,
    /// User ids, by index.
    pub users: Vec<String>,
    /// Per user: signs in with an OAuth token (no user name reaches Expressway-E), and the
    /// client address Expressway-E sees.
    pub oauth: Vec<bool>,
    pub addresses: Vec<String>,
    /// Per user: behind the NAT several users share.
    pub shared_address: Vec<bool>,
    /// What a correct judge concludes per planted failure: (user id, fault id, UTC ns).
    pub truth: Vec<(String, &'static str, i64)>,
    /// The shape the seed chose, said in a sample's README.
    pub shape: String,
    /// The logs' first moment (UTC ns).
    pub start: i64,
}

/// 2026-11-26T08:00:00Z.
const T0_S: i64 = 1_795_680_000;

struct Shape {
    offset_min: i32,
    clusters: usize,
    hosts: Vec<(String, String)>,
    domain: &'static str,
    cucm: &'static str,
    id_style: u64,
    numbering: u64,
    bearer_every: u64,
    nat_every: u64,
}

struct Client {
    user: String,
    number: String,
    ip: String,
    cluster: usize,
    bearer: bool,
}

/// Lines of every box, gathered with their times, sorted at the end.
struct Boxes {
    lines: Vec<Vec<(i64, u64, String)>>,
    seq: u64,
    offset_min: i32,
}

impl Boxes {
    fn push(&mut self, b: usize, ms: i64, text: String) {
        self.seq += 1;
        self.lines[b].push((ms, self.seq, text));
    }

    /// The syslog header in the box's local time with its offset, and the UTCTime value.
    fn times(&self, ms: i64) -> (String, String) {
        let utc = jiff::Timestamp::from_millisecond(ms).expect("in range");
        let offset = jiff::tz::Offset::from_seconds(self.offset_min * 60).expect("an offset");
        let local = utc.to_zoned_datetime(jiff::tz::TimeZone::fixed(offset));
        let sign = if self.offset_min < 0 { '-' } else { '+' };
        let (h, m) = (self.offset_min.abs() / 60, self.offset_min.abs() % 60);
        (
            format!(
                "{}{sign}{h:02}:{m:02}",
                local.strftime("%Y-%m-%dT%H:%M:%S%.3f")
            ),
            utc.strftime("%Y-%m-%d %H:%M:%S,%3f").to_string(),
        )
    }
}

fn b64(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(text)
}

const DOMAINS: [&str; 3] = ["example.com", "corp.example.net", "uc.example.org"];
const CUCMS: [&str; 2] = ["cucm-pub.example.local", "cmpub01.corp.local"];

fn shape(rng: &mut Rng) -> Shape {
    let offsets = [-300, -480, 60, 330, 540, -180, 0, 600];
    let names: [(&str, &str); 5] = [
        ("expe01", "expc01"),
        ("exp-e1", "exp-c1"),
        ("vcse", "vcsc"),
        ("expressway-e2", "expressway-c2"),
        ("mra-edge-a", "mra-core-a"),
    ];
    let clusters = 1 + rng.below(2) as usize;
    let first = rng.below(names.len() as u64) as usize;
    let hosts = (0..clusters)
        .map(|c| {
            let (e, cc) = names[(first + c) % names.len()];
            (e.to_string(), cc.to_string())
        })
        .collect();
    Shape {
        offset_min: *rng.pick(&offsets),
        clusters,
        hosts,
        domain: DOMAINS[rng.below(DOMAINS.len() as u64) as usize],
        cucm: CUCMS[rng.below(CUCMS.len() as u64) as usize],
        id_style: rng.below(3),
        numbering: rng.below(3),
        bearer_every: [0, 0, 5][rng.below(3) as usize],
        nat_every: [0, 7, 11][rng.below(3) as usize],
    }
}

fn user_id(rng: &mut Rng, style: u64, i: usize) -> String {
    const FIRST: [&str; 12] = [
        "anna", "ben", "chen", "dara", "eli", "farah", "goran", "hana", "ivan", "jun", "kemal",
        "lea",
    ];
    const LAST: [&str; 12] = [
        "smith", "ng", "okafor", "weber", "rossi", "tanaka", "silva", "kowal", "haddad", "berg",
        "moreau", "patel",
    ];
    let f = FIRST[rng.below(12) as usize];
    let l = LAST[rng.below(12) as usize];
    match (style + i as u64) % 3 {
        0 => format!("{}{l}{i}", &f[..1]),
        1 => format!("{f}.{l}{i}"),
        _ => format!("{f}{}{i}", &l[..1]),
    }
}

fn number(plan: u64, i: usize) -> String {
    match plan {
        0 => format!("{}", 2000 + i),
        1 => format!("{}", 40100 + i),
        _ => format!("+49301234{:04}", 100 + i),
    }
}

pub fn generate(spec: &BundleSpec) -> Generated {
    let mut rng = Rng(spec.seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let shape = shape(&mut rng);
    let boxes_n = shape.clusters * 2;
    let mut out = Boxes {
        lines: vec![Vec::new(); boxes_n],
        seq: 0,
        offset_min: shape.offset_min,
    };
    let nat_ip = format!("203.0.113.{}", 200 + rng.below(50));
    let clients: Vec<Client> = (0..spec.users)
        .map(|i| {
            let user = user_id(&mut rng, shape.id_style, i);
            let shared = shape.nat_every > 0 && i as u64 % shape.nat_every == 3;
            Client {
                number: number(shape.numbering, i),
                ip: if shared {
                    nat_ip.clone()
                } else {
                    format!("198.51.{}.{}", 100 + i / 250, 1 + i % 250)
                },
                cluster: i % shape.clusters,
                bearer: shape.bearer_every > 0 && i as u64 % shape.bearer_every == 2,
                user,
            }
        })
        .collect();
    let start_ms = (T0_S + rng.below(3600) as i64) * 1000;
    let end_ms = start_ms + spec.minutes as i64 * 60_000;
    let mut truth = Vec::new();
    let planted_users: Vec<usize> = spec.planted.iter().map(|p| p.user).collect();
    for (i, c) in clients.iter().enumerate() {
        let planted = planted_users.contains(&i);
        if !planted || spec.also_healthy {
            // Healthy users sign in once somewhere in the span and stay 5–30 min; a planted user
            // seen healthy signs in during the first fifth.
            let window = if planted {
                spec.minutes * 60 / 5
            } else {
                spec.minutes * 60
            };
            let at = start_ms + 5_000 + rng.below(window.max(1) * 1000) as i64;
            let stay = (5 + rng.below(26)) as i64 * 60_000;
            sign_in(
                &mut out,
                &shape,
                &mut rng,
                c,
                at,
                (at + stay).min(end_ms),
                None,
            );
        }
    }
    for p in &spec.planted {
        let c = &clients[p.user];
        let at = start_ms + p.at_s as i64 * 1000;
        let fault_ms = sign_in(
            &mut out,
            &shape,
            &mut rng,
            c,
            at,
            at + 600_000,
            Some(p.kind),
        );
        truth.push((c.user.clone(), p.kind.fault(), fault_ms * 1_000_000));
        if let Some(after) = p.recover_after_s {
            let again = at + after as i64 * 1000;
            sign_in(
                &mut out,
                &shape,
                &mut rng,
                c,
                again,
                (again + 900_000).min(end_ms.max(again + 300_000)),
                None,
            );
        }
    }
    // Lines about no one: traversal keepalives, the box's DNS, the verbose-logging alarm.
    for b in 0..boxes_n {
        alarm(&mut out, &shape, b, start_ms);
        let mut t = start_ms + rng.below(20_000) as i64;
        let mut n = 0u64;
        while t < end_ms {
            keepalive(&mut out, &shape, b, t, n);
            t += 20_000 + rng.below(20_000) as i64;
            n += 1;
        }
        for k in 0..spec.routine_per_minute * spec.minutes {
            let ms = start_ms + rng.below(spec.minutes * 60_000) as i64;
            routine(&mut out, &shape, b, ms, k);
        }
    }
    let boxes = out
        .lines
        .into_iter()
        .enumerate()
        .map(|(b, mut lines)| {
            lines.sort_by_key(|(ms, seq, _)| (*ms, *seq));
            let mut log = String::new();
            for (_, _, text) in lines {
                log.push_str(&text);
                log.push('\n');
            }
            GeneratedBox {
                host: host_of(&shape, b).clone(),
                expressway_e: b.is_multiple_of(2),
                log,
            }
        })
        .collect();
    Generated {
        boxes,
        users: clients.iter().map(|c| c.user.clone()).collect(),
        oauth: clients.iter().map(|c| c.bearer).collect(),
        addresses: clients.iter().map(|c| c.ip.clone()).collect(),
        shared_address: clients.iter().map(|c| c.ip == nat_ip).collect(),
        truth,
        shape: format!(
            "{} cluster(s) ({}), UTC{}{:02}:{:02} headers, domain {}, {}{}",
            shape.clusters,
            shape
                .hosts
                .iter()
                .map(|(e, c)| format!("{e}/{c}"))
                .collect::<Vec<_>>()
                .join(", "),
            if shape.offset_min < 0 { '-' } else { '+' },
            shape.offset_min.abs() / 60,
            shape.offset_min.abs() % 60,
            shape.domain,
            ["4-digit", "5-digit", "E.164"][shape.numbering as usize],
            match (shape.bearer_every, shape.nat_every) {
                (0, 0) => " numbers".to_string(),
                (b, 0) => format!(" numbers, every {b}th client on OAuth (no user on E)"),
                (0, n) => format!(" numbers, every {n}th client behind one NAT"),
                (b, n) =>
                    format!(" numbers, every {b}th client on OAuth, every {n}th behind one NAT"),
            }
        ),
        start: start_ms * 1_000_000,
    }
}

/// Box `b`: Expressway-E of cluster `b / 2` when even, its Expressway-C when odd.
fn host_of(shape: &Shape, b: usize) -> &String {
    let (e, c) = &shape.hosts[b / 2];
    if b.is_multiple_of(2) { e } else { c }
}

fn e_addr(cluster: usize) -> String {
    format!("10.0.{}.2", 10 + cluster * 2)
}

fn c_addr(cluster: usize) -> String {
    format!("10.0.{}.2", 30 + cluster * 2)
}

/// One client's sign-in from `at` to `until` (refreshing its registration); a planted fault
/// ends it where it strikes. Returns the fault's time (ms).
fn sign_in(
    out: &mut Boxes,
    shape: &Shape,
    rng: &mut Rng,
    c: &Client,
    at: i64,
    until: i64,
    fault: Option<FaultKind>,
) -> i64 {
    let (eb, cb) = (c.cluster * 2, c.cluster * 2 + 1);
    let (eh, ch) = (&shape.hosts[c.cluster].0, &shape.hosts[c.cluster].1);
    let port = 49152 + rng.below(16000);
    let txn = 1 + rng.below(90_000);
    let dom = b64(shape.domain);
    let auth = if c.bearer {
        format!("Bearer {}", b64(&format!("oauth-{}-{txn}", rng.next())))
    } else {
        format!(
            "Basic {}",
            b64(&format!("{}:Pw{}!", c.user, rng.below(10_000)))
        )
    };
    // get_edge_config on E (S9's HTTPMSG block), forwarded to C with the client's address.
    let (h, u) = out.times(at);
    out.push(eb, at, format!(
        "{h} {eh} traffic_server[15550]: UTCTime=\"{u}\" Module=\"network.http.trafficserver\" Level=\"DEBUG\": Detail=\"Receive Request\" Txn-id=\"{txn}\" Src-ip=\"{}\" Src-port=\"{port}\" \nHTTPMSG:\n|GET /{dom}/get_edge_config?service_name=_cisco-uds&service_name=_cuplogin HTTP/1.1\n Host: {eh}.{}:8443\n Accept: */*\n Authorization: {auth}\n User-Agent: Jabber-Win-1160\n \n |",
        c.ip, shape.domain
    ));
    let fault_at = at + 150;
    match fault {
        Some(FaultKind::Domain403) => {
            let (h, u) = out.times(fault_at);
            out.push(eb, fault_at, format!(
                "{h} {eh} traffic_server[15550]: UTCTime=\"{u}\" Module=\"network.http.trafficserver\" Level=\"DEBUG\": Detail=\"Sending Response\" Txn-id=\"{txn}\" Dst-ip=\"{}\" Dst-port=\"{port}\" HTTPMSG: |HTTP/1.1 403 Forbidden Date: Thu, 26 Nov 2026 10:00:00 GMT Connection: close Server: CE_E Content-Length: 0\n{h} {eh} traffic_server[15550]: Event=\"Sending HTTP error response\" Status=\"403\" Reason=\"Forbidden\" Dst-ip=\"{}\" Dst-port=\"{port}\" UTCTime=\"{u}\"",
                c.ip, c.ip
            ));
            return fault_at;
        }
        Some(FaultKind::NextHop502) => {
            let (h, u) = out.times(fault_at);
            out.push(eb, fault_at, format!(
                "{h} {eh} traffic_server[15550]: Event=\"Sending HTTP error response\" Status=\"502\" Reason=\"Next Hop Connection Failed\" Dst-ip=\"{}\" Dst-port=\"{port}\" UTCTime=\"{u}\"",
                c.ip
            ));
            return fault_at;
        }
        _ => {}
    }
    let fwd = at + 40;
    let ctxn = 1 + rng.below(90_000);
    let (h, u) = out.times(fwd);
    out.push(cb, fwd, format!(
        "{h} {ch} traffic_server[2030]: UTCTime=\"{u}\" Module=\"network.http.trafficserver\" Level=\"DEBUG\": Detail=\"Receive Request\" Txn-id=\"{ctxn}\" Src-ip=\"{}\" Src-port=\"{}\" \nHTTPMSG:\n|GET /{dom}/get_edge_config?service_name=_cisco-uds&service_name=_cuplogin HTTP/1.1\n Host: {ch}.{}:8443\n Authorization: {auth}\n Client-ip: {}\n X-Forwarded-For: {}, 127.0.0.1\n Via: https/1.1 vcs[{:08x}] (ATS)\n \n |",
        e_addr(c.cluster), 30000 + rng.below(20000), shape.domain, c.ip, c.ip, rng.next() as u32
    ));
    let uds = at + 90;
    let (h, u) = out.times(uds);
    match fault {
        Some(FaultKind::UdsAuth401) => {
            out.push(cb, uds, format!(
                "{h} {ch} edgeconfigprovisioning UTCTime=\"{u}\" Module=\"network.http.edgeconfigprovisioning\" Level=\"DEBUG\" Action=\"Received\" Request-url=\"https://{}:8443/cucm-uds/user/{}/devices\" HTTPMSG: |HTTP/1.1 401 Unauthorized Expires: Wed, 31 Dec 1969 19:00:00 EST Server: Cache-Control: private Content-Type: text/html;charset=utf-8 WWW-Authenticate: Basic realm=\"Cisco Web Services Realm\"\n{h} {ch} edgeconfigprovisioning: Level=\"INFO\" Detail=\"Failed to authenticate user against server\" Username=\"{}\" Server=\"('https', '{}', 8443)\" Reason=\"<twisted.python.failure.Failure <type 'exceptions.Exception'>>\" UTCTime=\"{u}\"",
                shape.cucm, c.user, c.user, shape.cucm
            ));
            let back = uds + 30;
            let (h, u) = out.times(back);
            out.push(eb, back, format!(
                "{h} {eh} traffic_server[15550]: UTCTime=\"{u}\" Module=\"network.http.trafficserver\" Level=\"DEBUG\": Detail=\"Sending Response\" Txn-id=\"{txn}\" Dst-ip=\"{}\" Dst-port=\"{port}\" HTTPMSG: |HTTP/1.1 401 Unauthorized WWW-Authenticate: Basic realm=\"Cisco-Edge\" Server: CE_C ECS Content-Length: 0",
                c.ip
            ));
            return uds;
        }
        Some(FaultKind::HomeCucmUnknown) => {
            out.push(cb, uds, format!(
                "{h} {ch} edgeconfigprovisioning: Level=\"ERROR\" Detail=\"Unable to determine home CUCM - Unknown CUCM cluster for node\" Node=\"cucm-sub9\" Username=\"{}\" UTCTime=\"{u}\"",
                c.user
            ));
            return uds;
        }
        _ => {}
    }
    // The edge configuration, answered by C (S3's getEdgeConfigResponse).
    let answer = at + 120;
    let (h, u) = out.times(answer);
    out.push(cb, answer, format!(
        "{h} {ch} traffic_server[2030]: UTCTime=\"{u}\" Module=\"network.http.trafficserver\" Level=\"DEBUG\": Detail=\"Sending Response\" Txn-id=\"{ctxn}\" Dst-ip=\"{}\" Dst-port=\"{}\" \nHTTPMSG:\n|HTTP/1.1 200 OK\n Content-Type: text/xml\n \n <getEdgeConfigResponse version=\"1.0\"><serviceConfig><service><name>_cisco-uds</name><server><priority>1</priority><weight>1</weight><port>8443</port><address>{}</address></server></service></serviceConfig><edgeConfig><sipEdgeServer><server><address>{eh}.{}</address><tlsPort>5061</tlsPort></server></sipEdgeServer></edgeConfig></getEdgeConfigResponse>\n |",
        e_addr(c.cluster), 30000 + rng.below(20000), shape.cucm, shape.domain
    ));
    // Expressway-E hands the answer on, with its X-Auth cookie for a client that sent Basic
    // credentials (S4's Set-Cookie); an OAuth client goes on with its bearer token.
    let session_token = format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        rng.next() as u32,
        rng.next() as u16,
        rng.next() as u16,
        rng.next() as u16,
        rng.next() & 0xffff_ffff_ffff
    );
    let back = answer + 30;
    let (h, u) = out.times(back);
    let cookie = if c.bearer {
        String::new()
    } else {
        format!(
            "\n Set-Cookie: X-Auth={session_token}; Expires=Thu, 26 Nov 2026 23:59:59 GMT; Domain=.{} ; Path=/; Secure",
            shape.domain
        )
    };
    out.push(eb, back, format!(
        "{h} {eh} traffic_server[15550]: UTCTime=\"{u}\" Module=\"network.http.trafficserver\" Level=\"DEBUG\": Detail=\"Sending Response\" Txn-id=\"{txn}\" Dst-ip=\"{}\" Dst-port=\"{port}\" \nHTTPMSG:\n|HTTP/1.1 200 OK\n Content-Type: text/xml{cookie}\n Server: CE_C ECS\n \n |",
        c.ip
    ));
    let later_auth = if c.bearer {
        auth.clone()
    } else {
        format!("Cookie: X-Auth={session_token}")
    };
    let later_auth = later_auth
        .strip_prefix("Bearer ")
        .map(|t| format!("Authorization: Bearer {t}"))
        .unwrap_or(later_auth);
    let mut fault_ms = None;
    if fault == Some(FaultKind::Xcp7400) {
        let x = at + 1_200;
        let e = e_addr(c.cluster);
        let (h, u) = out.times(x);
        out.push(cb, x, format!(
            "{h} {ch} XCP_JABBERD[23843]: UTCTime=\"{u}\" ThreadID= \"139747212576512\" Module=\"Jabber\" Level=\"INFO \" CodeLocation=\"mio.c:1109\" Detail=\"Connecting on fd 28 to host '{e}', port 7400\"\n{h} {ch} XCP_JABBERD[23843]: UTCTime=\"{u}\" ThreadID=\"139747212576512\" Module=\"Jabber\" Level=\"ERROR\" CodeLocation=\"mio.c:1121\" Detail=\" Unable to connect to host '{e}', port 7400 :(111) Connection refused\"\n{h} {ch} XCP_JABBERD[23843]: UTCTime=\"{u}\" ThreadID=\"139747406935808\" Module=\"Jabber\" Level=\"ERROR\" CodeLocation= \"base_connection.cpp:104\" Detail=\" Failed to connect to component jabberd-port-1.{ch}-{}\"",
            shape.domain.replace('.', "-")
        ));
        fault_ms = Some(x);
    }
    // The REGISTER of the client's line through E and C, and its refreshes.
    let call_id = format!(
        "{:08x}-{:08x}-{:08x}-{:08x}@{}",
        rng.next() as u32,
        rng.next() as u32,
        rng.next() as u32,
        rng.next() as u32,
        c.ip
    );
    let sport = 49152 + rng.below(16000);
    let aor = format!("sip:{}@{}", c.number, shape.cucm);
    let mut t = at + 2_500 + rng.below(2_000) as i64;
    let mut cseq = 100 + rng.below(50);
    let mut first = true;
    loop {
        let code = if first && fault == Some(FaultKind::Register403) {
            403
        } else {
            200
        };
        register(
            out, shape, c, eb, cb, t, &aor, &call_id, sport, cseq, code, first,
        );
        if code != 200 {
            return t + 200;
        }
        if first && fault == Some(FaultKind::Voicemail403) {
            let vm = t + 1_500;
            let vport = 49152 + rng.below(16000);
            let route = b64(&format!("{}/https/cuc.{}/443", shape.domain, shape.domain));
            let (h, u) = out.times(vm);
            out.push(eb, vm, format!(
                "{h} {eh} traffic_server[15550]: UTCTime=\"{u}\" Module=\"network.http.trafficserver\" Level=\"DEBUG\": Detail=\"Receive Request\" Txn-id=\"{}\" Src-ip=\"{}\" Src-port=\"{vport}\" \nHTTPMSG:\n|GET /{route}/vmrest/mailbox HTTP/1.1\n Host: {eh}.{}:8443\n {later_auth}\n User-Agent: Jabber-Win-1160\n \n |",
                txn + 7, c.ip, shape.domain
            ));
            let no = vm + 80;
            let (h, u) = out.times(no);
            out.push(eb, no, format!(
                "{h} {eh} traffic_server[15550]: Event=\"Sending HTTP error response\" Status=\"403\" Reason=\"Forbidden\" Dst-ip=\"{}\" Dst-port=\"{vport}\" UTCTime=\"{u}\"",
                c.ip
            ));
            return no;
        }
        first = false;
        cseq += 1;
        t += 110_000 + rng.below(10_000) as i64;
        if t > until {
            return fault_ms.unwrap_or(t);
        }
    }
}

/// A REGISTER received on E from the client and on C from E, and the answer back through C
/// and E (G2's INFO summaries; the first 200 OK also as S22's DEBUG SIPMSG with the user id).
#[allow(clippy::too_many_arguments)]
fn register(
    out: &mut Boxes,
    shape: &Shape,
    c: &Client,
    eb: usize,
    cb: usize,
    t: i64,
    aor: &str,
    call_id: &str,
    sport: u64,
    cseq: u64,
    code: u16,
    first: bool,
) {
    let (eh, ch) = (&shape.hosts[c.cluster].0, &shape.hosts[c.cluster].1);
    let (e, cc) = (e_addr(c.cluster), c_addr(c.cluster));
    let tag = &call_id[..8];
    let steps: [(usize, i64, String); 4] = [
        (
            eb,
            t,
            format!(
                "Action=\"Received\" Local-ip=\"{e}\" Local-port=\"5061\" Src-ip=\"{}\" Src-port=\"{sport}\" Detail=\"Receive Request Method=REGISTER, CSeq={cseq}, To={aor}, Call-ID={call_id}, From-Tag={tag}, To-Tag=, Msg-Hash={}\"",
                c.ip,
                1_000_000 + cseq
            ),
        ),
        (
            cb,
            t + 40,
            format!(
                "Action=\"Received\" Local-ip=\"{cc}\" Local-port=\"5061\" Src-ip=\"{e}\" Src-port=\"7001\" Detail=\"Receive Request Method=REGISTER, CSeq={cseq}, To={aor}, Call-ID={call_id}, From-Tag={tag}, To-Tag=, Msg-Hash={}\"",
                2_000_000 + cseq
            ),
        ),
        (
            cb,
            t + 140,
            format!(
                "Action=\"Sent\" Local-ip=\"{cc}\" Local-port=\"5061\" Dst-ip=\"{e}\" Dst-port=\"7001\" Detail=\"Sending Response Code={code}, Method=REGISTER, CSeq={cseq}, To={aor}, Call-ID={call_id}, From-Tag={tag}, To-Tag=t{cseq}, Msg-Hash={}\"",
                3_000_000 + cseq
            ),
        ),
        (
            eb,
            t + 180,
            format!(
                "Action=\"Sent\" Local-ip=\"{e}\" Local-port=\"5061\" Dst-ip=\"{}\" Dst-port=\"{sport}\" Detail=\"Sending Response Code={code}, Method=REGISTER, CSeq={cseq}, To={aor}, Call-ID={call_id}, From-Tag={tag}, To-Tag=t{cseq}, Msg-Hash={}\"",
                c.ip,
                4_000_000 + cseq
            ),
        ),
    ];
    for (i, (b, ms, body)) in steps.into_iter().enumerate() {
        let (h, u) = out.times(ms);
        let host = if b == eb { eh } else { ch };
        let mut line = format!(
            "{h} {host} tvcs: UTCTime=\"{u}\" Module=\"network.sip\" Level=\"INFO\":  {body}"
        );
        if first && code == 200 && i >= 2 {
            let (dst, dport, via) = if b == cb {
                (e.as_str(), 7001, e.as_str())
            } else {
                (c.ip.as_str(), sport, c.ip.as_str())
            };
            let _ = write!(
                line,
                "\n{h} {host} tvcs: UTCTime=\"{u}\" Module=\"network.sip\" Level=\"DEBUG\":  Action=\"Sent\" Dst-ip=\"{dst}\" Dst-port=\"{dport}\" Msg-Hash=\"{}\"\n SIPMSG:\n |SIP/2.0 200 OK\n Via: SIP/2.0/TLS {via}:{sport};branch=z9hG4bK{cseq};received={via};ingress-zone=CollaborationEdgeZone\n Call-ID: {call_id}\n CSeq: {cseq} REGISTER\n Contact: <sip:{:08x}@{}:5060;transport=tcp>;+u.sip!devicename.ccm.cisco.com=\"CSF{}\";+u.sip!userid.ccm.cisco.com=\"{}\";x-cisco-newreg\n From: <{aor}>;tag={tag}\n To: <{aor}>;tag=t{cseq}\n Expires: 120\n Content-Length: 0\n |",
                5_000_000 + cseq,
                cseq as u32 ^ 0x5a5a_5a5a,
                cc,
                c.number.trim_start_matches('+'),
                c.user
            );
        }
        out.push(b, ms, line);
    }
}

fn alarm(out: &mut Boxes, shape: &Shape, b: usize, ms: i64) {
    let host = host_of(shape, b);
    let (h, u) = out.times(ms);
    out.push(b, ms, format!(
        "{h} {host} tvcs: Event=\"Diagnostic Logging\" Detail=\"DEBUG_MARKER Started\" Level=\"1\" UTCTime=\"{u}\"\n{h} {host} alarm: Level=\"WARN\" Event=\"Alarm Raised\" Id=\"25019\" UUID=\"3bca6888-f622-11df-93be-07cc953d7b99\" Severity=\"warning\" Detail=\"Verbose log levels configured\" UTCTime=\"{u}\""
    ));
}

/// The traversal zone's OPTIONS keepalive between E and C, and the box's own lookups.
fn keepalive(out: &mut Boxes, shape: &Shape, b: usize, ms: i64, n: u64) {
    let cluster = b / 2;
    let (e, c) = (e_addr(cluster), c_addr(cluster));
    let host = host_of(shape, b);
    let (h, u) = out.times(ms);
    let line = match n % 3 {
        0 => format!(
            "{h} {host} tvcs: UTCTime=\"{u}\" Module=\"network.sip\" Level=\"INFO\":  Action=\"Received\" Local-ip=\"{e}\" Local-port=\"7001\" Src-ip=\"{c}\" Src-port=\"25{:03}\" Detail=\"Receive Request Method=OPTIONS, CSeq={}, To=sip:{e}:7001, Call-ID=opt{n}@{c}, From-Tag=f{n}, To-Tag=, Msg-Hash={}\"",
            n % 1000,
            3000 + n,
            10_000_000 + n
        ),
        1 => format!(
            "{h} {host} tvcs: UTCTime=\"{u}\" Module=\"network.dns\" Level=\"DEBUG\":  Detail=\"Sending DNS query\" Name=\"{}\" Type=\"A and AAAA\"",
            shape.cucm
        ),
        _ => format!(
            "{h} {host} tvcs: UTCTime=\"{u}\" Module=\"network.tcp\" Level=\"DEBUG\":  Src-ip=\"{c}\" Src-port=\"{}\" Dst-ip=\"{e}\" Dst-port=\"7001\" Detail=\"TCP Connection Established\"",
            30000 + n % 20000
        ),
    };
    out.push(b, ms, line);
}

/// A routine line of a busy box, in the grammar of the real lines in research/mra-domain.md:
/// SIP OPTIONS and their answers, TCP connections to CUCM, lookups, TLS handshakes in
/// progress. None is about a user.
fn routine(out: &mut Boxes, shape: &Shape, b: usize, ms: i64, k: u64) {
    let cluster = b / 2;
    let (e, c) = (e_addr(cluster), c_addr(cluster));
    let local = if b.is_multiple_of(2) { &e } else { &c };
    let host = host_of(shape, b);
    let (h, u) = out.times(ms);
    let line = match k % 6 {
        0 => format!(
            "{h} {host} tvcs: UTCTime=\"{u}\" Module=\"network.sip\" Level=\"INFO\":  Action=\"Received\" Local-ip=\"{local}\" Local-port=\"5060\" Src-ip=\"10.0.30.{}\" Src-port=\"5060\" Detail=\"Receive Request Method=OPTIONS, CSeq={k}, To=sip:{local}:5060, Call-ID=ka{k}@10.0.30.9, From-Tag=r{k}, To-Tag=, Msg-Hash={}\"",
            10 + k % 20,
            40_000_000 + k
        ),
        1 => format!(
            "{h} {host} tvcs: UTCTime=\"{u}\" Module=\"network.sip\" Level=\"INFO\":  Action=\"Sent\" Local-ip=\"{local}\" Local-port=\"5060\" Dst-ip=\"10.0.30.{}\" Dst-port=\"5060\" Detail=\"Sending Response Code=200, Method=OPTIONS, CSeq={k}, To=sip:{local}:5060, Call-ID=ka{k}@10.0.30.9, From-Tag=r{k}, To-Tag=s{k}, Msg-Hash={}\"",
            10 + k % 20,
            50_000_000 + k
        ),
        2 => format!(
            "{h} {host} tvcs: UTCTime=\"{u}\" Module=\"network.tcp\" Level=\"DEBUG\":  Src-ip=\"{local}\" Src-port=\"{}\" Dst-ip=\"10.0.40.{}\" Dst-port=\"8443\" Detail=\"TCP Connecting\"",
            40_000 + k % 20_000,
            5 + k % 3
        ),
        3 => format!(
            "{h} {host} tvcs: UTCTime=\"{u}\" Module=\"network.tcp\" Level=\"DEBUG\":  Src-ip=\"{local}\" Src-port=\"{}\" Dst-ip=\"10.0.40.{}\" Dst-port=\"8443\" Detail=\"TCP Connection Established\"",
            40_000 + k % 20_000,
            5 + k % 3
        ),
        4 => format!(
            "{h} {host} tvcs: UTCTime=\"{u}\" Module=\"network.dns\" Level=\"DEBUG\":  Detail=\"Sending DNS query\" Name=\"{}\" Type=\"A and AAAA\"",
            shape.cucm
        ),
        _ => format!(
            "{h} {host} tvcs: UTCTime=\"{u}\" Module=\"developer.ssl\" Level=\"INFO\" CodeLocation=\"ppcmains/ssl/ttssl/ttssl_openssl.cpp(1974)\" Method=\"::ttssl_continueHandshake\" Thread=\"0x7f29ddefa700\":  Detail=\" Handshake in progress \" Reason=\"want read/write\""
        ),
    };
    out.push(b, ms, line);
}
