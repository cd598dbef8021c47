//! The report as a terminal may show it: every string that can hold an input's text (paths,
//! member names, host and user names, log excerpts, certificate names, summaries that quote
//! them) with its control characters escaped (`text::safe`). The text, Markdown and table
//! renderers print this copy; JSON keeps the text as read (JSON escapes it itself).

use super::{
    Evidence, Finding, Focus, InputReport, LadderStep, PhaseResult, Pointer, Report, Session,
    UserRow, Verdict,
};
use crate::text::make_safe;

/// A value whose strings can be made safe in place.
trait MakeSafe {
    fn make_safe(&mut self);
}

impl MakeSafe for String {
    fn make_safe(&mut self) {
        make_safe(self);
    }
}

impl<T: MakeSafe> MakeSafe for Option<T> {
    fn make_safe(&mut self) {
        if let Some(v) = self {
            v.make_safe();
        }
    }
}

impl<T: MakeSafe> MakeSafe for Vec<T> {
    fn make_safe(&mut self) {
        for v in self {
            v.make_safe();
        }
    }
}

impl MakeSafe for std::sync::Arc<str> {
    fn make_safe(&mut self) {
        if let std::borrow::Cow::Owned(s) = crate::text::safe(self) {
            *self = s.into();
        }
    }
}

/// Only a DNS name is input text; streams and frames are numbers.
impl MakeSafe for super::Filter {
    fn make_safe(&mut self) {
        if let super::Filter::DnsName(name) = self {
            name.make_safe();
        }
    }
}

impl<T: MakeSafe + Clone> MakeSafe for std::sync::Arc<T> {
    fn make_safe(&mut self) {
        std::sync::Arc::make_mut(self).make_safe();
    }
}

/// Shared evidence is copied only when one of its strings changes.
impl MakeSafe for Evidence {
    fn make_safe(&mut self) {
        let mut p = Pointer::clone(self);
        p.input.make_safe();
        p.filter.make_safe();
        p.note.make_safe();
        p.excerpt.make_safe();
        if p != **self {
            *self = Evidence::new(p);
        }
    }
}

impl MakeSafe for PhaseResult {
    fn make_safe(&mut self) {
        self.summary.make_safe();
        self.evidence.make_safe();
    }
}

impl MakeSafe for Verdict {
    fn make_safe(&mut self) {
        self.fault.make_safe();
        self.summary.make_safe();
        self.fix.make_safe();
        self.evidence.make_safe();
    }
}

impl MakeSafe for Finding {
    fn make_safe(&mut self) {
        self.id.make_safe();
        self.summary.make_safe();
        self.evidence.make_safe();
    }
}

impl MakeSafe for LadderStep {
    fn make_safe(&mut self) {
        self.label.make_safe();
        self.input.make_safe();
    }
}

impl MakeSafe for Session {
    fn make_safe(&mut self) {
        self.client.make_safe();
        self.capture.make_safe();
        self.user.make_safe();
        self.line.make_safe();
        self.domain.make_safe();
        self.verdict.make_safe();
        self.phases.make_safe();
        self.findings.make_safe();
        self.ladder.make_safe();
        self.ladder_clock.make_safe();
    }
}

impl MakeSafe for UserRow {
    fn make_safe(&mut self) {
        self.who.make_safe();
        self.fault.make_safe();
        self.recovered_from.make_safe();
    }
}

impl MakeSafe for Focus {
    fn make_safe(&mut self) {
        self.users.make_safe();
        self.summary.make_safe();
    }
}

impl MakeSafe for InputReport {
    fn make_safe(&mut self) {
        self.path.make_safe();
        if let Some(log) = &mut self.log {
            log.hosts.make_safe();
            log.zone.make_safe();
        }
        self.anomalies.make_safe();
        self.error.make_safe();
    }
}

impl MakeSafe for crate::model::CertSummary {
    fn make_safe(&mut self) {
        self.subject.make_safe();
        self.issuer.make_safe();
        self.common_name.make_safe();
        self.san_dns.make_safe();
    }
}

impl MakeSafe for crate::certs::CertificateReport {
    fn make_safe(&mut self) {
        self.input.make_safe();
        self.server.make_safe();
        self.sni.make_safe();
        self.chain.make_safe();
        for a in &mut self.anchors {
            a.anchor_set.make_safe();
            a.reason.make_safe();
        }
        self.mra.make_safe();
    }
}

impl Report {
    /// A copy of the report with every input-derived string safe to print to a terminal.
    pub fn made_safe(&self) -> Report {
        let mut r = self.clone();
        r.inputs.make_safe();
        r.verdict.make_safe();
        r.phases.make_safe();
        r.sessions.make_safe();
        r.users.make_safe();
        r.focus.make_safe();
        r.findings.make_safe();
        r.certificates.make_safe();
        r
    }
}

/// Certificate reports safe to print, for `mradiag certs`.
pub(super) fn certificates_made_safe(
    certs: &[crate::certs::CertificateReport],
) -> Vec<crate::certs::CertificateReport> {
    let mut certs = certs.to_vec();
    certs.make_safe();
    certs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_of_input_text_is_escaped() {
        let evil = "h\x1b]8;;x\x07\nVerdict: ok";
        let ev = Evidence::new(Pointer {
            input: evil.into(),
            frame: None,
            line: Some(1),
            ts: super::super::Stamp::utc(0),
            filter: Some(super::super::Filter::DnsName(evil.into())),
            note: evil.into(),
            excerpt: Some(evil.into()),
        });
        // The report JSON prints shares this evidence: it keeps the text as read.
        let shared = ev.clone();
        let mut f = Finding {
            severity: crate::model::Severity::Info,
            id: "x".into(),
            phase: crate::faults::Phase::Sip,
            summary: evil.into(),
            evidence: vec![ev],
        };
        f.make_safe();
        let all = format!("{f:?}");
        assert!(!f.summary.contains('\x1b') && !f.summary.contains('\n'));
        assert!(!f.evidence[0].excerpt.as_ref().unwrap().contains('\x07'));
        let filter = f.evidence[0].filter.as_ref().unwrap().to_string();
        assert!(!filter.contains('\x1b') && filter.starts_with("dns.qry.name == "));
        assert!(all.contains("\\\\x1b"), "{all}");
        assert!(shared.note.contains('\x1b') && shared.input.contains('\n'));
    }
}
