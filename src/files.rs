//! Opening input files (plain or gzip) and writing output files atomically.
//!
//! Every reader in the crate opens files through [`open_input`], so gzip is
//! recognised the same way everywhere: by its magic bytes, not by the name, because
//! users rename files. Every writer goes through [`write_atomic`], so a run that fails
//! half-way never leaves a truncated result where a good one is expected.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;

/// Failure to open, read or write a file, with the path it concerns.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {source}")]
pub struct FileError {
    /// The file concerned.
    pub path: PathBuf,
    /// What the operating system or the compressor said.
    #[source]
    pub source: io::Error,
}

impl FileError {
    pub(crate) fn new(path: &Path, source: io::Error) -> Self {
        FileError {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Where in a file a problem was found (1-based line and column).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file.
    pub path: PathBuf,
    /// 1-based line, when the problem is on one line.
    pub line: Option<u64>,
    /// 1-based column (field or character, as the format counts) on that line.
    pub column: Option<usize>,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(col) = self.column {
                write!(f, ":{col}")?;
            }
        }
        Ok(())
    }
}

/// Malformed content at a known place of an input file: `file:line:column:` and
/// what was expected and what to do. Every reader of the crate reports its parse
/// errors with this one type.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{at}: {message}")]
pub struct ParseError {
    /// Where.
    pub at: Location,
    /// What was expected, and how to fix it.
    pub message: String,
}

impl ParseError {
    /// A problem at `line` (and `column`) of `path`, either unknown when `None`.
    pub fn new(
        path: &Path,
        line: Option<u64>,
        column: Option<usize>,
        message: impl Into<String>,
    ) -> Self {
        ParseError {
            at: Location {
                path: path.to_path_buf(),
                line,
                column,
            },
            message: message.into(),
        }
    }

    /// A problem on 1-based `line` of `path`.
    pub fn at_line(path: &Path, line: usize, message: impl Into<String>) -> Self {
        Self::new(path, Some(line as u64), None, message)
    }
}

/// Why an input file could not be read: the file itself, or its content. The
/// readers of edge tables and expression matrices return it as is; other error
/// types hold it as one variant.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// Opening or reading the file failed.
    #[error(transparent)]
    File(#[from] FileError),
    /// The content is malformed at a known place.
    #[error(transparent)]
    Parse(#[from] ParseError),
}

/// `From<FileError>` and `From<ParseError>` for an error type with an
/// `Input(InputError)` variant, so readers can use `?` on either.
macro_rules! from_input_errors {
    ($t:ty) => {
        impl From<$crate::files::FileError> for $t {
            fn from(e: $crate::files::FileError) -> Self {
                Self::Input(e.into())
            }
        }
        impl From<$crate::files::ParseError> for $t {
            fn from(e: $crate::files::ParseError) -> Self {
                Self::Input(e.into())
            }
        }
    };
}
pub(crate) use from_input_errors;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Opens `path` for buffered reading, decompressing it when it starts with the gzip
/// magic bytes (multi-member gzip, as produced by `bgzip` and concatenation, is read
/// whole).
pub fn open_input(path: &Path) -> Result<Box<dyn BufRead + Send>, FileError> {
    let file = File::open(path).map_err(|e| FileError::new(path, e))?;
    let mut reader = BufReader::with_capacity(1 << 16, file);
    let head = reader.fill_buf().map_err(|e| FileError::new(path, e))?;
    if head.starts_with(&GZIP_MAGIC) {
        Ok(Box::new(BufReader::with_capacity(
            1 << 16,
            MultiGzDecoder::new(reader),
        )))
    } else {
        Ok(Box::new(reader))
    }
}

/// Reads a whole (possibly gzipped) text file into a string.
pub fn read_to_string(path: &Path) -> Result<String, FileError> {
    let mut text = String::new();
    open_input(path)?
        .read_to_string(&mut text)
        .map_err(|e| FileError::new(path, e))?;
    Ok(text)
}

/// Strips a trailing `.gz` and returns the remaining extension, lower-cased
/// (`net.TSV.gz` gives `tsv`).
pub fn logical_extension(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_str()?.to_ascii_lowercase();
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    let (_, ext) = name.rsplit_once('.')?;
    Some(ext.to_string())
}

/// True when the output should be gzip-compressed (the name ends in `.gz`).
pub fn is_gz_name(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"))
}

/// Writes `path` atomically: `write` fills a temporary file in the same directory,
/// which is renamed over `path` only when `write` succeeded. The output is gzipped
/// when the name ends in `.gz`.
pub fn write_atomic<F>(path: &Path, write: F) -> Result<(), FileError>
where
    F: FnOnce(&mut dyn Write) -> io::Result<()>,
{
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".grn-").suffix(".tmp");
    // Temporary files are private (0600); results are ordinary files, readable as
    // if created under the usual umask 022.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644));
    let tmp = builder
        .tempfile_in(dir)
        .map_err(|e| FileError::new(path, e))?;
    let result = (|| -> io::Result<()> {
        let file = tmp.as_file().try_clone()?;
        let mut buffered = BufWriter::with_capacity(1 << 16, file);
        if is_gz_name(path) {
            let mut gz = GzEncoder::new(buffered, Compression::default());
            write(&mut gz)?;
            buffered = gz.finish()?;
        } else {
            write(&mut buffered)?;
        }
        buffered.flush()?;
        buffered.get_ref().sync_all()
    })();
    result.map_err(|e| FileError::new(path, e))?;
    tmp.persist(path)
        .map_err(|e| FileError::new(path, e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_is_detected_by_content_and_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let gz = dir.path().join("a.tsv.gz");
        write_atomic(&gz, |w| w.write_all(b"x\ty\n1\t2\n")).unwrap();
        let renamed = dir.path().join("a.tsv");
        std::fs::rename(&gz, &renamed).unwrap();
        assert_eq!(read_to_string(&renamed).unwrap(), "x\ty\n1\t2\n");
    }

    #[test]
    fn failed_write_leaves_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.tsv");
        let err = write_atomic(&out, |w| {
            w.write_all(b"partial")?;
            Err(io::Error::other("boom"))
        });
        assert!(err.is_err());
        assert!(!out.exists());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[cfg(unix)]
    #[test]
    fn results_are_readable_by_others() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.tsv");
        write_atomic(&out, |w| w.write_all(b"x")).unwrap();
        let mode = std::fs::metadata(&out).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o644);
    }

    #[test]
    fn extension_ignores_gz() {
        assert_eq!(
            logical_extension(Path::new("x/net.TSV.gz")).as_deref(),
            Some("tsv")
        );
        assert_eq!(
            logical_extension(Path::new("a.csv")).as_deref(),
            Some("csv")
        );
        assert_eq!(logical_extension(Path::new("noext")), None);
    }
}
