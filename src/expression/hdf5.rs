//! The HDF5 access the single-cell readers need, over the pure-Rust `hdf5-pure`
//! crate, with every failure turned into an [`ExpressionError`] that names the file
//! and the object.
//!
//! # Why `hdf5-pure`
//! HDF5 must build from `cargo` alone (no apt, no system `libhdf5`). The candidates:
//! - `hdf5-metno` (bindings to the C library): its `static` feature compiles the
//!   bundled C sources through the `cmake` crate, which needs a `cmake` binary that a
//!   fresh machine does not have (this one has none), so it fails the requirement.
//! - `hdf5-reader` 0.12 (pure Rust, read-only, from a netCDF project): registers the
//!   LZF filter id but passes the bytes through undecoded, and cannot write.
//! - `rust-hdf5` 0.7 and `consus-hdf5` 0.4 (pure Rust): young, with no LZF.
//! - `hdf5-pure` 0.47 (pure Rust, MIT/Apache, no build script, two small
//!   dependencies: `byteorder` and `flate2`'s Rust backend): reads superblocks 0-3,
//!   v1 and v2 object headers, both group forms, chunked storage with every chunk
//!   index, deflate, shuffle, LZF and scale-offset filters, fixed and
//!   variable-length strings, compound types and attributes; writes files h5py
//!   and anndata open; checked in its CI against `libhdf5`. It covers everything
//!   anndata, Cell Ranger and loompy write, so it is the one used.
//!
//! Files are opened in streaming mode: metadata and chunks are read on demand, so
//! memory is what the reader asks for, not the size of the file.

use std::collections::HashMap;
use std::fmt::Display;
use std::path::{Path, PathBuf};

use hdf5_pure::{AttrValue, DType, Dataset, Datatype, File};

use super::ExpressionError;

/// An HDF5 file opened for reading, remembering its path for error messages.
pub(crate) struct H5 {
    file: File,
    path: PathBuf,
}

/// What a name in a group refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Group,
    Dataset,
}

/// The first bytes of every HDF5 file (when it has no user block).
pub(crate) const MAGIC: [u8; 8] = [0x89, b'H', b'D', b'F', b'\r', b'\n', 0x1a, b'\n'];

/// Whether `path` is an HDF5 file, by its signature.
pub(crate) fn is_hdf5(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 8];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok()
        && head == MAGIC
}

/// The end-of-file address the superblock records (relative to the base address),
/// or `None` when the superblock is not one this check knows.
fn recorded_end(head: &[u8]) -> Option<u64> {
    let version = *head.get(8)?;
    let (offset_size, eof_at) = match version {
        0 => (*head.get(13)? as usize, 24 + 2 * *head.get(13)? as usize),
        1 => (*head.get(13)? as usize, 28 + 2 * *head.get(13)? as usize),
        2 | 3 => (*head.get(9)? as usize, 12 + 2 * *head.get(9)? as usize),
        _ => return None,
    };
    if offset_size != 8 {
        return None;
    }
    let bytes = head.get(eof_at..eof_at + 8)?;
    Some(u64::from_le_bytes(bytes.try_into().ok()?))
}

impl H5 {
    /// Opens `path`; a truncated or damaged file is an error naming it.
    pub(crate) fn open(path: &Path) -> Result<H5, ExpressionError> {
        // A cut-off file can still parse when the lost tail holds nothing this
        // read touches; the superblock's end-of-file address says it is incomplete.
        let mut head = Vec::with_capacity(64);
        let length = std::fs::File::open(path)
            .and_then(|f| {
                let length = f.metadata()?.len();
                std::io::Read::read_to_end(&mut std::io::Read::take(f, 64), &mut head)?;
                Ok(length)
            })
            .map_err(|e| super::FileError::new(path, e))?;
        if let Some(end) = recorded_end(&head)
            && end > length
        {
            return Err(ExpressionError::at(
                path,
                None,
                None,
                format!(
                    "the file is truncated: its HDF5 superblock records {end} bytes but \
                     it has {length} (an interrupted copy or download?)"
                ),
            ));
        }
        let file = File::open_streaming(path).map_err(|e| {
            ExpressionError::at(
                path,
                None,
                None,
                format!(
                    "cannot read it as HDF5 ({e}); the file may be truncated (an \
                     interrupted copy or download) or not HDF5 at all"
                ),
            )
        })?;
        Ok(H5 {
            file,
            path: path.to_path_buf(),
        })
    }

    /// The file's path.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// An error about `object` in this file.
    pub(crate) fn err(&self, object: &str, message: impl Display) -> ExpressionError {
        ExpressionError::at(&self.path, None, None, format!("{object}: {message}"))
    }

    fn failed(&self, object: &str, e: hdf5_pure::Error) -> ExpressionError {
        self.err(
            object,
            format!("cannot be read ({e}); the file may be truncated or damaged"),
        )
    }

    /// What `object` (a path from the root, `a/b`) is, or `None` when it does not
    /// exist.
    pub(crate) fn kind(&self, object: &str) -> Result<Option<Kind>, ExpressionError> {
        let object = object.trim_matches('/');
        let (parent, name) = match object.rsplit_once('/') {
            Some((p, n)) => (p, n),
            None => ("", object),
        };
        if !parent.is_empty() && self.kind(parent)? != Some(Kind::Group) {
            return Ok(None);
        }
        let group = if parent.is_empty() {
            self.file.root()
        } else {
            self.file
                .group(parent)
                .map_err(|e| self.failed(parent, e))?
        };
        let parent_name = if parent.is_empty() { "/" } else { parent };
        if group
            .groups()
            .map_err(|e| self.failed(parent_name, e))?
            .iter()
            .any(|g| g == name)
        {
            return Ok(Some(Kind::Group));
        }
        if group
            .datasets()
            .map_err(|e| self.failed(parent_name, e))?
            .iter()
            .any(|d| d == name)
        {
            return Ok(Some(Kind::Dataset));
        }
        Ok(None)
    }

    /// Names of the members (groups and datasets) of a group, sorted.
    pub(crate) fn members(&self, group: &str) -> Result<Vec<String>, ExpressionError> {
        let g = if group.trim_matches('/').is_empty() {
            self.file.root()
        } else {
            self.file.group(group).map_err(|e| self.failed(group, e))?
        };
        let mut names = g.groups().map_err(|e| self.failed(group, e))?;
        names.extend(g.datasets().map_err(|e| self.failed(group, e))?);
        names.sort();
        Ok(names)
    }

    fn dataset(&self, name: &str) -> Result<Dataset, ExpressionError> {
        match self.kind(name)? {
            Some(Kind::Dataset) => self.file.dataset(name).map_err(|e| self.failed(name, e)),
            Some(Kind::Group) => Err(self.err(name, "is a group, expected a dataset")),
            None => Err(self.err(name, "does not exist")),
        }
    }

    fn attrs(&self, object: &str) -> Result<HashMap<String, AttrValue>, ExpressionError> {
        match self.kind(object)? {
            Some(Kind::Dataset) => self.dataset(object)?.attrs(),
            Some(Kind::Group) => self
                .file
                .group(object)
                .map_err(|e| self.failed(object, e))?
                .attrs(),
            None => {
                if object.trim_matches('/').is_empty() {
                    self.file.root().attrs()
                } else {
                    return Err(self.err(object, "does not exist"));
                }
            }
        }
        .map_err(|e| self.failed(object, e))
    }

    /// A string attribute (fixed or variable length, or a one-element array of
    /// them); `None` when absent, an error when it is not a string.
    pub(crate) fn attr_str(
        &self,
        object: &str,
        name: &str,
    ) -> Result<Option<String>, ExpressionError> {
        let Some(value) = self.attrs(object)?.remove(name) else {
            return Ok(None);
        };
        let one = |v: Vec<String>| v.into_iter().next();
        let text = match value {
            AttrValue::String(s) | AttrValue::AsciiString(s) | AttrValue::VarLenString(s) => {
                Some(s)
            }
            AttrValue::StringSized { value, .. } => Some(value),
            AttrValue::StringArray(v)
            | AttrValue::AsciiStringArray(v)
            | AttrValue::VarLenStringArray(v)
            | AttrValue::VarLenAsciiCharArray(v) => one(v),
            AttrValue::U8Array(bytes) => String::from_utf8(bytes).ok(),
            other => {
                return Err(self.err(
                    object,
                    format!("attribute {name:?} is {other:?}, expected a string"),
                ));
            }
        };
        Ok(text.map(|s| s.trim_end_matches('\0').to_string()))
    }

    /// An integer array attribute such as anndata's `shape`.
    pub(crate) fn attr_ints(
        &self,
        object: &str,
        name: &str,
    ) -> Result<Option<Vec<i64>>, ExpressionError> {
        let Some(value) = self.attrs(object)?.remove(name) else {
            return Ok(None);
        };
        let ints: Vec<i64> = match value {
            AttrValue::I64Array(v) => v,
            AttrValue::I32Array(v) => v.into_iter().map(i64::from).collect(),
            AttrValue::U64Array(v) => v.into_iter().map(|x| x as i64).collect(),
            AttrValue::U32Array(v) => v.into_iter().map(i64::from).collect(),
            AttrValue::I64(x) => vec![x],
            AttrValue::I32(x) => vec![i64::from(x)],
            AttrValue::U64(x) => vec![x as i64],
            other => {
                return Err(self.err(
                    object,
                    format!("attribute {name:?} is {other:?}, expected integers"),
                ));
            }
        };
        Ok(Some(ints))
    }

    /// A dataset's dimensions.
    pub(crate) fn shape(&self, name: &str) -> Result<Vec<u64>, ExpressionError> {
        self.dataset(name)?
            .shape()
            .map_err(|e| self.failed(name, e))
    }

    fn numeric(&self, name: &str, ds: &Dataset) -> Result<DType, ExpressionError> {
        let dtype = ds.dtype().map_err(|e| self.failed(name, e))?;
        match dtype {
            DType::F32
            | DType::F64
            | DType::I8
            | DType::I16
            | DType::I32
            | DType::I64
            | DType::U8
            | DType::U16
            | DType::U32
            | DType::U64 => Ok(dtype),
            other => Err(self.err(
                name,
                format!("holds {other}, expected numbers (integers or floats)"),
            )),
        }
    }

    /// A numeric dataset as `f32`, every value finite.
    pub(crate) fn floats(&self, name: &str) -> Result<Vec<f32>, ExpressionError> {
        let ds = self.dataset(name)?;
        self.numeric(name, &ds)?;
        let values = ds.read_f32().map_err(|e| self.failed(name, e))?;
        self.check_finite(name, &values, 0)?;
        Ok(values)
    }

    /// Rows `[start, start + count)` of a numeric dataset as `f32` (row-major).
    pub(crate) fn float_rows(
        &self,
        name: &str,
        start: u64,
        count: u64,
    ) -> Result<Vec<f32>, ExpressionError> {
        let ds = self.dataset(name)?;
        self.numeric(name, &ds)?;
        let values = ds
            .read_f32_rows(start, count)
            .map_err(|e| self.failed(name, e))?;
        let width = ds
            .shape()
            .map_err(|e| self.failed(name, e))?
            .iter()
            .skip(1)
            .product::<u64>();
        self.check_finite(name, &values, start * width)?;
        Ok(values)
    }

    fn check_finite(&self, name: &str, values: &[f32], offset: u64) -> Result<(), ExpressionError> {
        match values.iter().position(|v| !v.is_finite()) {
            None => Ok(()),
            Some(i) => Err(self.err(
                name,
                format!(
                    "element {} is {}; grn needs finite values (NaN and infinities \
                     cannot be scored): impute or remove them",
                    offset + i as u64,
                    values[i]
                ),
            )),
        }
    }

    /// An integer dataset (sparse indices, pointers, codes) as `i64`.
    pub(crate) fn integers(&self, name: &str) -> Result<Vec<i64>, ExpressionError> {
        let ds = self.dataset(name)?;
        match self.numeric(name, &ds)? {
            DType::F32 | DType::F64 => Err(self.err(name, "holds floats, expected integers")),
            DType::U64 => Ok(ds
                .read_u64()
                .map_err(|e| self.failed(name, e))?
                .into_iter()
                .map(|v| v.min(i64::MAX as u64) as i64)
                .collect()),
            _ => ds.read_i64().map_err(|e| self.failed(name, e)),
        }
    }

    /// A string dataset (fixed or variable length).
    pub(crate) fn strings(&self, name: &str) -> Result<Vec<String>, ExpressionError> {
        let ds = self.dataset(name)?;
        match ds.dtype().map_err(|e| self.failed(name, e))? {
            DType::String | DType::VariableLengthString => ds
                .read_string()
                .map(|v| {
                    v.into_iter()
                        .map(|s| s.trim_end_matches('\0').to_string())
                        .collect()
                })
                .map_err(|e| self.failed(name, e)),
            other => Err(self.err(name, format!("holds {other}, expected strings"))),
        }
    }

    /// The field names of a compound dataset (anndata < 0.7 stored `obs` and `var`
    /// as one record per row); `None` when the dataset is not compound.
    pub(crate) fn compound_fields(
        &self,
        name: &str,
    ) -> Result<Option<Vec<String>>, ExpressionError> {
        let ds = self.dataset(name)?;
        match ds.datatype().map_err(|e| self.failed(name, e))? {
            Datatype::Compound { members, .. } => {
                Ok(Some(members.into_iter().map(|m| m.name).collect()))
            }
            _ => Ok(None),
        }
    }

    /// One field of a compound dataset, as text: fixed-length strings as they are,
    /// integers and floats formatted (so codes can be matched against categories).
    pub(crate) fn compound_field(
        &self,
        name: &str,
        field: &str,
    ) -> Result<CompoundColumn, ExpressionError> {
        let ds = self.dataset(name)?;
        let Datatype::Compound { size, members } =
            ds.datatype().map_err(|e| self.failed(name, e))?
        else {
            return Err(self.err(name, "is not a compound (record) dataset"));
        };
        let Some(member) = members.iter().find(|m| m.name == field) else {
            return Err(self.err(
                name,
                format!(
                    "has no field {field:?} (fields: {})",
                    members
                        .iter()
                        .map(|m| m.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        };
        let raw = ds.read_raw().map_err(|e| self.failed(name, e))?;
        let size = size as usize;
        let offset = member.byte_offset as usize;
        let width = member.datatype.type_size() as usize;
        if size == 0 || offset + width > size || raw.len() % size != 0 {
            return Err(self.err(name, "has a compound layout that does not fit its records"));
        }
        let cells = raw.chunks_exact(size).map(|r| &r[offset..offset + width]);
        let little = |bytes: &[u8]| {
            let mut b = [0u8; 8];
            b[..bytes.len()].copy_from_slice(bytes);
            b
        };
        use hdf5_pure::DatatypeByteOrder::LittleEndian;
        match &member.datatype {
            Datatype::String { .. } => Ok(CompoundColumn::Text(
                cells
                    .map(|c| {
                        let end = c.iter().position(|&b| b == 0).unwrap_or(c.len());
                        String::from_utf8_lossy(&c[..end]).trim_end().to_string()
                    })
                    .collect(),
            )),
            Datatype::FixedPoint {
                byte_order: LittleEndian,
                layout,
                ..
            } if width <= 8 => {
                let signed = layout.signed;
                Ok(CompoundColumn::Integers(
                    cells
                        .map(|c| {
                            let v = u64::from_le_bytes(little(c));
                            if signed && width < 8 && c[width - 1] & 0x80 != 0 {
                                (v | (!0u64 << (8 * width))) as i64
                            } else {
                                v as i64
                            }
                        })
                        .collect(),
                ))
            }
            other => Err(self.err(
                name,
                format!("field {field:?} has type {other:?}, expected strings or integers"),
            )),
        }
    }
}

/// A column of a compound dataset.
pub(crate) enum CompoundColumn {
    /// Fixed-length strings.
    Text(Vec<String>),
    /// Integers (category codes in anndata < 0.7).
    Integers(Vec<i64>),
}
