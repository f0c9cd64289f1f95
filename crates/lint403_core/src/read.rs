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
    let bytes = fs::read(path)?;
    Ok(decode(path, bytes))
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
