//! The thin shell around the core: expand command-line paths into files, and tell what a
//! stream holds by its first bytes (never by its name).

use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Pcap,
    Pcapng,
    Gzip,
    Tar,
    Zip,
    /// PEM certificates (an Expressway bundle's `ca_*.pem`, `server_*.pem`).
    Pem,
    /// Text: a log, a configuration dump, anything line-oriented.
    Text,
    Unknown,
}

/// Where an input was found: the archive it is a member of (`case/prt.zip` for
/// `case/prt.zip:Logs/csf-unified.log`), else its folder. Files of one bundle or one problem
/// report share it.
pub fn container(path: &str) -> &str {
    match path.rfind(':').filter(|&i| i > 1) {
        Some(i) => &path[..i],
        None => path.rsplit_once('/').map_or("", |(dir, _)| dir),
    }
}

/// Bytes to look at before deciding (a tar header's magic sits at offset 257).
pub const SNIFF_LEN: usize = 512;

/// Classify by magic bytes, else by whether the start looks like text.
pub fn sniff(head: &[u8]) -> Kind {
    match head.get(..4) {
        Some(
            [0xd4, 0xc3, 0xb2, 0xa1]
            | [0xa1, 0xb2, 0xc3, 0xd4]
            | [0x4d, 0x3c, 0xb2, 0xa1]
            | [0xa1, 0xb2, 0x3c, 0x4d],
        )
        | Some([0x34, 0xcd, 0xb2, 0xa1] | [0xa1, 0xb2, 0xcd, 0x34]) => return Kind::Pcap,
        Some([0x0a, 0x0d, 0x0d, 0x0a]) => return Kind::Pcapng,
        Some([b'P', b'K', 3, 4] | [b'P', b'K', 5, 6]) => return Kind::Zip,
        _ => {}
    }
    if head.starts_with(&[0x1f, 0x8b]) {
        return Kind::Gzip;
    }
    if head.get(257..262) == Some(b"ustar") {
        return Kind::Tar;
    }
    if head.starts_with(b"-----BEGIN ") {
        return Kind::Pem;
    }
    if !head.is_empty() && looks_like_text(head) {
        return Kind::Text;
    }
    Kind::Unknown
}

/// Mostly printable: UTF-8 or Latin-1 logs qualify, even with a stray NUL or junk byte;
/// binary does not.
fn looks_like_text(head: &[u8]) -> bool {
    let odd = head
        .iter()
        .filter(|&&c| c < 0x09 || (0x0e..0x20).contains(&c) || c == 0x7f)
        .count();
    odd * 50 < head.len()
}

/// Expand paths: files as given, folders walked recursively in name order. Errors are kept
/// with their path so the report can name them.
pub fn expand(paths: &[PathBuf]) -> Vec<(PathBuf, Option<String>)> {
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for p in paths {
        let root = std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
        walk(p, &root, &mut out, &mut seen, 0);
    }
    out
}

static FOLLOW: std::sync::OnceLock<bool> = std::sync::OnceLock::new();

/// Follow symbolic links that lead out of the folder they are found in (`--follow`); set once,
/// before reading. Off by default: a link to `/` in a customer's folder must not walk the disk.
pub fn set_follow(follow: bool) {
    let _ = FOLLOW.set(follow);
}

fn follow() -> bool {
    *FOLLOW.get_or_init(|| false)
}

/// Why an entry found inside the folder `root` (canonical) is not read: a symbolic link that
/// leads out of it (unless `--follow`), or a FIFO, socket or device.
pub fn refused_entry(p: &Path, root: &Path) -> Option<String> {
    if let Ok(m) = std::fs::symlink_metadata(p)
        && m.file_type().is_symlink()
        && !follow()
        && let Ok(target) = std::fs::canonicalize(p)
        && !target.starts_with(root)
    {
        let shown = crate::text::safe(&target.to_string_lossy()).into_owned();
        return Some(format!(
            "symbolic link to {shown}, outside the folder given; not followed (--follow to follow)"
        ));
    }
    let m = std::fs::metadata(p).ok()?;
    special(&m.file_type()).map(|what| format!("{what}, not a file; not read"))
}

/// Whether a folder entry is a folder to walk into: a real one, or a link to one that stays
/// inside `root` (any, with `--follow`).
pub fn walkable_dir(p: &Path, root: &Path) -> bool {
    match std::fs::symlink_metadata(p) {
        Ok(m) if m.is_dir() => true,
        Ok(m) if m.file_type().is_symlink() => {
            p.is_dir()
                && (follow()
                    || std::fs::canonicalize(p).is_ok_and(|target| target.starts_with(root)))
        }
        _ => false,
    }
}

/// What a folder entry that is neither a regular file nor a folder is, if it is one of those
/// that would block or never end when read (a FIFO waits for a writer, a device never ends).
fn special(file_type: &std::fs::FileType) -> Option<&'static str> {
    use std::os::unix::fs::FileTypeExt;
    if file_type.is_fifo() {
        Some("a FIFO (named pipe)")
    } else if file_type.is_socket() {
        Some("a socket")
    } else if file_type.is_char_device() {
        Some("a character device")
    } else if file_type.is_block_device() {
        Some("a block device")
    } else {
        None
    }
}

/// `seen` holds the folders already walked (canonical paths), so a symlink loop is named once
/// instead of being followed. `root` is the input path the user named (canonical): entries
/// found inside it are read only when they are regular files or folders, and links leaving it
/// only with `--follow`. A path named by the user is read whatever it is (a FIFO given on
/// purpose, `<(tcpdump …)`, is a stream like standard input).
fn walk(
    p: &Path,
    root: &Path,
    out: &mut Vec<(PathBuf, Option<String>)>,
    seen: &mut std::collections::HashSet<PathBuf>,
    depth: usize,
) {
    if p == Path::new("-") {
        return out.push((p.to_path_buf(), None)); // standard input
    }
    if depth > 0
        && let Some(why) = refused_entry(p, root)
    {
        return out.push((p.to_path_buf(), Some(why)));
    }
    match std::fs::metadata(p) {
        Ok(m) if m.is_dir() => {
            let canonical = std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
            if !seen.insert(canonical) {
                out.push((
                    p.to_path_buf(),
                    Some(
                        "folder already read (a symbolic link loop or a repeated path); skipped"
                            .into(),
                    ),
                ));
                return;
            }
            if depth > 32 {
                out.push((
                    p.to_path_buf(),
                    Some("folder nesting deeper than 32 levels; not read".into()),
                ));
                return;
            }
            match std::fs::read_dir(p) {
                Ok(entries) => {
                    let mut children: Vec<PathBuf> =
                        entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
                    if children.is_empty() && depth == 0 {
                        out.push((
                            p.to_path_buf(),
                            Some("an empty folder: no files in it".into()),
                        ));
                    }
                    children.sort();
                    for c in children {
                        walk(&c, root, out, seen, depth + 1);
                    }
                }
                Err(e) => out.push((p.to_path_buf(), Some(format!("cannot read folder: {e}")))),
            }
        }
        Ok(_) => out.push((p.to_path_buf(), None)),
        Err(e) => out.push((p.to_path_buf(), Some(format!("cannot open: {e}")))),
    }
}

/// What an unrecognised input is, from its first bytes: empty, a known kind of file that is
/// not ours, or its first bytes in hex.
pub fn describe_unknown(head: &[u8]) -> String {
    if head.is_empty() {
        return "empty: no bytes to read".into();
    }
    let known: &[(&[u8], &str)] = &[
        (b"\xff\xd8\xff", "a JPEG image"),
        (b"\x89PNG", "a PNG image"),
        (b"%PDF", "a PDF document"),
        (b"\x7fELF", "an executable (ELF)"),
        (b"MZ", "a Windows executable"),
        (
            b"BZh",
            "a bzip2 stream (not read: only gzip, tar and zip are)",
        ),
        (
            b"\xfd7zXZ\x00",
            "an xz stream (not read: only gzip, tar and zip are)",
        ),
        (
            b"7z\xbc\xaf\x27\x1c",
            "a 7-Zip archive (not read: only gzip, tar and zip are)",
        ),
        (
            b"Rar!",
            "a RAR archive (not read: only gzip, tar and zip are)",
        ),
        (
            b"\x28\xb5\x2f\xfd",
            "a zstd stream (not read: only gzip, tar and zip are)",
        ),
    ];
    let bytes: Vec<String> = head.iter().take(8).map(|b| format!("{b:02x}")).collect();
    let what = known
        .iter()
        .find(|(magic, _)| head.starts_with(magic))
        .map_or_else(
            || {
                "not a capture (pcap, pcapng), archive (gzip, tar, zip), log or certificate"
                    .to_string()
            },
            |(_, name)| format!("{name}, not a capture, archive, log or certificate"),
        );
    format!("starts with {}: {what}", bytes.join(" "))
}

#[cfg(test)]
mod tests {
    #[test]
    fn unrecognised_inputs_say_what_they_are() {
        use super::describe_unknown;
        assert_eq!(describe_unknown(b""), "empty: no bytes to read");
        assert!(
            describe_unknown(b"\xff\xd8\xff\xe0\x00\x10JFIF")
                .starts_with("starts with ff d8 ff e0 00 10 4a 46: a JPEG image")
        );
        assert!(describe_unknown(b"\x01\x02\x03").contains("not a capture (pcap, pcapng)"));
        assert!(describe_unknown(b"BZh91AY").contains("bzip2"));
    }

    use super::*;

    #[test]
    fn a_member_belongs_to_its_archive_a_file_to_its_folder() {
        assert_eq!(
            container("case/prt.zip:Logs/csf-unified.log"),
            "case/prt.zip"
        );
        assert_eq!(container("case/jabber.log"), "case");
        assert_eq!(container("jabber.log"), "");
    }

    #[test]
    fn sniffs_by_magic() {
        assert_eq!(sniff(&[0xd4, 0xc3, 0xb2, 0xa1, 2, 0]), Kind::Pcap);
        assert_eq!(sniff(&[0xa1, 0xb2, 0x3c, 0x4d]), Kind::Pcap);
        assert_eq!(sniff(&[0x0a, 0x0d, 0x0d, 0x0a]), Kind::Pcapng);
        assert_eq!(sniff(&[0x1f, 0x8b, 8, 0]), Kind::Gzip);
        assert_eq!(sniff(b"PK\x03\x04rest"), Kind::Zip);
        let mut tar = vec![b'a'; 512];
        tar[257..262].copy_from_slice(b"ustar");
        assert_eq!(sniff(&tar), Kind::Tar);
        assert_eq!(sniff(b"-----BEGIN CERTIFICATE-----\nMII"), Kind::Pem);
        assert_eq!(sniff(b"2024-03-05T10:00:00+01:00 expc tvcs: x"), Kind::Text);
        assert_eq!(sniff(&[0, 1, 2, 3, 4, 5, 6, 7]), Kind::Unknown);
        assert_eq!(sniff(b""), Kind::Unknown);
    }
}
