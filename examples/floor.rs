//! The benchmark's floors: the cost of merely reading and parsing the same
//! input, building nothing tierkey does not need.
//!
//! - `floor FILE...`: read each plan and parse it with `serde_json` into
//!   `IgnoredAny` (validate, build nothing), one after another;
//! - `floor --hcl DIR`: read every `.tf` file under DIR and parse it with
//!   `hcl-edit` (the parser tierkey leaves the files its own reader does
//!   not read to), evaluating nothing.

use std::path::Path;

// The allocator tierkey uses, so the floor is not slower for another cause.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn tf_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            tf_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "tf") {
            out.push(path);
        }
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let first = args.next().expect("usage: floor FILE... | floor --hcl DIR");
    if first == "--hcl" {
        let dir = args.next().expect("usage: floor --hcl DIR");
        let mut files = Vec::new();
        tf_files(Path::new(&dir), &mut files);
        for file in files {
            let text = std::fs::read_to_string(&file).expect("read");
            let body = hcl_edit::parser::parse_body(&text).expect("valid HCL");
            std::hint::black_box(body);
        }
    } else {
        for file in std::iter::once(first).chain(args) {
            let text = std::fs::read_to_string(&file).expect("read");
            let _: serde::de::IgnoredAny = serde_json::from_str(&text).expect("valid JSON");
        }
    }
}
