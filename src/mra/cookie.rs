//! Expressway-E's X-Auth cookie against the name the client reached it by (F04): the client
//! refuses a cookie whose Domain does not hold that name (the `_collab-edge` SRV target, or
//! the host of its request URL), and the edge configuration is never used.

use super::context::Ctx;
use super::context::PhaseState;
use crate::model::EventKind;
use crate::model::Tagged;
use crate::report::{Evidence, Status};

/// Whether `name` lies in the cookie's domain (`.example.com` holds `expe.example.com`).
fn within(name: &str, domain: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    let domain = domain.trim_matches('.').to_ascii_lowercase();
    name == domain || name.ends_with(&format!(".{domain}"))
}

/// Names the client reached Expressway-E by, from the Jabber log's requests to 8443.
pub fn requested_hosts<'a>(hits: &[&'a Tagged]) -> Vec<(String, &'a Tagged)> {
    hits.iter()
        .filter_map(|t| match &t.event.kind {
            EventKind::LogSignature { fields, .. } => {
                let (host, port) = crate::align::url_target(fields.get("url")?)?;
                (port == 8443).then_some((host, *t))
            }
            _ => None,
        })
        .collect()
}

/// The provisioning phase fails when a cookie Expressway-E set does not cover any name the
/// client used for it. `names`: each name with the evidence that shows the client used it.
pub fn check(
    ctx: &Ctx<'_>,
    names: &[(String, Evidence)],
    hits: &[&Tagged],
    provisioning: &mut PhaseState,
) {
    if names.is_empty() || provisioning.status == Status::Failed {
        return;
    }
    for t in hits {
        let EventKind::LogSignature { fields, .. } = &t.event.kind else {
            continue;
        };
        let Some(domain) = fields.get("cookie_domain") else {
            continue;
        };
        if t.event.kind.role() != Some(crate::model::Role::CookieSet)
            || names.iter().any(|(n, _)| within(n, domain))
        {
            continue;
        }
        let (name, shown) = &names[0];
        *provisioning = PhaseState::new(
            Status::Failed,
            format!(
                "Expressway-E set its X-Auth cookie for .{}, but the client reached it as {name}, outside that domain: the client refuses the cookie (F04)",
                domain.trim_matches('.')
            ),
        );
        provisioning.problem = Some("edge_config_incomplete".into());
        provisioning.meaning = Some(format!(
            "the _collab-edge SRV target {name} is not in Expressway-E's own domain ({}): Expressway-E sets its X-Auth cookie for its domain and the client rejects a cookie that does not match",
            domain.trim_matches('.')
        ));
        provisioning.fix = Some(
            "point _collab-edge at Expressway-E's own FQDN (<system host name>.<domain>), or a CNAME within its domain".into(),
        );
        provisioning.evidence = vec![
            ctx.evidence(
                t,
                format!("X-Auth cookie for .{}", domain.trim_matches('.')),
            ),
            shown.clone(),
        ];
        return;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cookie_domain_holds_its_subdomains_only() {
        assert!(within("expe.vngtp.lab", ".vngtp.lab"));
        assert!(within("VNGTP.lab.", "vngtp.lab"));
        assert!(!within("mra.example.com", ".vngtp.lab"));
        assert!(!within("evilvngtp.lab", ".vngtp.lab"));
    }
}
