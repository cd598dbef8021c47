//! How long the library alone takes to inflate a gzip file (the floor under reading a
//! `.tar.gz` bundle on one stream): `cargo run --release --example inflate_only -- FILE`.
use std::io::Read;

fn main() -> std::io::Result<()> {
    let path = std::env::args().nth(1).expect("a .gz file");
    let file = std::io::BufReader::with_capacity(1 << 16, std::fs::File::open(&path)?);
    let mut gz = flate2::bufread::MultiGzDecoder::new(file);
    let mut buf = vec![0u8; 1 << 20];
    let (mut total, start) = (0u64, std::time::Instant::now());
    loop {
        let n = gz.read(&mut buf)?;
        if n == 0 {
            break;
        }
        total += n as u64;
    }
    eprintln!(
        "{path}: {} MiB inflated in {:.3} s",
        total >> 20,
        start.elapsed().as_secs_f64()
    );
    Ok(())
}
