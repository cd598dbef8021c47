//! Who each log line is about, and each one's sign-in attempts.
//!
//! A line names its user directly (a user name, a UDS URL, the user part of a Basic header,
//! the user id CUCM returns) or only indirectly: by the client address and port Expressway-E
//! logged, a SIP Call-ID, an HTTP transaction id, the X-Auth cookie or token a request
//! carries, or a directory number. Indirect lines are linked to the user another line names
//! with the same Call-ID, transaction, address and port or token, the same client address at
//! about the same time (only when that address is one user's then), or the same directory
//! number. A directory number is a line, never a user: unlinked, it stays `Who::Line`. Lines
//! about no one (alarms, zones, a box's own connections) are `Who::Nobody`.
//! A who's lines are then cut into sign-in attempts: at a long silence, or when a new sign-in
//! starts (an edge configuration requested again) after the previous one failed or completed.

use super::context::Ctx;
use crate::logs::identity;
use crate::model::Tagged;
use crate::model::{EventKind, Role};
use crate::report::{Party, Severity};
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::sync::Arc;

/// Keys are users, addresses and Call-IDs of every line: a fast hash (no untrusted key can
/// choose its bucket to any effect beyond slowness on one run).
type HashMap<K, V> = foldhash::HashMap<K, V>;
type HashSet<K> = foldhash::HashSet<K>;

/// Who a log line, a session, an attempt is about.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Who {
    User(String),
    /// A directory number no line ties to a user.
    Line(String),
    Client(IpAddr),
    /// A client address that more than one capture holds: the capture's.
    ClientIn(IpAddr, String),
    Nobody,
}

impl Who {
    pub fn label(&self) -> String {
        match self {
            Who::User(u) => u.clone(),
            Who::Line(n) => format!("line {n}"),
            Who::Client(ip) => format!("client {ip}"),
            Who::ClientIn(ip, capture) => format!("client {ip} in {capture}"),
            Who::Nobody => "(no user named)".into(),
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Who::User(_) => "user",
            Who::Line(_) => "line",
            Who::Client(_) | Who::ClientIn(..) => "client",
            Who::Nobody => "none",
        }
    }
}

/// Lines this close share a client address's user even behind a NAT shared by several
/// (one sign-in's steps follow each other within seconds).
const SAME_SIGN_IN_NS: i64 = 30 * 1_000_000_000;
/// Lines this close in time may share a client address's user.
const LINK_WINDOW_NS: i64 = 10 * 60 * 1_000_000_000;
/// A silence this long between one who's lines ends an attempt.
pub const ATTEMPT_GAP_NS: i64 = 10 * 60 * 1_000_000_000;
/// Ports Expressway and CUCM serve on: never a client's end of a connection.
const SERVICE_PORTS: [u16; 6] = [2222, 5060, 5061, 5222, 7400, 8443];

/// `sip:Alice@example.com` → `alice`; `https://cucm:8443/cucm-uds/user/alice/devices` →
/// `alice`; `alice@example.com/jabber_1234` (a JID) → `alice`; `alice` → `alice`.
pub fn user_from(value: &str) -> Option<String> {
    let value = value.trim().trim_start_matches('<').trim_end_matches('>');
    // A searcher built once, not `split_once`'s: its set-up costs more than most values' walk.
    static USER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"/user/"));
    // The separators are ASCII: cut at their bytes, not by decoding characters (a bundle
    // names a hundred thousand lines' users).
    fn before(text: &str, at: Option<usize>) -> &str {
        at.map_or(text, |i| &text[..i])
    }
    let value = match USER.find(value.as_bytes()) {
        Some(at) => {
            let rest = &value[at + 6..];
            before(rest, memchr::memchr2(b'/', b'?', rest.as_bytes()))
        }
        None => value,
    };
    let value = value
        .strip_prefix("sip:")
        .or_else(|| value.strip_prefix("sips:"))
        .unwrap_or(value);
    let local = before(value, memchr::memchr2(b'@', b'/', value.as_bytes())).trim();
    if local.is_empty() {
        return None;
    }
    if local.is_ascii() {
        return (!local.bytes().any(|b| b.is_ascii_whitespace() || b == 0x0b))
            .then(|| local.to_ascii_lowercase());
    }
    (!local.contains(char::is_whitespace)).then(|| local.to_lowercase())
}

/// A directory number: digits, perhaps after a `+` (E.164), and nothing else.
pub fn is_number(local: &str) -> bool {
    let digits = local.strip_prefix('+').unwrap_or(local);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// What one line says of who it is about; the keys it shares with other lines are borrowed
/// from the line.
#[derive(Default, Debug, Clone, PartialEq)]
struct Keys<'a> {
    user: Option<String>,
    number: Option<String>,
    client: Option<IpAddr>,
    call_id: Option<&'a str>,
    /// An HTTP transaction on one box (input, Txn-id): a request and its answer.
    txn: Option<(usize, &'a str)>,
    /// The client's address and port as Expressway-E logged them: a request and its answer
    /// on one connection.
    endpoint: Option<(IpAddr, u16)>,
    /// The digest of the X-Auth cookie or bearer token a request carries: one client's session.
    token: Option<&'a str>,
}

fn keys<'a>(ctx: &Ctx<'_>, t: &'a Tagged) -> Keys<'a> {
    let EventKind::LogSignature {
        signature,
        fields,
        host,
        ..
    } = &t.event.kind
    else {
        return Keys::default();
    };
    let mut k = Keys {
        call_id: fields.get("call_id"),
        txn: fields.get("Txn-id").map(|id| (t.input, id)),
        token: fields.get(identity::TOKEN),
        ..Keys::default()
    };
    let sig = ctx.catalog.get(signature);
    let name = |value: &str, k: &mut Keys| match value.trim().parse::<IpAddr>() {
        Ok(ip) => k.client = k.client.or(Some(ip)),
        Err(_) => match user_from(value) {
            Some(u) if is_number(&u) => k.number = k.number.take().or(Some(u)),
            Some(u) => k.user = k.user.take().or(Some(u)),
            None => {}
        },
    };
    if let Some(v) = sig
        .and_then(|s| s.subject.as_ref())
        .and_then(|f| fields.get(f))
    {
        name(v, &mut k);
    }
    for f in [
        identity::AUTH_USER,
        identity::UDS_USER,
        identity::SIP_USERID,
    ] {
        if let Some(v) = fields.get(f) {
            name(v, &mut k);
        }
    }
    // The client's address as Expressway-E saw it: Expressway-C sees Expressway-E there. A
    // forwarded request's own header names the client, wherever it is logged.
    let on_c = sig.is_some_and(|s| s.log == "expressway")
        && ctx.roles.of(&ctx.inputs[t.input], host.as_deref()) == Party::ExpresswayC;
    if on_c {
        k.client = None;
    }
    let client_field = sig
        .and_then(|s| s.client.as_ref())
        .and_then(|f| fields.get(f))
        .filter(|_| !on_c);
    if let Some(ip) = fields
        .get(identity::CLIENT_IP)
        .and_then(|v| v.trim().parse().ok())
    {
        k.client = Some(ip);
    } else {
        if k.client.is_none() {
            k.client = client_field.and_then(|v| v.trim().parse().ok());
        }
        // A client's source port is ephemeral; a service port (Expressway-E's traversal
        // 7001, SIP's 5061 when roles are unknown) would tie every user of a box together.
        let port = fields
            .get("Src-port")
            .or_else(|| fields.get("Dst-port"))
            .and_then(|p| p.trim().parse::<u16>().ok())
            .filter(|p| *p >= 1024 && !SERVICE_PORTS.contains(p) && !(7001..=7010).contains(p));
        if let (Some(ip), Some(port)) = (k.client, port) {
            k.endpoint = Some((ip, port));
        }
    }
    k
}

/// Who each of `hits` is about, in the same order.
pub fn link(ctx: &Ctx<'_>, hits: &[&Tagged]) -> Vec<Who> {
    let keys: Vec<Keys> = hits.par_iter().map(|t| keys(ctx, t)).collect();
    // Each user's name held once and shared by their lines: the rounds below hand names
    // from line to line.
    let mut names: HashMap<&str, Arc<str>> = HashMap::default();
    let mut user: Vec<Option<Arc<str>>> = keys
        .iter()
        .map(|k| {
            let u = k.user.as_deref()?;
            Some(names.entry(u).or_insert_with(|| Arc::from(u)).clone())
        })
        .collect();
    drop(names);
    // A Jabber log is one client's: its lines that name no one are that user's, when its
    // lines name exactly one.
    let mut per_input: HashMap<usize, Option<&str>> = HashMap::default();
    for (t, u) in hits.iter().zip(&user) {
        if is_jabber(ctx, t)
            && let Some(u) = u
        {
            per_input
                .entry(t.input)
                .and_modify(|have| {
                    if *have != Some(&**u) {
                        *have = None
                    }
                })
                .or_insert(Some(u));
        }
    }
    let per_input: HashMap<usize, Arc<str>> = per_input
        .into_iter()
        .filter_map(|(i, u)| Some((i, Arc::from(u?))))
        .collect();
    for (t, u) in hits.iter().zip(user.iter_mut()) {
        if u.is_none() && is_jabber(ctx, t) {
            *u = per_input.get(&t.input).cloned();
        }
    }
    // Three rounds: each link found may open another (a Call-ID's user gives its client
    // address a user, which names another request of that client). Each step only names
    // lines that named no one, from what the others name: a round that names no more lines
    // leaves the next ones nothing to do.
    let named = |user: &[Option<Arc<str>>]| user.iter().filter(|u| u.is_some()).count();
    // The shared keys as numbers, once (one pass of hashing each, side by side): the rounds
    // then go by index, not by hashing every line's Call-ID again.
    let ((call_id, txn), (endpoint, token)) = rayon::join(
        || {
            rayon::join(
                || numbered(&keys, |k| k.call_id),
                || numbered(&keys, |k| k.txn),
            )
        },
        || {
            rayon::join(
                || numbered(&keys, |k| k.endpoint),
                || numbered(&keys, |k| k.token),
            )
        },
    );
    let shared = [call_id, txn, endpoint, token];
    for _ in 0..3 {
        let before = named(&user);
        for key in &shared {
            by_shared(key, &mut user);
        }
        by_client(hits, &keys, &mut user);
        by_number(hits, &keys, &mut user);
        if named(&user) == before {
            break;
        }
    }
    keys.iter()
        .zip(user)
        .map(|(k, u)| match (u, &k.number, k.client) {
            (Some(u), ..) => Who::User(u.to_string()),
            (None, Some(n), _) => Who::Line(n.clone()),
            (None, None, Some(ip)) => Who::Client(ip),
            (None, None, None) => Who::Nobody,
        })
        .collect()
}

fn is_jabber(ctx: &Ctx<'_>, t: &Tagged) -> bool {
    matches!(&t.event.kind, EventKind::LogSignature { signature, .. }
        if ctx.catalog.get(signature).is_some_and(|s| s.log == "jabber"))
}

/// One key's values numbered from 0 in the order lines first hold them: `of[i]` is line
/// `i`'s (`NONE` when it holds none), `count` how many values there are.
struct Numbered {
    of: Vec<u32>,
    count: usize,
}

const NONE: u32 = u32::MAX;

fn numbered<'a, K: std::hash::Hash + Eq>(
    keys: &[Keys<'a>],
    key: impl Fn(&Keys<'a>) -> Option<K>,
) -> Numbered {
    let mut ids: HashMap<K, u32> = HashMap::default();
    let of = keys
        .iter()
        .map(|k| match key(k) {
            Some(value) => {
                let next = ids.len() as u32;
                *ids.entry(value).or_insert(next)
            }
            None => NONE,
        })
        .collect();
    Numbered {
        of,
        count: ids.len(),
    }
}

/// Every line of a Call-ID (or of an HTTP transaction) is the user one of them names (when
/// they name only one).
fn by_shared(key: &Numbered, user: &mut [Option<Arc<str>>]) {
    // Only the values of lines still unnamed are worth gathering votes for: after the first
    // round a few hundred of a bundle's hundred thousand lines.
    let mut wanted = vec![false; key.count];
    let mut any = false;
    for (&id, u) in key.of.iter().zip(user.iter()) {
        if u.is_none() && id != NONE {
            wanted[id as usize] = true;
            any = true;
        }
    }
    if !any {
        return;
    }
    // Per value: the line whose user the others named agree with, or none when two disagree.
    const UNSEEN: u32 = u32::MAX;
    const DISAGREE: u32 = u32::MAX - 1;
    let mut named = vec![UNSEEN; key.count];
    for (line, (&id, u)) in key.of.iter().zip(user.iter()).enumerate() {
        let Some(u) = u else {
            continue;
        };
        if id == NONE || !wanted[id as usize] {
            continue;
        }
        let slot = &mut named[id as usize];
        match *slot {
            UNSEEN => *slot = line as u32,
            DISAGREE => {}
            first => {
                if user[first as usize].as_ref().is_some_and(|h| h != u) {
                    *slot = DISAGREE;
                }
            }
        }
    }
    for line in 0..user.len() {
        let id = key.of[line];
        if user[line].is_none() && id != NONE {
            let by = named[id as usize];
            if by != UNSEEN && by != DISAGREE {
                user[line] = user[by as usize].clone();
            }
        }
    }
}

/// A sign-in start whose user no line names (an OAuth client), as a candidate at its address.
const UNNAMED: &str = "";

/// The one user named by `candidates` (time, user) near `ts`: within seconds (one sign-in's
/// steps), else within the window; none when two users are as near (a shared NAT).
/// Timed candidates are in time order (see [`address_votes`]); untimed, in any.
fn only_user_near(candidates: &[(i64, Arc<str>)], ts: i64, timed: bool) -> Option<&Arc<str>> {
    let within = |window: i64| {
        let mut found: Option<&Arc<str>> = None;
        let near = if timed {
            around(candidates, ts, window)
        } else {
            candidates
        };
        for (_, u) in near {
            // Someone unnamed signs in from there too: the address tells them apart from nobody.
            if &**u == UNNAMED {
                return Err(());
            }
            match found {
                Some(f) if f != u => return Err(()),
                _ => found = Some(u),
            }
        }
        Ok(found)
    };
    if timed && let Ok(Some(one)) = within(SAME_SIGN_IN_NS) {
        return Some(one);
    }
    within(LINK_WINDOW_NS).ok().flatten()
}

/// A line that gives only the client's address: the user other lines of that address name
/// near it in time, when they name one user only and no unnamed sign-in (an OAuth client)
/// starts from it then (a NAT shared by several users links nothing); a sign-in start itself
/// only on an address one user has to themselves. Lines that name their user themselves vote
/// first: a refresh REGISTER that got its user through its Call-ID says less of who else
/// signs in from that address; it is heard only when no such line is near.
fn by_client(hits: &[&Tagged], keys: &[Keys], user: &mut [Option<Arc<str>>]) {
    // Votes are gathered only at the addresses of lines still unnamed.
    let wanted: HashSet<IpAddr> = hits
        .iter()
        .zip(keys)
        .zip(user.iter())
        .filter(|((t, _), u)| u.is_none() && t.event.ts != crate::time::UNKNOWN)
        .filter_map(|((_, k), _)| k.client)
        .collect();
    if wanted.is_empty() {
        return;
    }
    let (direct, linked) = address_votes(hits, keys, user, &wanted);
    let near = |list: Option<&Vec<(i64, Arc<str>)>>, ts: i64| {
        list.is_some_and(|l| !around(l, ts, LINK_WINDOW_NS).is_empty())
    };
    let users_at = users_at(&direct, &linked);
    let registers = register_times(hits, keys, user, &wanted);
    let mut found: Vec<(usize, Arc<str>)> = Vec::new();
    for (i, (t, k)) in hits.iter().zip(keys).enumerate() {
        let ts = t.event.ts;
        if user[i].is_some() || ts == crate::time::UNKNOWN {
            continue;
        }
        let Some(ip) = k.client else {
            continue;
        };
        if t.event.kind.role() == Some(Role::SignInStart) {
            // A new sign-in is tied to a user by its address alone only when the address is
            // that one user's in the whole input and their REGISTER follows within seconds.
            if let Some([only]) = users_at.get(&ip).map(Vec::as_slice)
                && registers.get(&ip).is_some_and(|list| {
                    around(list, ts, SAME_SIGN_IN_NS)
                        .iter()
                        .any(|(rts, ru)| ru == only && *rts > ts)
                })
            {
                found.push((i, Arc::from(*only)));
            }
            continue;
        }
        let voters = if near(direct.get(&ip), ts) {
            direct.get(&ip)
        } else {
            linked.get(&ip)
        };
        if let Some(one) = voters.and_then(|list| only_user_near(list, ts, true)) {
            found.push((i, one.clone()));
        }
    }
    for (i, u) in found {
        user[i] = Some(u);
    }
}

/// Per client address of `wanted`, the users its timed lines name: by lines that name their
/// user themselves (with the unnamed sign-in starts, which compete with them), and by lines
/// linked to a user some other way.
fn address_votes(
    hits: &[&Tagged],
    keys: &[Keys],
    user: &[Option<Arc<str>>],
    wanted: &HashSet<IpAddr>,
) -> (Votes, Votes) {
    let mut direct: Votes = HashMap::default();
    let mut linked: Votes = HashMap::default();
    for ((t, k), u) in hits.iter().zip(keys).zip(user.iter()) {
        let (Some(ip), Some(u)) = (k.client, u) else {
            continue;
        };
        if t.event.ts == crate::time::UNKNOWN || !wanted.contains(&ip) {
            continue;
        }
        let to = if k.user.is_some() {
            &mut direct
        } else {
            &mut linked
        };
        to.entry(ip).or_default().push((t.event.ts, u.clone()));
    }
    // A sign-in from the address that names no one competes with the named ones.
    let unnamed: Arc<str> = Arc::from(UNNAMED);
    for ((t, k), u) in hits.iter().zip(keys).zip(user.iter()) {
        if let (Some(ip), None) = (k.client, u)
            && t.event.kind.role() == Some(Role::SignInStart)
            && t.event.ts != crate::time::UNKNOWN
            && wanted.contains(&ip)
        {
            direct
                .entry(ip)
                .or_default()
                .push((t.event.ts, unnamed.clone()));
        }
    }
    // Stable: lines of one instant keep their order (no answer depends on it).
    for list in direct.values_mut().chain(linked.values_mut()) {
        list.sort_by_key(|(at, _)| *at);
    }
    (direct, linked)
}

/// Per client address: (time, user) of the lines that name one, in time order.
type Votes = HashMap<IpAddr, Vec<(i64, Arc<str>)>>;

/// The entries of a time-ordered list within `window` of `ts` (a shared address, Expressway-E's
/// own or a NAT's, has thousands: each line looks only at those near it).
fn around<T>(list: &[(i64, T)], ts: i64, window: i64) -> &[(i64, T)] {
    let from = list.partition_point(|(at, _)| *at < ts.saturating_sub(window));
    let to = list.partition_point(|(at, _)| *at <= ts.saturating_add(window));
    &list[from..to.max(from)]
}

/// Who was ever named at each address.
fn users_at<'v>(direct: &'v Votes, linked: &'v Votes) -> HashMap<IpAddr, Vec<&'v str>> {
    let mut users_at: HashMap<IpAddr, Vec<&str>> = HashMap::default();
    for list in [direct, linked] {
        for (ip, named) in list.iter() {
            let at = users_at.entry(*ip).or_default();
            for (_, u) in named {
                if &**u != UNNAMED && !at.contains(&&**u) {
                    at.push(u);
                }
            }
        }
    }
    users_at
}

/// Each address's REGISTER times and users, in time order, looked up per sign-in start.
fn register_times<'u>(
    hits: &[&Tagged],
    keys: &[Keys],
    user: &'u [Option<Arc<str>>],
    wanted: &HashSet<IpAddr>,
) -> HashMap<IpAddr, Vec<(i64, &'u str)>> {
    let mut registers: HashMap<IpAddr, Vec<(i64, &str)>> = HashMap::default();
    for ((t, k), u) in hits.iter().zip(keys).zip(user.iter()) {
        if t.event.kind.role().and_then(Role::trail) == Some("REGISTER")
            && let (Some(ip), Some(u)) = (k.client, u)
            && wanted.contains(&ip)
        {
            registers.entry(ip).or_default().push((t.event.ts, u));
        }
    }
    for list in registers.values_mut() {
        list.sort_by_key(|(at, _)| *at);
    }
    registers
}

/// A directory number is the line of the user whose registration carried it (by Call-ID or
/// client address): its other lines are that user's, unless the number is several users'.
fn by_number(hits: &[&Tagged], keys: &[Keys], user: &mut [Option<Arc<str>>]) {
    let wanted: HashSet<&str> = keys
        .iter()
        .zip(user.iter())
        .filter(|(_, u)| u.is_none())
        .filter_map(|(k, _)| k.number.as_deref())
        .collect();
    if wanted.is_empty() {
        return;
    }
    let mut named: HashMap<&str, Vec<(i64, Arc<str>)>> = HashMap::default();
    for ((t, k), u) in hits.iter().zip(keys).zip(user.iter()) {
        if let (Some(n), Some(u)) = (&k.number, u)
            && wanted.contains(n.as_str())
        {
            named.entry(n).or_default().push((t.event.ts, u.clone()));
        }
    }
    for (k, u) in keys.iter().zip(user.iter_mut()) {
        if u.is_none()
            && let Some(list) = k.number.as_deref().and_then(|n| named.get(n))
        {
            // A number belongs to its user for the whole bundle, not for a window.
            *u = only_user_near(list, 0, false).cloned();
        }
    }
}

/// The one user these lines name, if they name exactly one.
pub fn the_user<'w>(whos: impl IntoIterator<Item = &'w Who>) -> Option<String> {
    let mut user: Option<&str> = None;
    for w in whos {
        if let Who::User(u) = w {
            match user {
                Some(have) if have != u => return None,
                _ => user = Some(u),
            }
        }
    }
    user.map(str::to_string)
}

/// Lines (indices into `hits`) in a capture attempt's window that name several users: the
/// capture shows one sign-in. The user `tied` to it (a line logged from one of its
/// connections' client ports) keeps theirs; else, among a few users, the one whose first line
/// comes nearest the attempt's start; among more than [`NEAR_USERS_GUESSED`], nobody (a busy
/// cluster's window holds dozens: the nearest would be a guess that names the wrong person).
/// The kept user's lines and the lines naming no user are kept; the rest handed back.
pub fn one_user_near(
    hits: &[&Tagged],
    whos: &[Who],
    lines: &[usize],
    start: i64,
    tied: Option<&str>,
) -> (Vec<usize>, Vec<usize>) {
    // Each user's first line (a busy bundle's window holds hundreds of users).
    let mut first: HashMap<&str, i64> = HashMap::default();
    for &i in lines {
        if let Who::User(user) = &whos[i] {
            let ts = hits[i].event.ts;
            first
                .entry(user)
                .and_modify(|at| *at = (*at).min(ts))
                .or_insert(ts);
        }
    }
    if first.len() < 2 {
        return (lines.to_vec(), Vec::new());
    }
    let chosen = match tied {
        Some(user) if first.contains_key(user) => Some(user.to_string()),
        _ if first.len() > NEAR_USERS_GUESSED => None,
        _ => first
            .iter()
            .min_by_key(|(u, ts)| (ts.abs_diff(start), **u))
            .map(|(u, _)| u.to_string()),
    };
    // Nobody taken in a crowd: a line of a directory number or a client address is some other
    // sign-in of that crowd too; only the boxes' own lines stay.
    let crowd = chosen.is_none();
    lines.iter().partition(|&&i| match &whos[i] {
        Who::User(u) => Some(u.as_str()) == chosen.as_deref(),
        Who::Line(_) | Who::Client(_) | Who::ClientIn(..) => !crowd,
        Who::Nobody => true,
    })
}

/// The most users in a capture attempt's window among whom the nearest is taken for its
/// sign-in when nothing ties one to it.
pub const NEAR_USERS_GUESSED: usize = 3;

/// The user lines logged from these client ports name, when exactly one user's are: the port
/// Expressway-E logged (`Src-port`) is the capture's connection's, unless a NAT changed it.
/// Where other clients' ports collide often (a busy window: dozens of lines with ports), one
/// line is not enough: two of the attempt's ports must tie the same user. `ports` are the
/// attempt's connections' client ports.
pub fn tied_by_port<'w>(
    hits: &[&Tagged],
    whos: &'w [Who],
    lines: &[usize],
    ports: &[u16],
) -> Option<&'w str> {
    let mut ties: BTreeMap<&str, BTreeSet<u16>> = BTreeMap::new();
    let mut with_port = 0usize;
    for &i in lines {
        let EventKind::LogSignature { fields, .. } = &hits[i].event.kind else {
            continue;
        };
        let Some(port) = fields.get("Src-port").and_then(|p| p.parse::<u16>().ok()) else {
            continue;
        };
        with_port += 1;
        if let Who::User(user) = &whos[i]
            && ports.contains(&port)
        {
            ties.entry(user).or_default().insert(port);
        }
    }
    let mut ties = ties.into_iter();
    let (Some((user, tied)), None) = (ties.next(), ties.next()) else {
        return None;
    };
    let rare = crate::align::collision_rare(with_port, ports.len());
    (rare || tied.len() >= 2).then_some(user)
}

/// The other users a capture session's note names, before "and N more".
const OTHERS_NAMED: usize = 8;

/// Says which users' lines fell in a capture session's time but were judged apart.
pub fn others_note(
    ctx: &Ctx<'_>,
    hits: &[&Tagged],
    whos: &[Who],
    others: &[usize],
    kept: Option<&str>,
    by_port: bool,
) -> crate::report::Finding {
    // In the order their lines come; a busy bundle's window names hundreds: the first few.
    let mut seen: std::collections::HashSet<&str> = Default::default();
    let mut names: Vec<&str> = Vec::new();
    for &i in others {
        if let Who::User(u) = &whos[i]
            && seen.insert(u.as_str())
        {
            names.push(u);
        }
    }
    let mut listed = names
        .iter()
        .take(OTHERS_NAMED)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > OTHERS_NAMED {
        listed.push_str(&format!(" and {} more", names.len() - OTHERS_NAMED));
    }
    let summary = match kept {
        Some(kept) if by_port => format!(
            "log lines of {listed} fall in this capture's time but name other users than {kept}: judged in their own sessions (the capture's sign-in is {kept}'s: Expressway-E logged their request from the capture's client port)"
        ),
        Some(kept) => format!(
            "log lines of {listed} fall in this capture's time but name other users than {kept}: judged in their own sessions (the capture's sign-in is taken as the user whose lines come nearest its start)"
        ),
        None => format!(
            "log lines of {listed} fall in this capture's time, and no line ties one of them to the capture's client (a client port Expressway-E logged): none is taken for its sign-in, each is judged in its own session (--user focuses one)"
        ),
    };
    crate::report::Finding {
        severity: Severity::Info,
        id: "sessions.other_users".into(),
        phase: crate::faults::Phase::Provisioning,
        summary,
        evidence: others
            .iter()
            .take(3)
            .map(|&i| ctx.evidence(hits[i], "another user's line"))
            .collect(),
    }
}

/// One who's lines of one sign-in attempt.
pub struct LogAttempt<'a> {
    pub who: Who,
    pub hits: Vec<&'a Tagged>,
}

/// Cut each who's lines into attempts, in order of each who's first line; lines without a
/// UTC time join their who's last attempt (they cannot be placed).
pub fn attempts<'a>(hits: &[&'a Tagged], whos: &[Who]) -> Vec<LogAttempt<'a>> {
    let mut order: Vec<&Who> = Vec::new();
    let mut lines: HashMap<&Who, Vec<&'a Tagged>> = HashMap::default();
    for (t, who) in hits.iter().zip(whos) {
        lines
            .entry(who)
            .or_insert_with(|| {
                order.push(who);
                Vec::new()
            })
            .push(*t);
    }
    let mut out = Vec::new();
    for who in order {
        let mut mine = lines.remove(who).unwrap_or_default();
        mine.sort_by_key(|t| (t.event.ts, t.input));
        let (untimed, timed): (Vec<&Tagged>, Vec<&Tagged>) = mine
            .into_iter()
            .partition(|t| t.event.ts == crate::time::UNKNOWN || !super::logs::placed_in_time(t));
        let mut cut: Vec<Vec<&'a Tagged>> = Vec::new();
        let mut current: Vec<&'a Tagged> = Vec::new();
        let mut settled = false;
        for t in timed {
            let gap = current
                .last()
                .is_some_and(|last| t.event.ts.saturating_sub(last.event.ts) > ATTEMPT_GAP_NS);
            let restart =
                who != &Who::Nobody && settled && t.event.kind.role() == Some(Role::SignInStart);
            if gap || restart {
                cut.push(std::mem::take(&mut current));
                settled = false;
            }
            settled |= matches!(&t.event.kind, EventKind::LogSignature { severity, .. } if *severity == Severity::Fault)
                || t.event.kind.role() == Some(Role::RegisterAccepted);
            current.push(t);
        }
        current.extend(untimed);
        cut.push(current);
        out.extend(
            cut.into_iter()
                .filter(|c| !c.is_empty())
                .map(|hits| LogAttempt {
                    who: who.clone(),
                    hits,
                }),
        );
    }
    box_lines_join_their_only_attempt(out)
}

/// A line about no one (an alarm, a box's failed link) that falls in the time of exactly one
/// named attempt belongs to it; among several users' attempts it stays a line of its own.
fn box_lines_join_their_only_attempt(mut attempts: Vec<LogAttempt<'_>>) -> Vec<LogAttempt<'_>> {
    let margin = super::logs::MARGIN_NS;
    let spans: Vec<Option<(i64, i64)>> = attempts
        .iter()
        .map(|a| {
            let times: Vec<i64> = a
                .hits
                .iter()
                .map(|t| t.event.ts)
                .filter(|&ts| ts != crate::time::UNKNOWN)
                .collect();
            let (lo, hi) = (times.iter().min()?, times.iter().max()?);
            (a.who != Who::Nobody).then(|| (lo.saturating_sub(margin), hi.saturating_add(margin)))
        })
        .collect();
    let named = attempts.iter().filter(|a| a.who != Who::Nobody).count();
    let whos_of: Vec<Who> = attempts.iter().map(|a| a.who.clone()).collect();
    let mut moved: Vec<(usize, &Tagged)> = Vec::new();
    for a in attempts.iter_mut().filter(|a| a.who == Who::Nobody) {
        a.hits.retain(|t| {
            let ts = t.event.ts;
            let holders: Vec<usize> = if ts == crate::time::UNKNOWN {
                // An untimed line: only when there is one named attempt at all.
                if named == 1 {
                    spans.iter().position(Option::is_some).into_iter().collect()
                } else {
                    Vec::new()
                }
            } else {
                spans
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| s.is_some_and(|(lo, hi)| lo <= ts && ts <= hi))
                    .map(|(i, _)| i)
                    .collect()
            };
            // Several attempts of one who hold it: the one nearest in time.
            let one_who = holders.iter().all(|&i| whos_of[i] == whos_of[holders[0]]);
            match holders[..] {
                [] => true,
                _ if one_who => {
                    let nearest = holders
                        .iter()
                        .copied()
                        .min_by_key(|&i| {
                            spans[i].map_or(u64::MAX, |(lo, hi)| {
                                let (lo, hi) =
                                    (lo.saturating_add(margin), hi.saturating_sub(margin));
                                if ts < lo {
                                    lo.abs_diff(ts)
                                } else if ts > hi {
                                    ts.abs_diff(hi)
                                } else {
                                    0
                                }
                            })
                        })
                        .expect("not empty");
                    moved.push((nearest, *t));
                    false
                }
                _ => true,
            }
        });
    }
    for (i, t) in moved {
        attempts[i].hits.push(t);
    }
    for a in &mut attempts {
        a.hits.sort_by_key(|t| (t.event.ts, t.input));
    }
    attempts.retain(|a| !a.hits.is_empty());
    attempts
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `user_from` as it was written first, by characters: the byte cuts must agree with it.
    fn user_from_by_chars(value: &str) -> Option<String> {
        let value = value.trim().trim_start_matches('<').trim_end_matches('>');
        let value = match value.split_once("/user/") {
            Some((_, rest)) => rest.split(['/', '?']).next().unwrap_or(rest),
            None => value,
        };
        let value = value
            .strip_prefix("sip:")
            .or_else(|| value.strip_prefix("sips:"))
            .unwrap_or(value);
        let local = value.split(['@', '/']).next().unwrap_or(value).trim();
        (!local.is_empty() && !local.contains(char::is_whitespace)).then(|| local.to_lowercase())
    }

    proptest::proptest! {
        #[test]
        fn a_user_is_cut_from_its_value_as_by_characters(
            parts in proptest::collection::vec(
                proptest::sample::select(&[
                    "/user/", "sip:", "sips:", "@", "/", "?", "<", ">", " ", "\t", "\u{0b}",
                    "\u{a0}", "\u{2003}", "\u{c9}", "\u{e9}", "\u{130}", "Alice", "bob", "7",
                    "example.com", "https://10.0.40.5:8443/cucm-uds",
                ][..]),
                0..8,
            )
        ) {
            let value = parts.concat();
            proptest::prop_assert_eq!(user_from(&value), user_from_by_chars(&value), "{:?}", value);
        }
    }

    #[test]
    fn users_are_named_alike_from_aors_urls_jids_and_names() {
        for v in [
            "sip:Alice@example.com",
            "<sips:alice@example.com>",
            "https://10.0.40.5:8443/cucm-uds/user/alice/devices",
            "alice",
            " alice@example.com ",
            "alice@example.com/jabber_4711",
        ] {
            assert_eq!(user_from(v).as_deref(), Some("alice"), "{v}");
        }
        assert_eq!(user_from(""), None);
        assert_eq!(user_from("two words"), None);
    }

    const S: i64 = 1_000_000_000;

    fn line(n: u64, ts: i64, signature: &str, severity: Severity) -> Tagged {
        Tagged {
            input: 0,
            event: crate::model::Event {
                frame: 0,
                ts,
                kind: EventKind::LogSignature {
                    line: n,
                    signature: signature.into(),
                    phase: crate::faults::Phase::Provisioning,
                    fault: None,
                    severity,
                    time_basis: crate::logs::grammar::TimeBasis::Utc,
                    host: None,
                    fields: Default::default(),
                    excerpt: "".into(),
                    role: match signature {
                        "edge-config-request" => Some(crate::model::Role::SignInStart),
                        "sip-register-accepted" => Some(crate::model::Role::RegisterAccepted),
                        _ => None,
                    },
                },
            },
        }
    }

    fn cut(lines: &[(Tagged, Who)]) -> Vec<(Who, Vec<u64>)> {
        let hits: Vec<&Tagged> = lines.iter().map(|(t, _)| t).collect();
        let whos: Vec<Who> = lines.iter().map(|(_, w)| w.clone()).collect();
        attempts(&hits, &whos)
            .into_iter()
            .map(|a| {
                let lines = a
                    .hits
                    .iter()
                    .map(|t| match &t.event.kind {
                        EventKind::LogSignature { line, .. } => *line,
                        _ => 0,
                    })
                    .collect();
                (a.who, lines)
            })
            .collect()
    }

    #[test]
    fn attempts_are_cut_at_a_restart_after_a_failure_and_at_a_long_silence() {
        let alice = || Who::User("alice".into());
        let (info, fault) = (Severity::Info, Severity::Fault);
        let got = cut(&[
            (line(1, 0, "edge-config-request", info), alice()),
            (line(2, S, "cucm-uds-401", fault), alice()),
            // Retried after the 401: a new attempt.
            (line(3, 30 * S, "edge-config-request", info), alice()),
            (line(4, 33 * S, "sip-register-accepted", info), alice()),
            // Refreshes within the attempt, then eleven minutes of silence.
            (line(5, 150 * S, "sip-register-accepted", info), alice()),
            (line(6, 810 * S, "sip-register-accepted", info), alice()),
        ]);
        assert_eq!(
            got,
            vec![
                (alice(), vec![1, 2]),
                (alice(), vec![3, 4, 5]),
                (alice(), vec![6])
            ]
        );
    }

    #[test]
    fn a_line_about_no_one_joins_the_only_attempt_of_its_time() {
        let (alice, bob) = (Who::User("alice".into()), Who::User("bob".into()));
        let info = Severity::Info;
        let got = cut(&[
            (line(1, 0, "edge-config-request", info), alice.clone()),
            (line(2, 5 * S, "alarm-cucm-unavailable", info), Who::Nobody),
            (
                line(3, 1000 * S, "edge-config-request", info),
                alice.clone(),
            ),
            (line(4, 1001 * S, "edge-config-request", info), bob.clone()),
            // Both alice's and bob's attempts hold this time: it stays apart.
            (
                line(5, 1002 * S, "xcp-7400-connect-failed", info),
                Who::Nobody,
            ),
        ]);
        assert_eq!(
            got,
            vec![
                (alice.clone(), vec![1, 2]),
                (alice, vec![3]),
                (Who::Nobody, vec![5]),
                (bob, vec![4]),
            ]
        );
    }

    #[test]
    fn a_directory_number_is_not_a_user() {
        assert!(is_number("40117"));
        assert!(is_number("+4940117"));
        assert!(!is_number("alice"));
        assert!(!is_number("4011a"));
        assert!(!is_number("+"));
    }

    /// A request line from `port`, by `user`, `secs` after the attempt's start.
    fn from_port(secs: i64, port: Option<u16>, user: &str) -> (Tagged, Who) {
        let mut t = line(
            secs as u64,
            secs * 1_000_000_000,
            "edge-config-request",
            Severity::Info,
        );
        if let (Some(port), EventKind::LogSignature { fields, .. }) = (port, &mut t.event.kind) {
            *fields =
                std::collections::BTreeMap::from([("Src-port".to_string(), port.to_string())])
                    .into();
        }
        (t, Who::User(user.into()))
    }

    fn near(lines: &[(Tagged, Who)], ports: &[u16]) -> (Option<String>, Vec<usize>) {
        let hits: Vec<&Tagged> = lines.iter().map(|(t, _)| t).collect();
        let whos: Vec<Who> = lines.iter().map(|(_, w)| w.clone()).collect();
        let all: Vec<usize> = (0..lines.len()).collect();
        let tied = tied_by_port(&hits, &whos, &all, ports);
        let (kept, _) = one_user_near(&hits, &whos, &all, 0, tied);
        (the_user(kept.iter().map(|&i| &whos[i])), kept)
    }

    #[test]
    fn a_capture_takes_the_user_its_port_ties_else_the_nearest_of_a_few_else_nobody() {
        // Two users: the nearest.
        let few = [from_port(5, None, "alice"), from_port(40, None, "bob")];
        assert_eq!(near(&few, &[]).0.as_deref(), Some("alice"));
        // bob's request came from the capture's connection's port: bob, however far.
        let tied = [
            from_port(5, Some(50001), "alice"),
            from_port(40, Some(61000), "bob"),
        ];
        assert_eq!(near(&tied, &[61000]).0.as_deref(), Some("bob"));
        // A busy cluster: a dozen users in the window, no port: nobody, and no line of
        // theirs is kept.
        let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"];
        let crowd = || -> Vec<(Tagged, Who)> {
            names
                .iter()
                .enumerate()
                .map(|(n, u)| from_port(n as i64 * 7, Some(50000 + n as u16), u))
                .collect()
        };
        let busy = crowd();
        assert_eq!(near(&busy, &[]), (None, Vec::new()));
        // ... nor a line of a number or an address in that crowd; a box's line stays.
        let mut mixed = crowd();
        mixed.push((from_port(3, None, "x").0, Who::Line("4001".into())));
        mixed.push((
            from_port(4, None, "x").0,
            Who::Client("198.51.100.7".parse().unwrap()),
        ));
        mixed.push((from_port(5, None, "x").0, Who::Nobody));
        assert_eq!(near(&mixed, &[]), (None, vec![14]));
        // Among a few users, they stay with the nearest, as before.
        let mut few_mixed = vec![from_port(5, None, "alice"), from_port(40, None, "bob")];
        few_mixed.push((from_port(6, None, "x").0, Who::Line("4001".into())));
        assert_eq!(near(&few_mixed, &[]), (Some("alice".into()), vec![0, 2]));
        // ... unless one line is from the capture's port.
        assert_eq!(near(&busy, &[50009]).0.as_deref(), Some("j"));
        // A hundred lines with ports in the window: another client's port is met by chance
        // often, and one line ties nobody; two of the attempt's ports, the same user.
        let hundred = || -> Vec<(Tagged, Who)> {
            (0..100)
                .map(|n| from_port(n, Some(40000 + n as u16), &format!("u{n}")))
                .collect()
        };
        let ports = [40007, 52001, 52002, 52003];
        assert_eq!(near(&hundred(), &ports).0, None);
        let mut again = hundred();
        again.push(from_port(3, Some(52002), "u7"));
        assert_eq!(near(&again, &ports).0.as_deref(), Some("u7"));
        // Two users from the capture's ports (a NAT's reuse): neither is tied.
        let mut two = crowd();
        two[3] = from_port(21, Some(50009), "d");
        assert_eq!(near(&two, &[50009]).0, None);
    }

    #[test]
    fn one_user_near_in_time_or_none() {
        let min = 60 * 1_000_000_000i64;
        let only = |list: &[(i64, Arc<str>)], ts, timed| {
            only_user_near(list, ts, timed).map(|u| u.to_string())
        };
        let list: Vec<(i64, Arc<str>)> = vec![(0, "alice".into()), (30 * min, "bob".into())];
        assert_eq!(only(&list, 2 * min, true), Some("alice".into()));
        assert_eq!(only(&list, 29 * min, true), Some("bob".into()));
        assert_eq!(only(&list, 15 * min, true), None, "neither within 10 min");
        // Both in the window: a shared address (a NAT) links nobody, unless one user's line
        // is seconds away (the same sign-in).
        let near: Vec<(i64, Arc<str>)> = vec![(0, "alice".into()), (8 * min, "bob".into())];
        assert_eq!(only(&near, 4 * min, true), None);
        assert_eq!(
            only(&near, 8 * min + 3_000_000_000, true),
            Some("bob".into())
        );
        let both: Vec<(i64, Arc<str>)> = vec![(0, "alice".into()), (10_000_000_000, "bob".into())];
        assert_eq!(only(&both, 5_000_000_000, true), None);
        assert_eq!(only(&list, 15 * min, false), None);
        assert_eq!(only(&list[..1], 90 * min, false), Some("alice".into()));
        // An unnamed sign-in from the same address seconds away: nobody can be named.
        let oauth: Vec<(i64, Arc<str>)> =
            vec![(0, "alice".into()), (2_000_000_000, UNNAMED.into())];
        assert_eq!(only(&oauth, 3_000_000_000, true), None);
    }
}
