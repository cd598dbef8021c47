//! The thin shell around the core: expand command-line paths into files, sniff what each is
//! by its first bytes (never by name), and read captures with constant memory.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Pcap,
    Pcapng,
    Unknown,
}

/// Classify by magic bytes.
pub fn sniff(head: &[u8]) -> Kind {
    match head.get(..4) {
        Some(
            [0xd4, 0xc3, 0xb2, 0xa1]
            | [0xa1, 0xb2, 0xc3, 0xd4]
            | [0x4d, 0x3c, 0xb2, 0xa1]
            | [0xa1, 0xb2, 0x3c, 0x4d],
        )
        | Some([0x34, 0xcd, 0xb2, 0xa1] | [0xa1, 0xb2, 0xcd, 0x34]) => Kind::Pcap,
        Some([0x0a, 0x0d, 0x0d, 0x0a]) => Kind::Pcapng,
        _ => Kind::Unknown,
    }
}

/// Expand paths: files as given, folders walked recursively in name order. Errors are kept
/// with their path so the report can name them.
pub fn expand(paths: &[PathBuf]) -> Vec<(PathBuf, Option<String>)> {
    let mut out = Vec::new();
    for p in paths {
        walk(p, &mut out, 0);
    }
    out
}

fn walk(p: &Path, out: &mut Vec<(PathBuf, Option<String>)>, depth: usize) {
    match std::fs::metadata(p) {
        Ok(m) if m.is_dir() => {
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
                    children.sort();
                    for c in children {
                        walk(&c, out, depth + 1);
                    }
                }
                Err(e) => out.push((p.to_path_buf(), Some(format!("cannot read folder: {e}")))),
            }
        }
        Ok(_) => out.push((p.to_path_buf(), None)),
        Err(e) => out.push((p.to_path_buf(), Some(format!("cannot open: {e}")))),
    }
}

/// Open a file and sniff it; the returned reader starts at the file's first byte.
pub fn open(path: &Path) -> std::io::Result<(Kind, impl Read + Send)> {
    let mut file = BufReader::with_capacity(1 << 16, File::open(path)?);
    let kind = sniff(file.fill_buf()?);
    Ok((kind, file))
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_by_magic() {
        assert_eq!(sniff(&[0xd4, 0xc3, 0xb2, 0xa1, 2, 0]), Kind::Pcap);
        assert_eq!(sniff(&[0xa1, 0xb2, 0x3c, 0x4d]), Kind::Pcap);
        assert_eq!(sniff(&[0x0a, 0x0d, 0x0d, 0x0a]), Kind::Pcapng);
        assert_eq!(sniff(b"2024-03-05T"), Kind::Unknown);
        assert_eq!(sniff(b""), Kind::Unknown);
    }
}
