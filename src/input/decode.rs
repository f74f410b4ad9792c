//! Bytes to checkable text: before any JSON is parsed, the bytes are checked
//! for what users actually feed a plan checker by mistake — empty files,
//! binary plan files, UTF-16 from PowerShell redirection, invalid UTF-8 —
//! and output captured through the setup-terraform wrapper is unwrapped.

use std::ops::Range;
use std::path::Path;

use crate::error::{ErrorCode, InputError};
use crate::source::{MappedText, Text};

use super::io_reason;

/// Text ready for the JSON parser.
#[derive(Debug)]
pub(crate) struct Decoded {
    pub text: Text,
    /// Where the JSON document is inside `text`.
    pub body: Range<usize>,
    /// The JSON sits inside setup-terraform wrapper output; text after it is
    /// wrapper noise.
    pub wrapped: bool,
}

/// The largest file tierkey reads (a plan of millions of resources is far
/// smaller): anything larger is refused rather than read into memory.
pub(crate) const MAX_FILE: u64 = 4 << 30;

/// The bytes of an input: read into memory, or a large file's pages mapped
/// (no copy, no zeroed buffer: mapping a plan costs less than reading it).
#[derive(Debug)]
pub(crate) enum Bytes {
    Owned(Vec<u8>),
    Mapped(memmap2::Mmap),
}

impl std::ops::Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Bytes::Owned(v) => v,
            Bytes::Mapped(m) => m,
        }
    }
}

impl Bytes {
    /// The bytes in memory (for small files read whole: settings, values).
    pub(crate) fn into_vec(self) -> Vec<u8> {
        match self {
            Bytes::Owned(v) => v,
            Bytes::Mapped(m) => m.to_vec(),
        }
    }
}

impl From<Vec<u8>> for Bytes {
    fn from(bytes: Vec<u8>) -> Self {
        Bytes::Owned(bytes)
    }
}

/// Files from this size on are mapped rather than read (no buffer zeroed
/// and copied into: 2000 plans of 300 KB took 0.25 s of system time
/// mapped, 0.65 s read); below it, reading is as cheap as setting up a
/// mapping. A file that cannot be mapped (the process's mappings at the
/// system's limit) is read.
const MAP_FROM: u64 = 64 << 10;

/// Maps a regular file read-only: the one use of `unsafe` in tierkey.
///
/// Mapping is unsafe because the mapped bytes may change, or vanish
/// (SIGBUS), while they are mapped, if another process writes or truncates
/// the file. tierkey maps only regular files it was asked to check, which
/// nothing should be writing during a check, and maps them privately and
/// read-only; the worst a concurrent writer can cause is a wrong result or
/// a crash of this process, never a write anywhere. The text is checked to
/// be UTF-8 once, after mapping (`MappedText::new`).
#[allow(unsafe_code)]
fn map(file: &std::fs::File) -> std::io::Result<memmap2::Mmap> {
    // SAFETY: see above; the mapping is read-only and private.
    unsafe { memmap2::MmapOptions::new().map_copy_read_only(file) }
}

/// Reads a file's bytes: a regular file (never a FIFO, a device or
/// `/dev/zero` behind a symlink, which would block or never end) of at
/// most [`MAX_FILE`] bytes; a large one is mapped.
pub(crate) fn read(path: &Path) -> Result<Bytes, InputError> {
    read_mapping_with(path, map)
}

/// How a file is mapped.
type Map = fn(&std::fs::File) -> std::io::Result<memmap2::Mmap>;

/// [`read`], mapping with `map` (a test makes it fail, as it fails when the
/// process holds as many mappings as the system allows: 65 530 on Linux).
fn read_mapping_with(path: &Path, map: Map) -> Result<Bytes, InputError> {
    use std::io::Read;
    let fail = |why: String| {
        InputError::new(
            ErrorCode::Unreadable,
            format!("cannot read {}: {why}", path.display()),
        )
    };
    // Never a system file, whatever symlink leads there (the process's
    // environment is a "regular file" of /proc).
    let system = |real: &Path| {
        ["/proc/", "/sys/", "/dev/"]
            .iter()
            .any(|p| real.starts_with(p))
    };
    let system_file = |real: &Path| fail(format!("it is the system file {}", real.display()));
    // Looked at before it is opened: opening a FIFO waits for a writer,
    // and a device may do anything when opened.
    let meta = std::fs::metadata(path).map_err(|e| fail(io_reason(&e)))?;
    if !meta.is_file() {
        if let Some(real) = std::fs::canonicalize(path).ok().filter(|r| system(r)) {
            return Err(system_file(&real));
        }
        return Err(fail(if meta.is_dir() {
            "it is a directory".into()
        } else {
            super::NOT_REGULAR.into()
        }));
    }
    let file = std::fs::File::open(path).map_err(|e| fail(io_reason(&e)))?;
    if let Some(real) = opened_at(&file, path).filter(|r| system(r)) {
        return Err(system_file(&real));
    }
    // The size of the file opened (the path may have changed since).
    let meta = file.metadata().map_err(|e| fail(io_reason(&e)))?;
    if !meta.is_file() {
        return Err(fail(super::NOT_REGULAR.into()));
    }
    if meta.len() > MAX_FILE {
        return Err(fail(format!("it is larger than {} GiB", MAX_FILE >> 30)));
    }
    if meta.len() >= MAP_FROM {
        // A file that cannot be mapped (some network file systems, or the
        // process at the system's limit of mappings) is read.
        if let Ok(map) = map(&file) {
            return Ok(Bytes::Mapped(map));
        }
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(MAX_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| fail(io_reason(&e)))?;
    if bytes.len() as u64 > MAX_FILE {
        return Err(fail(format!("it is larger than {} GiB", MAX_FILE >> 30)));
    }
    Ok(Bytes::Owned(bytes))
}

/// Where the system opened `file`, every symlink resolved: on Linux one
/// look at `/proc/self/fd` (making `path` canonical instead costs a look
/// at each of its components), elsewhere `path` made canonical.
fn opened_at(file: &std::fs::File, path: &Path) -> Option<std::path::PathBuf> {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        let link = format!("/proc/self/fd/{}", file.as_raw_fd());
        if let Ok(real) = std::fs::read_link(link) {
            return Some(real);
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = file;
    std::fs::canonicalize(path).ok()
}

/// Reads standard input (`-`), at most [`MAX_FILE`] bytes — once: a
/// second reading (inputs judged together are read twice) gets the same.
pub(crate) fn read_stdin() -> Result<Vec<u8>, InputError> {
    static STDIN: std::sync::OnceLock<Result<Vec<u8>, InputError>> = std::sync::OnceLock::new();
    STDIN.get_or_init(read_stdin_once).clone()
}

fn read_stdin_once() -> Result<Vec<u8>, InputError> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .take(MAX_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| {
            InputError::new(
                ErrorCode::Unreadable,
                format!("cannot read standard input: {e}"),
            )
        })?;
    if bytes.len() as u64 > MAX_FILE {
        return Err(InputError::new(
            ErrorCode::Unreadable,
            format!("standard input is larger than {} GiB", MAX_FILE >> 30),
        ));
    }
    Ok(bytes)
}

/// The byte-level reasons a file is no text tierkey can read: empty, a
/// binary plan, UTF-32 or UTF-16, control bytes at its start.
fn not_text(bytes: &[u8]) -> Result<(), InputError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(            InputError::new(ErrorCode::EmptyInput, "the file is empty")
                .help("did `terraform show -json PLANFILE > plan.json` fail? Run it again and check its exit status"));
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return Err(            InputError::new(ErrorCode::BinaryPlan, "this is a binary plan file (the output of `terraform plan -out`)")
                .help("convert it to JSON first: `terraform show -json PLANFILE > plan.json` (or `tofu show -json`)"));
    }
    let utf16_help = "Windows PowerShell's `>` writes UTF-16; use `terraform show -json PLANFILE | Out-File -Encoding utf8 plan.json`";
    if bytes.starts_with(&[0xFF, 0xFE, 0, 0]) || bytes.starts_with(&[0, 0, 0xFE, 0xFF]) {
        return Err(
            InputError::new(ErrorCode::NotUtf8, "the file is UTF-32 text, not UTF-8")
                .help("write the file as UTF-8"),
        );
    }
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(
            InputError::new(ErrorCode::NotUtf8, "the file is UTF-16 text, not UTF-8")
                .help(utf16_help),
        );
    }
    // Text never holds control bytes but tabs and line breaks: this is no
    // text (or UTF-16 without a byte order mark), and none of it is shown.
    if let Some(at) = first_control_byte(bytes) {
        let utf16 = bytes.len() >= 4
            && (bytes.iter().step_by(2).take(64).all(|&b| b != 0)
                != bytes.iter().skip(1).step_by(2).take(64).all(|&b| b != 0));
        let error = if utf16 {
            InputError::new(
                ErrorCode::NotUtf8,
                "the file is UTF-16 text without a byte order mark, not UTF-8",
            )
            .help(utf16_help)
        } else {
            InputError::new(
                ErrorCode::NotUtf8,
                format!("the file is not text: it holds control bytes (the first at byte {at})"),
            )
            .help("plans, states and configurations are UTF-8 text; is this the right file?")
        };
        return Err(error);
    }
    Ok(())
}

/// Checks the bytes of an input and finds the JSON in them. On failure,
/// returns the error and, when there is text to point into, that text.
pub(crate) fn decode(bytes: impl Into<Bytes>) -> Result<Decoded, (InputError, Option<Text>)> {
    let bytes = bytes.into();
    not_text(&bytes).map_err(|e| (e, None))?;
    let text = match bytes {
        Bytes::Owned(bytes) => String::from_utf8(bytes)
            .map(Text::Owned)
            .map_err(|e| (e.utf8_error(), e.into_bytes())),
        Bytes::Mapped(map) => MappedText::from_map(map)
            .map(Text::Mapped)
            .map_err(|(map, e)| (e, map.to_vec())),
    };
    let text = match text {
        Ok(text) => text,
        Err((e, bytes)) => {
            let at = e.valid_up_to();
            let text = Text::Owned(String::from_utf8_lossy(&bytes).into_owned());
            return Err((
                InputError::new(ErrorCode::NotUtf8, format!("invalid UTF-8 at byte {at}"))
                    .help("plans and states are UTF-8 JSON; was the file written by `terraform show -json`?")
                    .at(at..at + 1),
                Some(text),
            ));
        }
    };
    let mut start = if text.starts_with('\u{feff}') { 3 } else { 0 };
    start += text[start..].len() - text[start..].trim_start().len();
    let rest = &text[start..];
    if rest.starts_with("[command]") || rest.starts_with("::") {
        // hashicorp/setup-terraform's wrapper echoes the command, then
        // stdout, then `::set-output` / `::debug::` lines.
        let json_at = rest
            .match_indices('\n')
            .map(|(i, _)| i + 1)
            .find(|&i| rest[i..].starts_with('{'));
        if let Some(i) = json_at {
            return Ok(Decoded {
                body: start + i..text.len(),
                text,
                wrapped: true,
            });
        }
        let line_end = rest.find('\n').unwrap_or(rest.len());
        return Err((
            InputError::new(
                ErrorCode::InvalidJson,
                "this is setup-terraform wrapper output with no JSON document in it",
            )
            .help("set `terraform_wrapper: false` on hashicorp/setup-terraform, or write the plan with `terraform show -json PLANFILE > plan.json`")
            .at(start..start + line_end),
            Some(text),
        ));
    }
    Ok(Decoded {
        body: start..text.len(),
        text,
        wrapped: false,
    })
}

/// Where the first control byte other than tab, line break and form feed
/// is, in the first 64 KiB: enough to tell a binary file or UTF-16 without
/// a byte order mark from text. Past it, the parsers reject control bytes
/// where they cannot be (JSON allows none; in HCL they can only be inside
/// strings and comments), and no excerpt or message prints one
/// ([`crate::source::SourceFile::shown`], `report::printable`). Chunks are
/// tested without branching (vectorised) before a byte is looked for.
fn first_control_byte(bytes: &[u8]) -> Option<usize> {
    const CHUNK: usize = 64;
    const HEAD: usize = 64 * 1024;
    let control = |b: u8| b < 0x20 && b != b'\t' && b != b'\n' && b != b'\r' && b != 0x0c;
    let mut offset = 0;
    for chunk in bytes[..bytes.len().min(HEAD)].chunks(CHUNK) {
        if chunk.iter().fold(false, |any, &b| any | control(b)) {
            return chunk.iter().position(|&b| control(b)).map(|i| offset + i);
        }
        offset += chunk.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(bytes: &[u8]) -> ErrorCode {
        decode(bytes.to_vec()).unwrap_err().0.code
    }

    #[test]
    fn byte_level_errors() {
        assert_eq!(code(b""), ErrorCode::EmptyInput);
        assert_eq!(code(b" \n\t"), ErrorCode::EmptyInput);
        assert_eq!(code(b"PK\x03\x04rest"), ErrorCode::BinaryPlan);
        assert_eq!(code(b"\xFF\xFE{\x00"), ErrorCode::NotUtf8);
        assert_eq!(code(b"{\"a\": \"\xC3\x28\"}"), ErrorCode::NotUtf8);
        assert_eq!(
            code(b"[command]terraform show -json\n::set-output name=stdout::\n"),
            ErrorCode::InvalidJson
        );
    }

    /// A file that cannot be mapped is read, whole, as a small one is.
    #[test]
    fn a_file_that_cannot_be_mapped_is_read() {
        let dir = std::env::temp_dir().join(format!("tierkey-unmapped-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("plan.json");
        let text = format!("{{\"padding\": \"{}\"}}", "p".repeat(200 << 10));
        assert!(text.len() as u64 >= MAP_FROM, "large enough to be mapped");
        std::fs::write(&path, &text).expect("write");
        assert!(matches!(read(&path), Ok(Bytes::Mapped(_))));
        let refused: Map = |_| Err(std::io::Error::from(std::io::ErrorKind::OutOfMemory));
        let bytes = read_mapping_with(&path, refused).expect("read");
        assert!(matches!(bytes, Bytes::Owned(_)));
        assert!(*bytes == *text.as_bytes());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn bom_and_wrapper_are_skipped() {
        let d = decode(b"\xEF\xBB\xBF {\"a\":1}".to_vec()).unwrap();
        assert_eq!(&d.text[d.body.clone()], "{\"a\":1}");
        let d = decode(b"[command]/x/terraform-bin show -json p\n{\"a\":1}%0A\n::set-output name=exitcode::0\n".to_vec()).unwrap();
        assert!(d.wrapped);
        assert!(d.text[d.body.clone()].starts_with("{\"a\":1}"));
    }
}
