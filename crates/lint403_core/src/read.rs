//! Reading configuration files without ever blocking or losing one: a FIFO
//! is refused before it is opened, and every failure says why.

use std::fs;
use std::io;
use std::path::Path;

use crate::source::{SourceFile, TextEncoding};

/// Files larger than this are refused rather than read into memory.
pub const MAX_FILE_SIZE: u64 = 256 * 1024 * 1024;

/// Reads a regular file (following symlinks). UTF-16 with a BOM is
/// transcoded; everything else is read as UTF-8 with invalid bytes kept as
/// placeholders.
pub fn read_source(path: &Path) -> io::Result<SourceFile> {
    regular_file(path)?;
    let bytes = fs::read(path)?;
    Ok(decode(path, bytes))
}

/// Whether `path` is a regular file lint403 reads (following symlinks, at
/// most [`MAX_FILE_SIZE`]); if not, why.
fn regular_file(path: &Path) -> io::Result<()> {
    let metadata = fs::metadata(path).map_err(|error| {
        if error.kind() == io::ErrorKind::NotFound && path.symlink_metadata().is_ok() {
            io::Error::new(io::ErrorKind::NotFound, "dangling symbolic link")
        } else {
            error
        }
    })?;
    let file_type = metadata.file_type();
    if file_type.is_dir() {
        return Err(io::Error::other("is a directory"));
    }
    if !file_type.is_file() {
        return Err(io::Error::other(
            "not a regular file (a FIFO, socket or device)",
        ));
    }
    if metadata.len() > MAX_FILE_SIZE {
        return Err(io::Error::other(format!(
            "larger than {} MiB",
            MAX_FILE_SIZE / 1024 / 1024
        )));
    }
    Ok(())
}

/// Reads a regular file (as [`read_source`] would) into `buffer` a piece
/// at a time and keeps nothing: so that the kernel's caches hold it when
/// it is read for real. Anything else (a FIFO, a directory, a missing
/// file) is left alone.
pub fn warm(path: &Path, buffer: &mut [u8]) {
    use std::io::Read;
    if buffer.is_empty() || regular_file(path).is_err() {
        return;
    }
    let Ok(mut file) = fs::File::open(path) else {
        return;
    };
    while matches!(file.read(buffer), Ok(read) if read > 0) {}
}

/// Decodes bytes as UTF-16 when they start with a UTF-16 BOM, else as
/// UTF-8 (with or without BOM).
pub fn decode(path: &Path, bytes: Vec<u8>) -> SourceFile {
    let utf16 = match bytes.get(..2) {
        Some([0xFF, 0xFE]) => Some(TextEncoding::Utf16Le),
        Some([0xFE, 0xFF]) => Some(TextEncoding::Utf16Be),
        _ => None,
    };
    let Some(encoding) = utf16 else {
        return SourceFile::from_bytes(path, bytes);
    };
    let units = bytes[2..].chunks(2).map(|pair| match (encoding, pair) {
        (TextEncoding::Utf16Le, [lo, hi]) => u16::from_le_bytes([*lo, *hi]),
        (_, [hi, lo]) => u16::from_be_bytes([*hi, *lo]),
        // An odd trailing byte cannot be a code unit.
        _ => 0xFFFD,
    });
    let text: String = char::decode_utf16(units)
        .map(|unit| unit.unwrap_or('\u{FFFD}'))
        .collect();
    SourceFile::with_text(path.to_path_buf(), bytes, text, encoding)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Warming goes through a regular file and leaves alone what
    /// `read_source` refuses, without waiting on a FIFO no one writes to.
    #[test]
    fn warming_never_waits_on_what_read_source_refuses() {
        let dir = std::env::temp_dir().join(format!("lint403-warm-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let made = fs::create_dir_all(dir.join("sub"))
            .and_then(|()| fs::write(dir.join("file.conf"), "x".repeat(200_000)));
        assert!(made.is_ok(), "{made:?}");
        let fifo = dir.join("fifo");
        let fifo_made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(fifo_made.is_ok_and(|status| status.success()), "mkfifo");
        let (done, finished) = std::sync::mpsc::channel();
        let paths = [
            dir.join("file.conf"),
            fifo,
            dir.join("sub"),
            dir.join("missing"),
        ];
        std::thread::spawn(move || {
            let mut buffer = vec![0; 4096];
            for path in &paths {
                warm(path, &mut buffer);
            }
            let _ = done.send(());
        });
        let ended = finished.recv_timeout(std::time::Duration::from_secs(20));
        let _ = fs::remove_dir_all(&dir);
        assert!(ended.is_ok(), "warming waited on something");
    }
}
