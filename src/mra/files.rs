//! Certificate files among the inputs (a bundle's `server_<host>_<timestamp>.pem`): the
//! Expressway-E certificate that stands in for a chain TLS 1.3 hides, and the ones outside
//! their validity at the bundle's time.

use super::connection;
use super::context::Ctx;
use crate::model::EventKind;
use crate::model::Tagged;
use crate::report::{Evidence, Pointer};

/// Expressway-E's server certificate from a file (a bundle's `server_<host>_*.pem`, not one
/// whose host name says Expressway-C), to judge in place of a chain TLS 1.3 hides.
pub(super) fn server_certificate<'a>(
    ctx: &Ctx<'a>,
) -> Option<(&'a Tagged, &'a [crate::model::SharedCert])> {
    ctx.events.iter().find_map(|t| match &t.event.kind {
        EventKind::CertificateFile { certs }
            if certs.first().is_some_and(|c| !crate::certs::is_ca(&c.der))
                && file_role(&ctx.roles, &ctx.inputs[t.input])
                    != crate::report::Party::ExpresswayC =>
        {
            Some((t, certs.as_slice()))
        }
        _ => None,
    })
}

/// The file's own name, without its folder or the archive it is in.
fn file_name(name: &str) -> &str {
    name.rsplit([':', '/']).next().unwrap_or(name)
}

/// E or C for a bundle file: as its bundle's dump says, else as far as the host name in the
/// file's name tells (`server_expc_2026-…pem`).
fn file_role(roles: &super::dumps::Roles, name: &str) -> crate::report::Party {
    let host = super::dumps::host_from_file_name(name).or_else(|| {
        let file = file_name(name);
        file.strip_prefix("server_")
            .map(|h| h.split('.').next().unwrap_or(h).to_string())
    });
    roles.of(name, host.as_deref())
}

/// A server certificate file outside its validity at the time it is judged.
pub(super) struct FileProblem {
    /// Expressway-C's own certificate (told by the file's host name): it faces the traversal
    /// zone, not the clients.
    pub(super) expressway_c: bool,
    pub(super) at: i64,
    /// Judged as of a time an input holds (or `--at`), not as of today: only then can it
    /// speak for a sign-in.
    pub(super) dated: bool,
    pub(super) summary: String,
    pub(super) evidence: Evidence,
}

/// Server certificate files (a bundle's `server_<host>_<timestamp>.pem`) with a certificate
/// outside its validity at the bundle's time.
pub(super) fn problems(ctx: &Ctx<'_>, clock: &crate::certs::Clock<'_>) -> Vec<FileProblem> {
    let mut out = Vec::new();
    for f in crate::certs::file_chains(ctx.inputs, ctx.events, clock) {
        let name = &ctx.inputs[f.input];
        let secs = f.at.div_euclid(1_000_000_000);
        let Some(cert) = f.chain.iter().find(|c| c.outside_validity(secs)) else {
            continue;
        };
        let date = |s: i64| crate::time::format_ns(s.saturating_mul(1_000_000_000));
        let when = if secs > cert.not_after {
            format!("expired on {}", date(cert.not_after))
        } else {
            format!("not valid before {}", date(cert.not_before))
        };
        let file = file_name(name);
        let summary = format!(
            "the server certificate {} in {file} {when} (checked at {}, {})",
            connection::short_name(cert),
            crate::time::format_ns(f.at),
            f.basis
        );
        out.push(FileProblem {
            expressway_c: file_role(&ctx.roles, name) == crate::report::Party::ExpresswayC,
            at: f.at,
            dated: f.basis != crate::certs::UNDATED,
            evidence: Evidence::new(Pointer {
                input: name.as_str().into(),
                frame: None,
                line: None,
                ts: crate::report::Stamp::utc(f.at),
                filter: None,
                note: format!("{} {when}", cert.subject).into(),
                excerpt: Some(
                    format!(
                        "{} ← {} · {} · sha256 {}",
                        cert.subject,
                        cert.issuer,
                        cert.validity_text(),
                        cert.sha256
                    )
                    .into(),
                ),
            }),
            summary,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Party;

    /// A configuration dump of `host` stating `role`, from input `input`.
    fn dump_of(
        input: usize,
        host: &str,
        role: crate::model::ExpresswayRole,
    ) -> super::super::Tagged {
        super::super::Tagged {
            input,
            event: crate::model::Event {
                frame: 0,
                ts: crate::time::UNKNOWN,
                kind: EventKind::ExpresswayDump(Box::new(crate::model::ExpresswayDump {
                    line: 1,
                    host: Some(host.into()),
                    domain: None,
                    role: Some(role),
                    role_line: Some(1),
                    version: None,
                    zones: Vec::new(),
                    unified_cm: Vec::new(),
                    addresses: Vec::new(),
                })),
            },
        }
    }

    #[test]
    fn the_role_comes_from_the_bundles_dump_else_the_file_name() {
        let none = super::super::dumps::Roles::default();
        assert_eq!(
            file_role(&none, "case/diag.tar:server_expc_2026-11-26_14-17-30.pem"),
            Party::ExpresswayC
        );
        assert_eq!(
            file_role(&none, "server_expe01_2026-11-26_14-17-30.pem"),
            Party::ExpresswayE
        );
        assert_eq!(file_role(&none, "case/certificate.pem"), Party::Expressway);
        // A dump in the same bundle says C, whatever the host name.
        let inputs = ["case/diag.tar:xconf_dump_edge01_x.txt".to_string()];
        let dump = dump_of(0, "edge01", crate::model::ExpresswayRole::C);
        let roles = super::super::dumps::Roles::from_dumps(&inputs, std::slice::from_ref(&dump));
        assert_eq!(
            file_role(
                &roles,
                "case/diag.tar:server_edge01_2026-11-26_14-17-30.pem"
            ),
            Party::ExpresswayC
        );
        assert_eq!(
            roles.of("elsewhere.log", Some("edge01.example.com")),
            Party::ExpresswayC
        );
        assert_eq!(roles.of("elsewhere.log", Some("expe")), Party::ExpresswayE);

        // Two bundles unpacked into one folder: each file goes by the host in its name.
        let inputs = [
            "case/xconf_dump_alpha_2026-11-26_14-17-30.txt".to_string(),
            "case/xconf_dump_beta_2026-11-26_14-17-30.txt".to_string(),
        ];
        let dumps = [
            dump_of(0, "alpha", crate::model::ExpresswayRole::E),
            dump_of(1, "beta", crate::model::ExpresswayRole::C),
        ];
        let roles = super::super::dumps::Roles::from_dumps(&inputs, &dumps);
        assert_eq!(
            file_role(&roles, "case/server_beta_2026-11-26_14-17-30.pem"),
            Party::ExpresswayC
        );
        assert_eq!(
            file_role(&roles, "case/server_alpha_2026-11-26_14-17-30.pem"),
            Party::ExpresswayE
        );
        assert_eq!(
            file_role(&roles, "case/certificate.pem"),
            Party::Expressway,
            "the folder itself says nothing"
        );
    }
}
