//! The benchmark's floor: read a file and parse it with `serde_json` into
//! `IgnoredAny` (validate, build nothing). `cargo run --release --example floor -- FILE`.

fn main() {
    let path = std::env::args().nth(1).expect("usage: floor FILE");
    let text = std::fs::read_to_string(&path).expect("read");
    let _: serde::de::IgnoredAny = serde_json::from_str(&text).expect("valid JSON");
}
