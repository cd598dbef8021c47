fn main() {
    let path = std::env::args().nth(1).unwrap();
    let f = std::fs::File::open(path).unwrap();
    let d = mradiag::capture::decode(std::io::BufReader::new(f));
    for e in d.events {
        println!("{}", serde_json::to_string(&e).unwrap());
    }
}
