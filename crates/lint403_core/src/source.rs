//! Source files, byte spans and the mapping from bytes to lines and columns.

use std::path::{Path, PathBuf};

/// A half-open byte range `start..end` into one file's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct TextRange {
    pub start: usize,
    pub end: usize,
}

impl TextRange {
    pub fn new(start: usize, end: usize) -> TextRange {
        TextRange {
            start,
            end: end.max(start),
        }
    }

    pub fn empty(at: usize) -> TextRange {
        TextRange { start: at, end: at }
    }

    pub fn len(self) -> usize {
        self.end - self.start
    }

    pub fn is_empty(self) -> bool {
        self.start == self.end
    }

    /// The smallest range that covers both.
    #[must_use]
    pub fn cover(self, other: TextRange) -> TextRange {
        TextRange {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

impl From<std::ops::Range<usize>> for TextRange {
    fn from(range: std::ops::Range<usize>) -> TextRange {
        TextRange::new(range.start, range.end)
    }
}

/// Index of a file in a [`SourceMap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);

/// A range in a particular file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    pub file: FileId,
    pub range: TextRange,
}

impl Span {
    pub fn new(file: FileId, range: impl Into<TextRange>) -> Span {
        Span {
            file,
            range: range.into(),
        }
    }
}

/// How the bytes on disk were turned into [`SourceFile::text`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextEncoding {
    /// UTF-8 (possibly with a BOM, which stays in the text). Invalid bytes
    /// were replaced one for one by `?`, so byte offsets in the text are
    /// byte offsets in the file.
    Utf8,
    /// UTF-16 little endian with a BOM, transcoded to UTF-8.
    Utf16Le,
    /// UTF-16 big endian with a BOM, transcoded to UTF-8.
    Utf16Be,
}

/// A 1-based line and a 1-based column counted in Unicode scalar values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct LineCol {
    pub line: usize,
    pub column: usize,
}

/// One file as lint403 read it.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: PathBuf,
    /// The file's bytes as read, kept only when they differ from
    /// [`Self::text`] (invalid UTF-8, UTF-16): a repository's files are
    /// almost all valid UTF-8, and a second copy of each doubled the
    /// memory a large configuration takes.
    original: Option<Vec<u8>>,
    /// Valid UTF-8 whose byte offsets are the ones every span uses.
    pub text: String,
    pub encoding: TextEncoding,
    /// As `u32`: half the memory of `usize` offsets, and a text too long
    /// for them (over 4 GiB) is never read (see `read::MAX_FILE_SIZE`).
    line_starts: Vec<u32>,
    /// Set while the text is set aside ([`SourceMap::park`]): what the
    /// bytes read were, to tell them from what is on disk when they are
    /// read again.
    parked: Option<Fingerprint>,
}

/// A file's length and a hash of its bytes: enough to tell whether a file
/// read twice in one run changed in between.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Fingerprint {
    length: usize,
    hash: u64,
}

impl Fingerprint {
    fn of(bytes: &[u8]) -> Fingerprint {
        use std::hash::{BuildHasher, Hasher};
        let mut hasher = crate::hashing::FastHash.build_hasher();
        hasher.write(bytes);
        Fingerprint {
            length: bytes.len(),
            hash: hasher.finish(),
        }
    }
}

impl SourceFile {
    /// Builds a file from bytes read as UTF-8: invalid bytes become `?` one
    /// for one, so that every byte offset still names the same byte on disk.
    pub fn from_bytes(path: impl Into<PathBuf>, bytes: Vec<u8>) -> SourceFile {
        match String::from_utf8(bytes) {
            Ok(text) => SourceFile::with_text(path.into(), Vec::new(), text, TextEncoding::Utf8),
            Err(error) => {
                let bytes = error.into_bytes();
                let text = utf8_with_placeholders(&bytes);
                SourceFile::with_text(path.into(), bytes, text, TextEncoding::Utf8)
            }
        }
    }

    /// Builds a file whose text was decoded from `bytes` (empty `bytes`
    /// when they are the text's own).
    pub fn with_text(
        path: PathBuf,
        bytes: Vec<u8>,
        text: String,
        encoding: TextEncoding,
    ) -> SourceFile {
        let line_starts = line_starts(&text);
        let original = (!bytes.is_empty() && bytes != text.as_bytes()).then_some(bytes);
        SourceFile {
            path,
            original,
            text,
            encoding,
            line_starts,
            parked: None,
        }
    }

    /// Whether the text is set aside ([`SourceMap::park`]): it reads as
    /// empty until [`SourceMap::unpark`].
    pub fn is_parked(&self) -> bool {
        self.parked.is_some()
    }

    /// The file's bytes exactly as read (empty when it could not be read).
    pub fn bytes(&self) -> &[u8] {
        self.original.as_deref().unwrap_or(self.text.as_bytes())
    }

    /// The 1-based line and column of a byte offset into [`Self::text`].
    /// A leading BOM is not counted as a column.
    pub fn line_col(&self, offset: usize) -> LineCol {
        let offset = clamp_to_char_boundary(&self.text, offset);
        let key = u32::try_from(offset).unwrap_or(u32::MAX);
        let line_index = match self.line_starts.binary_search(&key) {
            Ok(index) => index,
            Err(index) => index - 1,
        };
        let line_start = self.line_starts[line_index] as usize;
        let prefix = &self.text[line_start..offset];
        let mut column = prefix.chars().count() + 1;
        if line_index == 0 && prefix.starts_with('\u{feff}') {
            column -= 1;
        }
        LineCol {
            line: line_index + 1,
            column,
        }
    }

    /// The byte offset where a 1-based line starts, if the file has it.
    pub fn line_start(&self, line: usize) -> Option<usize> {
        self.line_starts
            .get(line.checked_sub(1)?)
            .map(|start| *start as usize)
    }

    /// Number of lines, counting a final line without newline.
    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// The offset on disk of a byte offset into the text. Identity for
    /// UTF-8; for UTF-16 each scalar value before `offset` counts its
    /// UTF-16 length, plus the two BOM bytes.
    pub fn original_offset(&self, offset: usize) -> usize {
        match self.encoding {
            TextEncoding::Utf8 => offset,
            TextEncoding::Utf16Le | TextEncoding::Utf16Be => {
                let offset = clamp_to_char_boundary(&self.text, offset);
                2 + self.text[..offset]
                    .chars()
                    .map(|c| c.len_utf16() * 2)
                    .sum::<usize>()
            }
        }
    }
}

/// The offset of every line's first byte. Eight bytes at a time: every
/// file a check reads is split into lines, and a search per line cost
/// more than reading the file.
fn line_starts(text: &str) -> Vec<u32> {
    const LOWS: u64 = u64::from_le_bytes([0x7f; 8]);
    const LINE_FEEDS: u64 = u64::from_le_bytes([b'\n'; 8]);
    let bytes = text.as_bytes();
    let mut starts = Vec::with_capacity(bytes.len() / 32 + 1);
    starts.push(0);
    let mut chunks = bytes.chunks_exact(8);
    let mut offset = 0;
    for chunk in chunks.by_ref() {
        let mut word = [0; 8];
        word.copy_from_slice(chunk);
        let found = u64::from_le_bytes(word) ^ LINE_FEEDS;
        // The high bit of each byte of `found` that is zero, that is of
        // each line feed (exact: no carry crosses a byte).
        let mut line_feeds = !((found & LOWS).wrapping_add(LOWS) | found | LOWS);
        while line_feeds != 0 {
            let at = offset + line_feeds.trailing_zeros() as usize / 8;
            let Ok(start) = u32::try_from(at + 1) else {
                return starts;
            };
            starts.push(start);
            line_feeds &= line_feeds - 1;
        }
        offset += 8;
    }
    for (index, &byte) in chunks.remainder().iter().enumerate() {
        if byte == b'\n' {
            let Ok(start) = u32::try_from(offset + index + 1) else {
                break;
            };
            starts.push(start);
        }
    }
    // Kept for the whole run, one per line: without the room a guess left.
    crate::fit::exactly(starts)
}

fn clamp_to_char_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// UTF-8 text of the same length as `bytes`, each byte that is not part of
/// a valid sequence replaced by `?`.
pub fn utf8_with_placeholders(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len());
    let mut rest = bytes;
    loop {
        match std::str::from_utf8(rest) {
            Ok(valid) => {
                text.push_str(valid);
                return text;
            }
            Err(error) => {
                let (valid, after) = rest.split_at(error.valid_up_to());
                // The prefix was just validated, so this cannot fail.
                text.push_str(std::str::from_utf8(valid).unwrap_or_default());
                let invalid = error.error_len().unwrap_or(after.len());
                text.extend(std::iter::repeat_n('?', invalid));
                rest = &after[invalid..];
            }
        }
    }
}

/// All files of one run. Files are never removed, so a [`FileId`] stays
/// valid for the whole run. Files are shared, so a map is cheap to clone
/// (one per thread, seeded with what every thread needs to see): the
/// files of [`SourceMap::frozen`] are shared as one list, so a clone
/// copies only the files added since.
#[derive(Debug, Default, Clone)]
pub struct SourceMap {
    /// The first files, shared with the maps cloned from the same frozen map
    /// (a run of thousands of `.htaccess` files cloned every file of the
    /// run for each of them, several times).
    frozen: std::sync::Arc<Vec<std::sync::Arc<SourceFile>>>,
    /// The files added after them.
    own: Vec<std::sync::Arc<SourceFile>>,
}

impl SourceMap {
    pub fn new() -> SourceMap {
        SourceMap::default()
    }

    /// The same files, all of them in the shared part: clones of the result
    /// cost nothing per file.
    #[must_use]
    pub fn frozen(&self) -> SourceMap {
        if self.own.is_empty() {
            return self.clone();
        }
        let mut files = Vec::with_capacity(self.len());
        files.extend(self.frozen.iter().cloned());
        files.extend(self.own.iter().cloned());
        SourceMap {
            frozen: std::sync::Arc::new(files),
            own: Vec::new(),
        }
    }

    /// Whether `other`'s first [`SourceMap::frozen_len`] files are this
    /// map's first ones, the very same list.
    pub fn shares_frozen_with(&self, other: &SourceMap) -> bool {
        std::sync::Arc::ptr_eq(&self.frozen, &other.frozen)
    }

    /// How many files the shared part holds.
    pub fn frozen_len(&self) -> usize {
        self.frozen.len()
    }

    pub fn add(&mut self, file: SourceFile) -> FileId {
        self.add_shared(std::sync::Arc::new(file))
    }

    /// Sets the text of `id` aside (reads as empty, [`SourceFile::is_parked`])
    /// until [`SourceMap::unpark`] reads the file again. For the files of a
    /// large configuration that was checked and that no file checked later
    /// reads: their texts are only needed again to show the findings, and
    /// held meanwhile they sat under the next large configuration's peak
    /// (65 MiB of the scale-100 benchmark's 355). Files of the shared part
    /// ([`SourceMap::frozen`]) stay as they are; the caller parks only files
    /// it read from disk.
    pub fn park(&mut self, id: FileId) {
        let Some(index) = (id.0 as usize).checked_sub(self.frozen.len()) else {
            return;
        };
        let Some(slot) = self.own.get_mut(index) else {
            return;
        };
        if slot.parked.is_some() {
            return;
        }
        let parked = SourceFile {
            path: slot.path.clone(),
            original: None,
            text: String::new(),
            encoding: slot.encoding,
            line_starts: vec![0],
            parked: Some(Fingerprint::of(slot.bytes())),
        };
        *slot = std::sync::Arc::new(parked);
    }

    /// Reads every parked file again, on every core. A file that cannot be
    /// read, or whose bytes are not the ones checked (it changed during the
    /// run), stays parked, with the reason: its findings' offsets are not
    /// about what is on disk now.
    pub fn unpark(&mut self) -> Vec<(FileId, String)> {
        let parked: Vec<(usize, PathBuf, Fingerprint)> = self
            .own
            .iter()
            .enumerate()
            .filter_map(|(index, slot)| Some((index, slot.path.clone(), slot.parked?)))
            .collect();
        let read = crate::cores::map(&parked, crate::cores::available(), |(_, path, checked)| {
            match crate::read::read_source(path) {
                Ok(file) if Fingerprint::of(file.bytes()) == *checked => Ok(file),
                Ok(_) => Err("it changed while it was checked".to_string()),
                Err(error) => Err(error.to_string()),
            }
        });
        let first = self.frozen.len();
        let mut failed = Vec::new();
        for ((index, _, _), file) in parked.into_iter().zip(read) {
            match file {
                Ok(file) => self.own[index] = std::sync::Arc::new(file),
                Err(reason) => {
                    failed.push((
                        FileId(u32::try_from(first + index).unwrap_or(u32::MAX)),
                        reason,
                    ));
                }
            }
        }
        failed
    }

    /// Adds a file another map holds too, without copying it.
    pub fn add_shared(&mut self, file: std::sync::Arc<SourceFile>) -> FileId {
        let id = FileId(u32::try_from(self.len()).unwrap_or(u32::MAX));
        self.own.push(file);
        id
    }

    fn slot(&self, id: FileId) -> &std::sync::Arc<SourceFile> {
        let index = id.0 as usize;
        match self.frozen.get(index) {
            Some(file) => file,
            None => &self.own[index - self.frozen.len()],
        }
    }

    /// The shared handle of a file, to add it to another map.
    ///
    /// # Panics
    /// Only when given an id from another map.
    pub fn shared(&self, id: FileId) -> std::sync::Arc<SourceFile> {
        self.slot(id).clone()
    }

    /// Registers a path that could not be read, so diagnostics about it can
    /// still name it.
    pub fn add_unreadable(&mut self, path: impl Into<PathBuf>) -> FileId {
        self.add(SourceFile::from_bytes(path, Vec::new()))
    }

    /// # Panics
    /// Only when given an id from another map.
    pub fn get(&self, id: FileId) -> &SourceFile {
        self.slot(id)
    }

    pub fn find(&self, path: &Path) -> Option<FileId> {
        self.iter()
            .find(|(_, file)| file.path == path)
            .map(|(id, _)| id)
    }

    pub fn iter(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.frozen
            .iter()
            .chain(&self.own)
            .enumerate()
            .map(|(index, file)| (FileId(index as u32), &**file))
    }

    pub fn len(&self) -> usize {
        self.frozen.len() + self.own.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The line starts are those of a search for every line feed, on texts
    /// with line feeds at every offset of an eight-byte word and beside
    /// bytes that share bits with it.
    #[test]
    fn line_starts_are_every_line_feed() {
        let mut texts: Vec<String> = vec![String::new(), "\n".into(), "abc".into()];
        let pieces = [
            "a",
            "\n",
            "\n\n",
            "\u{8a}",
            "é",
            "\u{b}",
            "\t",
            "0123456789",
        ];
        let mut seed: u32 = 7;
        for _ in 0..300 {
            let mut text = String::new();
            for _ in 0..(seed % 40) {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                text.push_str(pieces[(seed >> 16) as usize % pieces.len()]);
            }
            texts.push(text);
        }
        for text in &texts {
            let expected: Vec<u32> = std::iter::once(0)
                .chain(text.match_indices('\n').map(|(at, _)| at as u32 + 1))
                .collect();
            assert_eq!(line_starts(text), expected, "{text:?}");
        }
    }

    #[test]
    fn columns_count_scalar_values_and_skip_the_bom() {
        let file = SourceFile::from_bytes("t", "\u{feff}ab\n\tžc\n".as_bytes().to_vec());
        assert_eq!(file.line_col(3), LineCol { line: 1, column: 1 });
        assert_eq!(file.line_col(4), LineCol { line: 1, column: 2 });
        let z = file.text.find('ž').unwrap_or_default();
        assert_eq!(file.line_col(z), LineCol { line: 2, column: 2 });
        assert_eq!(file.line_col(z + 2), LineCol { line: 2, column: 3 });
        assert_eq!(file.line_col(file.text.len()).line, 3);
    }

    /// A frozen map and its clones keep every id; what a clone adds stays
    /// its own, and the shared part is recognised as the same list.
    #[test]
    fn frozen_maps_keep_ids_and_share_their_files() {
        let mut map = SourceMap::new();
        let a = map.add(SourceFile::from_bytes("a", b"1".to_vec()));
        let frozen = map.frozen();
        let b = map.add(SourceFile::from_bytes("b", b"2".to_vec()));
        let mut seeded = frozen.clone();
        let c = seeded.add(SourceFile::from_bytes("c", b"3".to_vec()));
        assert_eq!((a.0, b.0, c.0), (0, 1, 1));
        assert_eq!(seeded.get(a).text, "1");
        assert_eq!(seeded.get(c).text, "3");
        assert_eq!(map.get(b).text, "2");
        assert!(seeded.shares_frozen_with(&frozen));
        assert!(!map.shares_frozen_with(&frozen));
        assert_eq!((seeded.len(), seeded.frozen_len()), (2, 1));
        let refrozen = seeded.frozen();
        assert_eq!(refrozen.frozen_len(), 2);
        let paths: Vec<String> = refrozen
            .iter()
            .map(|(_, file)| file.path.display().to_string())
            .collect();
        assert_eq!(paths, ["a", "c"]);
        assert_eq!(refrozen.find(Path::new("c")), Some(c));
        assert!(std::sync::Arc::ptr_eq(&refrozen.shared(a), &map.shared(a)));
    }

    #[test]
    fn invalid_bytes_keep_offsets() {
        let file = SourceFile::from_bytes("t", b"a\xff\xfeb\xe2\x82".to_vec());
        assert_eq!(file.text, "a??b??");
        assert_eq!(file.text.len(), file.bytes().len());
        assert_eq!(file.bytes(), b"a\xff\xfeb\xe2\x82");
        let valid = SourceFile::from_bytes("t", "caf\u{e9}".as_bytes().to_vec());
        assert_eq!(valid.bytes(), "caf\u{e9}".as_bytes());
    }

    #[test]
    fn utf16_offsets_map_back_to_bytes() {
        let text = "<a>é😀</a>".to_string();
        let file = SourceFile::with_text("t".into(), Vec::new(), text, TextEncoding::Utf16Le);
        // BOM (2) + "<a>" (6) + "é" (2) = 10
        let emoji = file.text.find('😀').unwrap_or_default();
        assert_eq!(file.original_offset(emoji), 10);
        assert_eq!(file.original_offset(emoji + 4), 14);
    }

    /// A parked file reads as empty, and unparking reads it again: its
    /// text, encoding and lines are those it was checked with.
    #[test]
    fn a_parked_file_comes_back_as_it_was_read() {
        let dir = std::env::temp_dir().join(format!("lint403-park-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        let (same, changed, gone) = (
            dir.join("same.conf"),
            dir.join("changed.conf"),
            dir.join("gone.conf"),
        );
        let text = "server {\n    deny all;\n}\n";
        for path in [&same, &changed, &gone] {
            std::fs::write(path, text).expect("write");
        }
        let mut sources = SourceMap::new();
        let kept = sources.add(SourceFile::from_bytes("kept.conf", b"stays".to_vec()));
        let mut sources = sources.frozen();
        let ids: Vec<FileId> = [&same, &changed, &gone]
            .into_iter()
            .map(|path| sources.add(crate::read::read_source(path).expect("read")))
            .collect();
        for &id in &ids {
            sources.park(id);
            assert!(sources.get(id).is_parked());
            assert_eq!(sources.get(id).text, "");
            assert_eq!(sources.get(id).line_count(), 1);
        }
        // The shared part is other maps' too, and is left as it is.
        sources.park(kept);
        assert!(!sources.get(kept).is_parked());

        std::fs::write(&changed, text.replace("deny", "allow")).expect("write");
        std::fs::remove_file(&gone).expect("remove");
        let failed = sources.unpark();
        let _ = std::fs::remove_dir_all(&dir);

        let reasons: Vec<FileId> = failed.iter().map(|(id, _)| *id).collect();
        assert_eq!(reasons, vec![ids[1], ids[2]]);
        assert_eq!(failed[0].1, "it changed while it was checked");
        assert!(!sources.get(ids[0]).is_parked());
        assert_eq!(sources.get(ids[0]).text, text);
        assert_eq!(sources.get(ids[0]).line_col(16).line, 2);
        assert!(
            sources.get(ids[1]).is_parked(),
            "a changed file stays parked"
        );
        assert!(
            sources.get(ids[2]).is_parked(),
            "a vanished file stays parked"
        );
        assert_eq!(sources.get(kept).text, "stays");
    }
}
