//! The HTML report in a real browser: headless Chromium loads a sample report from disk,
//! the DOM it builds must hold the verdict box and every phase row, nothing may be logged to
//! the console, and a screenshot is taken. Skips, saying so, where Chromium is absent, except
//! under CI (`CI` or `MRADIAG_REQUIRE_BROWSER` set, as `.ci/run` does after installing it),
//! where its absence fails.

use std::path::PathBuf;
use std::process::Command;

fn chromium() -> Option<PathBuf> {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

#[test]
fn html_report_renders_in_headless_chromium() {
    let Some(browser) = chromium() else {
        let required = ["CI", "MRADIAG_REQUIRE_BROWSER"]
            .iter()
            .any(|v| std::env::var(v).is_ok_and(|v| !v.is_empty() && v != "0" && v != "false"));
        assert!(
            !required,
            "no Chromium at /usr/bin/chromium, and CI requires the browser test (apt-get install chromium)"
        );
        eprintln!("SKIPPED: no Chromium at /usr/bin/chromium (apt-get install chromium)");
        return;
    };
    let dir = std::env::temp_dir().join(format!("mradiag-browser-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let html = dir.join("report.html");
    let status = Command::new(env!("CARGO_BIN_EXE_mradiag"))
        .args(["analyze", "--format", "html", "-o"])
        .arg(&html)
        .arg("samples/merged-capture-expc-401")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(1));
    let url = format!("file://{}", html.display());
    let flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--enable-logging=stderr",
        "--v=0",
    ];
    let profile = format!("--user-data-dir={}", dir.join("profile").display());
    let dom = Command::new(&browser)
        .args(flags)
        .arg(&profile)
        .arg("--dump-dom")
        .arg(&url)
        .output()
        .unwrap();
    let page = String::from_utf8_lossy(&dom.stdout);
    assert!(
        page.contains(r#"id="verdict""#),
        "no verdict box in the DOM:\n{page}"
    );
    for phase in ["discovery", "provisioning", "xmpp", "sip", "voicemail"] {
        assert!(
            page.contains(&format!("<td>{phase}</td>")),
            "no row for {phase}"
        );
    }
    // The ladder: one arrow or note per step of the report, the two Expressway-C log lines
    // that prove the fault drawn failed.
    let json = Command::new(env!("CARGO_BIN_EXE_mradiag"))
        .args([
            "analyze",
            "--format",
            "json",
            "samples/merged-capture-expc-401",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let steps = report["sessions"][0]["ladder"].as_array().unwrap().len();
    assert!(steps > 10, "{steps} ladder steps");
    assert_eq!(page.matches(r#"<g class="step"#).count(), steps);
    assert_eq!(page.matches(r#"<g class="step failed""#).count(), 2);
    let log = String::from_utf8_lossy(&dom.stderr);
    assert!(
        !log.lines().any(|l| l.contains("CONSOLE")),
        "console messages:\n{log}"
    );
    let png = dir.join("report.png");
    let shot = Command::new(&browser)
        .args(flags)
        .arg(&profile)
        .arg(format!("--screenshot={}", png.display()))
        .arg("--window-size=1200,1600")
        .arg(&url)
        .output()
        .unwrap();
    assert!(
        std::fs::metadata(&png)
            .map(|m| m.len() > 10_000)
            .unwrap_or(false),
        "no screenshot: {}",
        String::from_utf8_lossy(&shot.stderr)
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// What lies outside the window at a given width: every element whose right edge passes the
/// viewport, unless a scroll box (overflow-x auto or scroll) holds it and the box itself fits.
/// Run in the page by Chromium; the answer is written into the DOM it dumps.
const OVERFLOW_PROBE: &str = r#"<script>
addEventListener('load', () => {
  const width = document.documentElement.clientWidth;
  const scrolls = (e) => ['auto', 'scroll'].includes(getComputedStyle(e).overflowX);
  const out = [];
  for (const e of document.body.querySelectorAll('*')) {
    if (e.id === 'probe') continue;
    let inScrollBox = false;
    for (let a = e.parentElement; a; a = a.parentElement) if (scrolls(a)) { inScrollBox = true; break; }
    const r = e.getBoundingClientRect();
    if (!inScrollBox && r.right > width + 1) out.push(e.tagName + '.' + e.className + ' right ' + Math.round(r.right));
  }
  if (document.documentElement.scrollWidth > width + 1) out.push('page scrolls sideways: ' + document.documentElement.scrollWidth);
  const p = document.createElement('pre');
  p.id = 'probe';
  p.textContent = 'outside: ' + out.length + '\n' + out.join('\n');
  document.body.appendChild(p);
});
</script>"#;

/// The customer's report at a laptop's width and at a narrow one: nothing outside the window
/// but what a scroll box holds; the headline is the sentence, the id beneath; the case and
/// title the engineer gave, the time it was made, the case's times in UTC and its own zone.
#[test]
fn html_report_fits_a_wide_and_a_narrow_window() {
    let Some(browser) = chromium() else {
        eprintln!("SKIPPED: no Chromium at /usr/bin/chromium (apt-get install chromium)");
        return;
    };
    let dir = std::env::temp_dir().join(format!("mradiag-widths-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let html = dir.join("report.html");
    let status = Command::new(env!("CARGO_BIN_EXE_mradiag"))
        .args([
            "analyze",
            "--format",
            "html",
            "--title",
            "Acme: Jabber sign-in",
            "--case",
            "SR 694417",
            "-o",
        ])
        .arg(&html)
        .arg("samples/merged-capture-expc-401")
        .env("SOURCE_DATE_EPOCH", "1764340000")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(1));
    let report = std::fs::read_to_string(&html).unwrap();
    assert!(
        report.contains("<h1>Acme: Jabber sign-in</h1>"),
        "{report:.600}"
    );
    assert!(
        report.contains("case SR 694417 · generated 2025-11-28 14:26:40 UTC"),
        "{report:.900}"
    );
    // The sentence leads; the id is beneath it.
    let verdict = &report[report.find(r#"id="verdict""#).unwrap()..];
    let (sentence, id) = (
        verdict.find("<h2>").unwrap(),
        verdict.find("<code>provisioning.").unwrap(),
    );
    assert!(sentence < id, "{verdict:.400}");
    assert!(
        !verdict[sentence..id].contains("provisioning.auth_failed"),
        "{verdict:.400}"
    );
    let probed = dir.join("probed.html");
    std::fs::write(
        &probed,
        report.replace("</body>", &format!("{OVERFLOW_PROBE}</body>")),
    )
    .unwrap();
    for width in [1200, 700] {
        let dom = Command::new(&browser)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
            ])
            .arg(format!("--user-data-dir={}", dir.join("profile").display()))
            .arg(format!("--window-size={width},1200"))
            .arg("--virtual-time-budget=3000")
            .arg("--dump-dom")
            .arg(format!("file://{}", probed.display()))
            .output()
            .unwrap();
        let page = String::from_utf8_lossy(&dom.stdout);
        let probe = page.split(r#"<pre id="probe">"#).nth(1).unwrap_or_else(|| {
            panic!(
                "the probe did not run at {width} px:\n{}",
                String::from_utf8_lossy(&dom.stderr)
            )
        });
        assert!(
            probe.starts_with("outside: 0"),
            "at {width} px: {probe:.2000}"
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}
