//! Generated bundles of a busy cluster (`synth::bundle`: shapes and sizes vary with the seed)
//! with failures planted among healthy users: the verdict must name the failing user and
//! fault, never report ok, and never make a healthy user fail.

use mradiag::analyze;
use mradiag::logs::signatures::Catalog;
use mradiag::report::{Ladders, Report, Status};
use mradiag::synth::bundle::{BundleSpec, FaultKind, Generated, Planted, generate};
use std::path::PathBuf;

fn judge(g: &Generated, name: &str, options: &analyze::Options) -> Report {
    analyze::judge(decoded(g, name), Catalog::builtin(), options)
}

/// Judged as `judge` does, handed to `then` with what draws the ladders.
fn judge_then<R>(
    g: &Generated,
    name: &str,
    options: &analyze::Options,
    then: impl FnOnce(Report, &dyn Ladders) -> R,
) -> R {
    analyze::judge_then(decoded(g, name), Catalog::builtin(), options, then)
}

/// The generated boxes' logs written as a bundle's files (named after `name`: the report
/// says their paths), then decoded.
fn decoded(g: &Generated, name: &str) -> Vec<mradiag::decoded::Decoded> {
    let dir = std::env::temp_dir().join(format!("mradiag-users-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut paths: Vec<PathBuf> = Vec::new();
    for b in &g.boxes {
        let path = dir.join(format!(
            "loggingsnapshot_{}_2026-11-26_08-00-00.txt",
            b.host
        ));
        std::fs::write(&path, &b.log).unwrap();
        paths.push(path);
    }
    let decoded = analyze::decode_inputs(&paths, Catalog::builtin());
    std::fs::remove_dir_all(&dir).unwrap();
    decoded
}

fn failing(report: &Report) -> Vec<String> {
    report
        .users
        .iter()
        .filter(|r| r.failing)
        .map(|r| format!("{} {}", r.who, r.fault.as_deref().unwrap_or("?")))
        .collect()
}

/// Whether a correct judge must name the user: a client with a user name on Expressway-E
/// (not OAuth), or a failure Expressway-C logs with the user's name. An OAuth client's failure
/// seen only where no name is logged may be named by its address or line instead; so may a
/// user behind a shared NAT whose REGISTER cannot be told from another user's sign-in starting
/// from the same address at the same time.
fn must_name(g: &Generated, user: usize, kind: FaultKind) -> bool {
    match kind {
        FaultKind::UdsAuth401 | FaultKind::HomeCucmUnknown => true,
        FaultKind::Domain403 | FaultKind::NextHop502 => !g.oauth[user],
        // The voicemail request carries the X-Auth cookie of the user's own sign-in.
        FaultKind::Voicemail403 => !g.oauth[user],
        FaultKind::Register403 => !g.oauth[user] && !g.shared_address[user],
        // No line names anyone: only a focus on the user ties it to their sign-in.
        FaultKind::Xcp7400 => false,
    }
}

#[test]
fn one_failing_user_hidden_among_healthy_ones_is_named_for_every_seed() {
    let mut problems = Vec::new();
    // 30 seeds of 20–200 users, and three busy clusters of 1,000 to 1,500.
    for seed in (1..=30u64).chain([101, 102, 103]) {
        let users = if seed > 100 {
            1000 + (seed as usize - 101) * 250
        } else {
            20 + (seed as usize * 37) % 180
        };
        let kind = FaultKind::ALL[seed as usize % FaultKind::ALL.len()];
        let user = (seed as usize * 13) % users;
        let minutes = 60 + seed % 4 * 30;
        let spec = BundleSpec {
            seed,
            users,
            minutes,
            planted: vec![Planted {
                user,
                kind,
                at_s: minutes * 60 / 2 + seed * 17 % 600,
                recover_after_s: None,
            }],
            also_healthy: false,
            routine_per_minute: 0,
        };
        let g = generate(&spec);
        let report = judge(&g, &format!("one-{seed}"), &Default::default());
        let v = &report.verdict;
        let want = &g.users[user];
        let label = |s: &str| {
            format!(
                "seed {seed} ({users} users, {}, {kind:?} for {want}): {s}",
                g.shape
            )
        };
        if v.status != Status::Failed || v.fault.as_deref() != Some(kind.fault()) {
            problems.push(label(&format!(
                "verdict {:?} {:?} — {}",
                v.status, v.fault, v.summary
            )));
            continue;
        }
        // Never another user's name: the user's, or an address or line when none is logged.
        let fair = v.summary.starts_with(&format!("{want}: "))
            || v.summary.starts_with("client ")
            || v.summary.starts_with("line ");
        if !fair || (must_name(&g, user, kind) && !v.summary.starts_with(&format!("{want}: "))) {
            problems.push(label(&format!("named wrongly: {}", v.summary)));
        }
        let f = failing(&report);
        if f.len() != 1 {
            problems.push(label(&format!("failing rows {f:?}")));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn an_old_cleared_fault_gives_way_to_the_new_one_and_a_recovery_is_said() {
    for seed in [4u64, 9, 21] {
        let spec = BundleSpec {
            seed,
            users: 50,
            minutes: 180,
            planted: vec![
                // An hour before: another user fails, then signs in fine five minutes later.
                Planted {
                    user: 5,
                    kind: FaultKind::NextHop502,
                    at_s: 1800,
                    recover_after_s: Some(300),
                },
                Planted {
                    user: 30,
                    kind: FaultKind::Voicemail403,
                    at_s: 5400,
                    recover_after_s: None,
                },
            ],
            also_healthy: false,
            routine_per_minute: 0,
        };
        let g = generate(&spec);
        let report = judge(&g, &format!("old-{seed}"), &Default::default());
        let v = &report.verdict;
        assert_eq!(
            v.fault.as_deref(),
            Some("voicemail.forbidden"),
            "seed {seed}: {}",
            v.summary
        );
        if !g.oauth[30] {
            assert!(
                v.summary.starts_with(&format!("{}: ", g.users[30])),
                "{}",
                v.summary
            );
        }
        if !g.oauth[5] {
            let row = report.users.iter().find(|r| r.who == g.users[5]).unwrap();
            assert_eq!(
                row.recovered_from.as_deref(),
                Some("provisioning.next_hop_failed")
            );
            assert_eq!(row.last_result, Status::Ok, "{row:?}");
        }
        assert_eq!(failing(&report).len(), 1, "{:?}", failing(&report));
    }
}

#[test]
fn a_user_who_fails_then_succeeds_is_recovered_and_the_verdict_is_ok() {
    let spec = BundleSpec {
        seed: 12,
        users: 40,
        minutes: 120,
        planted: vec![Planted {
            user: 7,
            kind: FaultKind::UdsAuth401,
            at_s: 3000,
            recover_after_s: Some(90),
        }],
        also_healthy: false,
        routine_per_minute: 0,
    };
    let g = generate(&spec);
    let report = judge(&g, "recovered", &Default::default());
    assert_eq!(
        report.verdict.status,
        Status::Ok,
        "{}",
        report.verdict.summary
    );
    assert!(
        report
            .verdict
            .summary
            .contains("1 recovered after a failure"),
        "{}",
        report.verdict.summary
    );
    let row = report.users.iter().find(|r| r.who == g.users[7]).unwrap();
    assert_eq!(row.attempts, 2, "{row:?}");
    assert_eq!(
        row.recovered_from.as_deref(),
        Some("provisioning.auth_failed")
    );
    // Focused on that user at the failure's time, the verdict is the failed attempt.
    let at = g.truth[0].2;
    let options = analyze::Options {
        users: vec![g.users[7].clone()],
        at: Some(mradiag::time::Moment::Instant(at)),
        ..Default::default()
    };
    let focused = judge(&g, "recovered-focus", &options);
    assert_eq!(
        focused.verdict.fault.as_deref(),
        Some("provisioning.auth_failed")
    );
    let focus = focused.focus.as_ref().unwrap();
    assert!(
        focus.summary.contains("attempt 1 of 2"),
        "{}",
        focus.summary
    );
}

#[test]
fn focus_on_a_user_not_in_the_bundle_says_so_with_the_closest_names() {
    let g = generate(&BundleSpec {
        seed: 5,
        users: 30,
        minutes: 60,
        planted: Vec::new(),
        also_healthy: false,
        routine_per_minute: 0,
    });
    let near = format!("{}x", g.users[3]);
    let options = analyze::Options {
        users: vec![near.clone()],
        ..Default::default()
    };
    let report = judge(&g, "absent", &options);
    assert_eq!(report.verdict.status, Status::Inconclusive);
    assert!(
        report
            .verdict
            .summary
            .starts_with(&format!("{near} does not appear")),
        "{}",
        report.verdict.summary
    );
    assert!(
        report.verdict.summary.contains(&g.users[3]),
        "the closest names: {}",
        report.verdict.summary
    );
}

#[test]
fn a_thousand_users_with_twelve_failing_fit_in_a_short_text_report() {
    let planted: Vec<Planted> = (0..12)
        .map(|n| Planted {
            user: 40 + n * 75,
            kind: FaultKind::ALL[n % FaultKind::ALL.len()],
            at_s: 600 + n as u64 * 900,
            recover_after_s: None,
        })
        .collect();
    let g = generate(&BundleSpec {
        seed: 77,
        users: 1000,
        minutes: 240,
        planted,
        also_healthy: false,
        routine_per_minute: 0,
    });
    let report = judge(&g, "thousand", &Default::default());
    let text = mradiag::report::text::render(&report);
    let lines = text.lines().count();
    assert!(lines < 200, "{lines} lines:\n{text}");
    // Every failing user has its line in the users table; the verdict is the latest failure.
    assert_eq!(failing(&report).len(), 12, "{:?}", failing(&report));
    let table_rows = text
        .lines()
        .filter(|l| l.starts_with("  ✘ ") && l.contains(" attempt"))
        .count();
    assert_eq!(table_rows, 12, "{text}");
    let last = &g.truth[11];
    assert_eq!(report.verdict.fault.as_deref(), Some(last.1));
    assert!(text.contains("… 989 more (988 ok"), "{text}");
}

/// Text and the verdict line draw no ladder, so none is built for them: the verdict, the
/// sessions and the users table are the same as with ladders, which JSON and HTML get.
#[test]
fn without_ladders_the_judgement_is_the_same() {
    let g = generate(&BundleSpec {
        seed: 9,
        users: 25,
        minutes: 60,
        planted: Vec::new(),
        also_healthy: false,
        routine_per_minute: 0,
    });
    let drawn = judge(&g, "ladders", &analyze::Options::default());
    let bare = judge(
        &g,
        "ladders",
        &analyze::Options {
            skip_ladders: true,
            ..Default::default()
        },
    );
    assert!(drawn.sessions.iter().any(|s| !s.ladder.is_empty()));
    assert!(bare.sessions.iter().all(|s| s.ladder.is_empty()));
    let strip = |r: &Report| {
        let mut v = serde_json::to_value(r).unwrap();
        for s in v["sessions"].as_array_mut().unwrap() {
            let s = s.as_object_mut().unwrap();
            s.remove("ladder");
            s.remove("ladder_omitted");
            s.remove("ladder_clock");
        }
        v
    };
    assert_eq!(strip(&drawn), strip(&bare));
}

/// JSON draws each session's ladder as it writes it, a batch at a time, and HTML only the
/// sessions it shows: the bytes are those of a report whose ladders were all drawn first.
/// Hundreds of sessions (more than one batch), a focused user judged again with the box
/// lines of its time, and certificate-free log sessions of every kind.
#[test]
fn ladders_drawn_as_the_report_is_written_are_the_ladders_drawn_whole() {
    let planted: Vec<Planted> = FaultKind::ALL
        .iter()
        .chain([&FaultKind::Xcp7400])
        .enumerate()
        .map(|(n, &kind)| Planted {
            user: 10 + n * 37,
            kind,
            at_s: 900 + n as u64 * 600,
            recover_after_s: None,
        })
        .collect();
    let g = generate(&BundleSpec {
        seed: 31,
        users: 300,
        minutes: 120,
        planted: planted.clone(),
        also_healthy: false,
        routine_per_minute: 0,
    });
    let xcp = planted
        .iter()
        .find(|p| p.kind == FaultKind::Xcp7400)
        .unwrap();
    let cover = mradiag::report::html::Cover {
        title: None,
        case: None,
        generated: None,
    };
    for users in [Vec::new(), vec![g.users[xcp.user].clone()]] {
        let options = analyze::Options {
            users,
            ..Default::default()
        };
        let whole = judge(&g, "drawn", &options);
        // More than one batch of the writer's (256).
        assert!(
            whole.sessions.len() > 300,
            "{} sessions",
            whole.sessions.len()
        );
        if !options.users.is_empty() {
            let focus = whole.focus.as_ref().map(|f| f.summary.as_str());
            assert!(
                focus.is_some_and(|f| f.contains("lines about no one in its time")),
                "{focus:?}"
            );
            // Its ladder draws the lines it was judged again with, not only the user's own.
            let id = whole.verdict.session.unwrap();
            let ladder = &whole.sessions[id - 1].ladder;
            assert!(
                ladder.iter().any(|s| s.label.contains("xcp-7400")),
                "{:?}",
                ladder.iter().map(|s| &s.label).collect::<Vec<_>>()
            );
        }
        assert!(whole.sessions.iter().all(|s| !s.ladder.is_empty()));
        let written = judge_then(&g, "drawn", &options, |mut report, ladders| {
            let mut out = Vec::new();
            report.write_json_drawing(&mut out, ladders).unwrap();
            // Written and let go: the report keeps no ladder.
            assert!(report.sessions.iter().all(|s| s.ladder.is_empty()));
            String::from_utf8(out).unwrap()
        });
        assert!(
            written == whole.to_json(),
            "{:?}: JSON differs",
            options.users
        );
        let html = judge_then(&g, "drawn", &options, |mut report, ladders| {
            report.draw_shown(ladders);
            let drawn = report.sessions.iter().filter(|s| !s.ladder.is_empty());
            assert!(drawn.count() <= mradiag::report::FAILED_SHOWN + 1);
            mradiag::report::html::render_with(&report, &cover)
        });
        assert!(
            html == mradiag::report::html::render_with(&whole, &cover),
            "{:?}: HTML differs",
            options.users
        );
    }
}
