//! Who a log line is about — a user (a user name, an AOR, a UDS URL) or a client address —
//! as its signature's `subject` field says. When the logs hold several users, their lines
//! make one session per user; lines about no one in particular (alarms, zones) one more.

use super::{Ctx, Tagged};
use crate::model::EventKind;
use std::collections::{HashMap, HashSet};

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Subject {
    User(String),
    Client(std::net::IpAddr),
}

/// `sip:Alice@example.com` → `alice`; `https://cucm:8443/cucm-uds/user/alice/devices` →
/// `alice`; `alice` → `alice`.
fn user_from(value: &str) -> Option<String> {
    let value = value.trim().trim_start_matches('<').trim_end_matches('>');
    let value = match value.split_once("/user/") {
        Some((_, rest)) => rest.split(['/', '?']).next().unwrap_or(rest),
        None => value,
    };
    let value = value
        .strip_prefix("sip:")
        .or_else(|| value.strip_prefix("sips:"))
        .unwrap_or(value);
    let local = value.split('@').next().unwrap_or(value).trim();
    (!local.is_empty() && !local.contains(char::is_whitespace)).then(|| local.to_lowercase())
}

pub fn of(ctx: &Ctx<'_>, t: &Tagged) -> Option<Subject> {
    let EventKind::LogSignature {
        signature, fields, ..
    } = &t.event.kind
    else {
        return None;
    };
    let field = ctx
        .catalog
        .signatures
        .iter()
        .find(|s| &s.id == signature)?
        .subject
        .as_ref()?;
    let value = fields.get(field)?;
    match value.trim().parse() {
        Ok(ip) => Some(Subject::Client(ip)),
        Err(_) => user_from(value).map(Subject::User),
    }
}

/// The one user these lines name, if they name exactly one.
pub fn one_user(ctx: &Ctx<'_>, hits: &[&Tagged]) -> Option<String> {
    let mut user: Option<String> = None;
    for t in hits {
        if let Some(Subject::User(u)) = of(ctx, t) {
            match &user {
                Some(have) if *have != u => return None,
                _ => user = Some(u),
            }
        }
    }
    user
}

/// A log line placed in an attempt, with its index among the log lines.
pub type Placed<'a> = (usize, &'a Tagged);

/// Lines in a capture attempt's window that name several users: the capture shows one
/// sign-in, so the user whose first line comes nearest the attempt's start keeps theirs (and
/// the lines naming no one); the other users' lines are handed back.
pub fn one_user_near<'a>(
    ctx: &Ctx<'_>,
    lines: &[Placed<'a>],
    start: i64,
) -> (Vec<Placed<'a>>, Vec<Placed<'a>>) {
    let users: Vec<Option<String>> = lines
        .iter()
        .map(|(_, t)| match of(ctx, t) {
            Some(Subject::User(u)) => Some(u),
            _ => None,
        })
        .collect();
    let mut first: Vec<(&str, i64)> = Vec::new();
    for ((_, t), user) in lines.iter().zip(&users) {
        if let Some(user) = user {
            match first.iter_mut().find(|(u, _)| u == user) {
                Some((_, ts)) => *ts = (*ts).min(t.event.ts),
                None => first.push((user, t.event.ts)),
            }
        }
    }
    if first.len() < 2 {
        return (lines.to_vec(), Vec::new());
    }
    let chosen = first
        .iter()
        .min_by_key(|(u, ts)| (ts.abs_diff(start), *u))
        .map(|(u, _)| u.to_string())
        .expect("two users or more");
    let (mut kept, mut others) = (Vec::new(), Vec::new());
    for (line, user) in lines.iter().zip(&users) {
        match user {
            Some(u) if *u != chosen => others.push(*line),
            _ => kept.push(*line),
        }
    }
    (kept, others)
}

/// Says which users' lines fell in a capture session's time but were judged apart.
pub fn others_note(
    ctx: &Ctx<'_>,
    others: &[Placed<'_>],
    kept: Option<&str>,
) -> crate::report::Finding {
    let mut names: Vec<String> = Vec::new();
    for (_, t) in others {
        if let Some(Subject::User(u)) = of(ctx, t)
            && !names.contains(&u)
        {
            names.push(u);
        }
    }
    crate::report::Finding {
        severity: crate::report::Severity::Info,
        id: "sessions.other_users".into(),
        phase: crate::faults::Phase::Provisioning,
        summary: format!(
            "log lines of {} fall in this capture's time but name other users than {}: judged in their own sessions (the capture's sign-in is taken as the user whose lines come nearest its start)",
            names.join(", "),
            kept.unwrap_or("the one kept")
        ),
        evidence: others
            .iter()
            .take(3)
            .map(|(_, t)| ctx.evidence(t, "another user's line"))
            .collect(),
    }
}

/// The log lines no capture session took, split by who they are about: one group per user
/// when two users or more appear (else per client address, when only addresses do and two
/// or more), the rest in a group of their own. One user or one address labels the one group.
pub fn split<'a>(ctx: &Ctx<'_>, hits: &[&'a Tagged]) -> Vec<(Option<Subject>, Vec<&'a Tagged>)> {
    let subjects: Vec<Option<Subject>> = hits.iter().map(|t| of(ctx, t)).collect();
    // Users and addresses in order of first appearance (a bundle may hold thousands).
    let (mut users, mut clients): (Vec<&Subject>, Vec<&Subject>) = (Vec::new(), Vec::new());
    let mut known: HashSet<&Subject> = HashSet::new();
    for s in subjects.iter().flatten() {
        if known.insert(s) {
            match s {
                Subject::User(_) => users.push(s),
                Subject::Client(_) => clients.push(s),
            }
        }
    }
    let by = if users.len() >= 2 || (users.len() == 1 && clients.len() <= 1) {
        users
    } else if users.is_empty() {
        clients
    } else {
        Vec::new()
    };
    if by.len() == 1 {
        return vec![(Some(by[0].clone()), hits.to_vec())];
    }
    let index: HashMap<&Subject, usize> = by.iter().enumerate().map(|(i, s)| (*s, i)).collect();
    let mut groups: Vec<(Option<Subject>, Vec<&'a Tagged>)> = by
        .iter()
        .map(|s| (Some((*s).clone()), Vec::new()))
        .collect();
    let mut rest = Vec::new();
    for (t, s) in hits.iter().zip(&subjects) {
        match s.as_ref().and_then(|s| index.get(s)) {
            Some(&i) => groups[i].1.push(*t),
            None => rest.push(*t),
        }
    }
    if !rest.is_empty() {
        groups.push((None, rest));
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_are_named_alike_from_aors_urls_and_names() {
        for v in [
            "sip:Alice@example.com",
            "<sips:alice@example.com>",
            "https://10.0.40.5:8443/cucm-uds/user/alice/devices",
            "alice",
            " alice@example.com ",
        ] {
            assert_eq!(user_from(v).as_deref(), Some("alice"), "{v}");
        }
        assert_eq!(
            user_from("sip:7022@cluster.example.com").as_deref(),
            Some("7022")
        );
        assert_eq!(user_from(""), None);
        assert_eq!(user_from("two words"), None);
    }
}
