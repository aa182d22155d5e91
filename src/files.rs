//! Opening input files (plain or gzip) and writing output files atomically.
//!
//! Every reader in the crate opens files through [`open_input`], so gzip is
//! recognised the same way everywhere: by its magic bytes, not by the name, because
//! users rename files. `-` reads standard input. Every writer goes through
//! [`write_atomic`], so a run that fails half-way never leaves a truncated result
//! where a good one is expected; commands check their outputs with
//! [`check_output_path`] before any long computation.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use flate2::Compression;
use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;

/// Failure to open, read or write a file, with the path it concerns.
///
/// The operating system's reason is part of the message, not a separate source, so
/// a report that prints the whole error chain says it once.
#[derive(Debug)]
pub struct FileError {
    /// The file concerned.
    pub path: PathBuf,
    /// What the operating system or the compressor said.
    pub source: io::Error,
}

impl std::fmt::Display for FileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.source)
    }
}

impl std::error::Error for FileError {}

impl FileError {
    pub(crate) fn new(path: &Path, source: io::Error) -> Self {
        FileError {
            path: path.to_path_buf(),
            source: without_temp_path(source),
        }
    }

    fn message(path: &Path, kind: io::ErrorKind, message: String) -> Self {
        FileError::new(path, io::Error::new(kind, message))
    }
}

/// `tempfile` appends the temporary file's name to its errors; that name means
/// nothing to the user (the file is gone), so only the underlying reason is kept.
fn without_temp_path(e: io::Error) -> io::Error {
    let inner = e
        .get_ref()
        .and_then(|r| std::error::Error::source(r))
        .and_then(|s| s.downcast_ref::<io::Error>());
    match inner {
        Some(inner) if e.to_string().contains(".grn-") => match inner.raw_os_error() {
            Some(code) => io::Error::from_raw_os_error(code),
            None => io::Error::new(inner.kind(), inner.to_string()),
        },
        _ => e,
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

/// The path that means standard input (as an input) or standard output (as an
/// output).
pub const STDIO: &str = "-";

fn is_stdio(path: &Path) -> bool {
    path.as_os_str() == STDIO
}

/// Standard input, read whole on first use: readers may open their input twice
/// (to detect the delimiter, then to parse), which a pipe cannot do.
fn stdin_bytes() -> io::Result<Arc<[u8]>> {
    static STDIN: Mutex<Option<Arc<[u8]>>> = Mutex::new(None);
    let mut cached = STDIN.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(bytes) = &*cached {
        return Ok(bytes.clone());
    }
    let mut bytes = Vec::new();
    io::stdin().lock().read_to_end(&mut bytes)?;
    let bytes: Arc<[u8]> = bytes.into();
    *cached = Some(bytes.clone());
    Ok(bytes)
}

/// Shares the cached standard input as a reader.
struct SharedBytes(Arc<[u8]>, usize);

impl Read for SharedBytes {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let rest = &self.0[self.1..];
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        self.1 += n;
        Ok(n)
    }
}

/// Opens `path` for buffered reading, decompressing it when it starts with the gzip
/// magic bytes (multi-member gzip, as produced by `bgzip` and concatenation, is read
/// whole). `-` is standard input (held in memory, so it can be opened again).
pub fn open_input(path: &Path) -> Result<Box<dyn BufRead + Send>, FileError> {
    let source: Box<dyn Read + Send> = if is_stdio(path) {
        Box::new(SharedBytes(
            stdin_bytes().map_err(|e| FileError::new(path, e))?,
            0,
        ))
    } else {
        let meta = fs::metadata(path).map_err(|e| FileError::new(path, e))?;
        if meta.is_dir() {
            return Err(FileError::message(
                path,
                io::ErrorKind::InvalidInput,
                "is a directory, not a file".into(),
            ));
        }
        Box::new(File::open(path).map_err(|e| FileError::new(path, e))?)
    };
    let mut reader = BufReader::with_capacity(1 << 16, source);
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

/// Reads a whole (possibly gzipped) text file into a string. Text that is not
/// UTF-8 is an error naming the line, never silently replaced.
pub fn read_to_string(path: &Path) -> Result<String, FileError> {
    let mut bytes = Vec::new();
    open_input(path)?
        .read_to_end(&mut bytes)
        .map_err(|e| FileError::new(path, e))?;
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let bytes = e.as_bytes();
        let line = 1 + bytes[..at].iter().filter(|&&b| b == b'\n').count();
        let column = at
            - bytes[..at]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1)
            + 1;
        FileError::message(
            path,
            io::ErrorKind::InvalidData,
            not_utf8(line as u64, column),
        )
    })
}

/// The message for text that is not UTF-8 at a 1-based line and byte column.
pub fn not_utf8(line: u64, column: usize) -> String {
    format!(
        "line {line}, byte {column} is not UTF-8 text; convert the file to UTF-8 (e.g. \
         `iconv -f latin1 -t utf-8 FILE > FILE.utf8` for Latin-1)"
    )
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

/// Where an output goes, as found by [`check_output_path`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutputTarget {
    /// `-`: standard output.
    Stdout,
    /// A character device or FIFO (`/dev/null`, a named pipe), written in place:
    /// renaming a file over it would replace the device node.
    Stream(PathBuf),
    /// A regular file, existing or not, reached after following symbolic links:
    /// written beside it and renamed over it, so a link stays a link.
    File(PathBuf),
}

/// Links followed before giving up, as Linux's `ELOOP` limit.
const MAX_LINKS: usize = 40;

/// Follows symbolic links (also dangling ones, whose target is then created).
fn resolve_links(path: &Path) -> Result<PathBuf, FileError> {
    let mut current = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        match fs::symlink_metadata(&current) {
            Ok(m) if m.file_type().is_symlink() => {
                let target = fs::read_link(&current).map_err(|e| FileError::new(path, e))?;
                current = match current.parent() {
                    Some(dir) if target.is_relative() => dir.join(target),
                    _ => target,
                };
            }
            _ => return Ok(current),
        }
    }
    Err(FileError::message(
        path,
        io::ErrorKind::InvalidInput,
        format!("more than {MAX_LINKS} symbolic links to follow (a loop?)"),
    ))
}

fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Checks that a file can be created in `dir` by creating (and removing) one: the
/// only test that also honours ACLs, read-only mounts and root.
fn check_dir_writable(path: &Path, dir: &Path) -> Result<(), FileError> {
    match fs::metadata(dir) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(FileError::message(
                path,
                io::ErrorKind::NotFound,
                format!(
                    "the directory {} does not exist; create it first (mkdir -p)",
                    dir.display()
                ),
            ));
        }
        Err(e) => return Err(FileError::new(path, e)),
        Ok(m) if !m.is_dir() => {
            return Err(FileError::message(
                path,
                io::ErrorKind::InvalidInput,
                format!("{} is not a directory", dir.display()),
            ));
        }
        Ok(_) => {}
    }
    tempfile::Builder::new()
        .prefix(".grn-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map(drop)
        .map_err(|e| {
            let e = without_temp_path(e);
            FileError::message(
                path,
                e.kind(),
                format!("cannot create files in {}: {e}", dir.display()),
            )
        })
}

/// Checks, before any work is done, that `path` can be written, and says how it
/// will be: `-` is standard output; character devices and FIFOs are written in
/// place; anything else must be a regular file (or missing) in an existing, writable
/// directory, and not read-only. Symbolic links are followed.
pub fn check_output_path(path: &Path) -> Result<OutputTarget, FileError> {
    if is_stdio(path) {
        return Ok(OutputTarget::Stdout);
    }
    let target = resolve_links(path)?;
    match fs::metadata(&target) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            check_dir_writable(path, parent_dir(&target))?;
            Ok(OutputTarget::File(target))
        }
        Err(e) => Err(FileError::new(path, e)),
        Ok(m) if m.is_dir() => Err(FileError::message(
            path,
            io::ErrorKind::InvalidInput,
            "is a directory; give a file name".into(),
        )),
        Ok(m) if m.is_file() => {
            if m.permissions().readonly() {
                return Err(FileError::message(
                    path,
                    io::ErrorKind::PermissionDenied,
                    "the file is read-only; make it writable (chmod u+w) or choose another \
                     name"
                        .into(),
                ));
            }
            check_dir_writable(path, parent_dir(&target))?;
            Ok(OutputTarget::File(target))
        }
        Ok(m) if is_stream(&m) => Ok(OutputTarget::Stream(target)),
        Ok(_) => Err(FileError::message(
            path,
            io::ErrorKind::InvalidInput,
            "is neither a regular file, a character device nor a FIFO; choose a file name".into(),
        )),
    }
}

#[cfg(unix)]
fn is_stream(m: &fs::Metadata) -> bool {
    use std::os::unix::fs::FileTypeExt;
    m.file_type().is_char_device() || m.file_type().is_fifo()
}

#[cfg(not(unix))]
fn is_stream(_: &fs::Metadata) -> bool {
    false
}

/// Checks, before any work is done, that `dir` is (or can be created as) a
/// writable directory for a command that writes several files into it.
pub fn check_output_dir(dir: &Path) -> Result<(), FileError> {
    let mut existing = dir;
    loop {
        match fs::metadata(existing) {
            Ok(m) if m.is_dir() => return check_dir_writable(dir, existing),
            Ok(_) => {
                return Err(FileError::message(
                    dir,
                    io::ErrorKind::InvalidInput,
                    format!("{} exists and is not a directory", existing.display()),
                ));
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => match existing.parent() {
                Some(p) if !p.as_os_str().is_empty() => existing = p,
                _ => return check_dir_writable(dir, Path::new(".")),
            },
            Err(e) => return Err(FileError::new(dir, e)),
        }
    }
}

/// Fills `w` with `write`, gzipped when `gz`, and flushes it.
fn fill<W: Write, F>(w: W, gz: bool, write: F) -> io::Result<W>
where
    F: FnOnce(&mut dyn Write) -> io::Result<()>,
{
    let mut buffered = BufWriter::with_capacity(1 << 16, w);
    if gz {
        let mut enc = GzEncoder::new(buffered, Compression::default());
        write(&mut enc)?;
        buffered = enc.finish()?;
    } else {
        write(&mut buffered)?;
    }
    buffered.flush()?;
    buffered.into_inner().map_err(|e| e.into_error())
}

/// Writes `path` atomically: `write` fills a temporary file in the same directory,
/// which is renamed over `path` only when `write` succeeded. The output is gzipped
/// when the name ends in `.gz`. Where renaming would be wrong (see
/// [`OutputTarget`]), the output is written in place: to standard output for `-`
/// (a reader that stops early, as `head`, is not an error), and straight into
/// character devices and FIFOs. Symbolic links are followed, and read-only files
/// refused.
pub fn write_atomic<F>(path: &Path, write: F) -> Result<(), FileError>
where
    F: FnOnce(&mut dyn Write) -> io::Result<()>,
{
    let gz = is_gz_name(path);
    let target = match check_output_path(path)? {
        OutputTarget::Stdout => {
            return match fill(io::stdout().lock(), gz, write) {
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
                other => other.map(drop).map_err(|e| FileError::new(path, e)),
            };
        }
        OutputTarget::Stream(device) => {
            let file = OpenOptions::new()
                .write(true)
                .open(&device)
                .map_err(|e| FileError::new(path, e))?;
            return fill(file, gz, write)
                .map(drop)
                .map_err(|e| FileError::new(path, e));
        }
        OutputTarget::File(target) => target,
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".grn-").suffix(".tmp");
    // Temporary files are private (0600); results are ordinary files, readable as
    // if created under the usual umask 022, or keep the mode of the file they replace.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(&target).map_or(0o644, |m| m.permissions().mode() & 0o7777);
        builder.permissions(fs::Permissions::from_mode(mode));
    }
    let tmp = builder
        .tempfile_in(parent_dir(&target))
        .map_err(|e| FileError::new(path, e))?;
    let result = (|| -> io::Result<()> {
        let file = fill(tmp.as_file().try_clone()?, gz, write)?;
        file.sync_all()
    })();
    result.map_err(|e| FileError::new(path, e))?;
    tmp.persist(&target)
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
