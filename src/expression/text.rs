//! Delimited text matrices (TSV/CSV, plain or gzipped): samples x genes with a
//! header of gene names, or genes x samples.

use std::collections::HashMap;
use std::path::Path;

use ndarray::Array2;

use super::{ExpressionError, ExpressionMatrix, Loaded, MIN_SAMPLES, ReadOptions};
use crate::files::{self, FileError};

/// Reads a delimited text matrix (the layouts are described in the module
/// documentation of [`crate::expression`]).
pub(super) fn read(path: &Path, options: &ReadOptions) -> Result<Loaded, ExpressionError> {
    let table = parse_table(path, options.delimiter)?;
    let header_line = table.header_line;
    let Oriented {
        genes,
        samples,
        values: gene_major,
        header_skip: skip,
    } = orient(path, table, options.genes_in_rows)?;
    check_gene_names(path, header_line, &genes, options.genes_in_rows, skip)?;
    check_sample_ids(path, &samples)?;
    if samples.len() < MIN_SAMPLES {
        return Err(ExpressionError::at(
            path,
            None,
            None,
            format!(
                "only {} sample(s); at least {MIN_SAMPLES} are needed to score regulators{}",
                samples.len(),
                if options.genes_in_rows {
                    ""
                } else {
                    " (if rows are genes, add `genes_in_rows`)"
                }
            ),
        ));
    }
    let mut warnings = Vec::new();
    let (genes, gene_major, times) = split_time_column(genes, gene_major, &mut warnings);
    let at = |m: String| ExpressionError::at(path, None, None, m);
    let matrix = ExpressionMatrix::new(genes, samples, gene_major).map_err(at)?;
    let mut loaded = super::finish(matrix, options.normalize, warnings, at)?;
    loaded.times = times;
    Ok(loaded)
}

/// A first "gene" named `Time` is the sampling time of a time-series file (the
/// DREAM3/DREAM4 layout: a `Time` column, series separated by blank lines), not a
/// gene: scored as one, it would come out as every gene's top regulator and
/// target. It is split off as the samples' times, with a warning.
fn split_time_column(
    genes: Vec<String>,
    gene_major: Array2<f32>,
    warnings: &mut Vec<String>,
) -> (Vec<String>, Array2<f32>, Option<Vec<f64>>) {
    match genes.first() {
        Some(first) if first.eq_ignore_ascii_case("time") => {
            warnings.push(format!(
                "`{first}` read as the samples' time points, not as a gene (rename it if \
                 it is a gene); unless inferred as a time series (`--time-series`), the \
                 {} samples are scored as independent observations",
                gene_major.ncols()
            ));
            let times = gene_major.row(0).iter().map(|&t| f64::from(t)).collect();
            let values = gene_major.slice(ndarray::s![1.., ..]).to_owned();
            (genes[1..].to_vec(), values, Some(times))
        }
        _ => (genes, gene_major, None),
    }
}

/// A delimited file as parsed: the header and the labelled rows of values, before
/// orientation.
struct Table {
    header_line: u64,
    header: Vec<String>,
    // One label per data row (empty when the rows carry no id column).
    row_labels: Vec<String>,
    // Row-major values, `n_values` per row.
    values: Vec<f32>,
    labelled: bool,
    n_values: usize,
}

/// Reads the header and every data row, checking that rows are complete and values
/// numeric.
fn parse_table(path: &Path, delimiter: Option<u8>) -> Result<Table, ExpressionError> {
    let delimiter = match delimiter {
        Some(d) => d,
        None => detect_delimiter(path)?,
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(files::open_input(path)?);
    let parse_err = |e: csv::Error| {
        let line = e.position().map(|p| p.line());
        ExpressionError::at(path, line, None, format!("cannot parse: {e}"))
    };

    let mut record = csv::ByteRecord::new();
    let mut header_line = None;
    while reader.read_byte_record(&mut record).map_err(parse_err)? {
        if !is_blank(&record) {
            header_line = record.position().map(|p| p.line());
            break;
        }
    }
    let Some(header_line) = header_line else {
        return Err(ExpressionError::at(
            path,
            None,
            None,
            "the file is empty; expected a header row of gene names followed by one row \
             per sample"
                .into(),
        ));
    };
    let header: Vec<String> = record
        .iter()
        .enumerate()
        .map(|(k, f)| utf8_field(path, header_line, k, f))
        .collect::<Result<_, _>>()?;

    // Rows of labelled values: one row per sample (default) or per gene.
    let mut row_labels: Vec<String> = Vec::new();
    let mut values: Vec<f32> = Vec::new();
    let mut has_label_column: Option<bool> = None;
    let mut n_values = 0usize;
    while reader.read_byte_record(&mut record).map_err(parse_err)? {
        if is_blank(&record) {
            continue;
        }
        let line = record.position().map(|p| p.line());
        let labelled = *has_label_column
            .get_or_insert_with(|| record.len() == header.len() + 1 || is_label(&record[0]));
        if row_labels.is_empty() {
            n_values = if labelled {
                record.len() - 1
            } else {
                record.len()
            };
            let header_fits =
                header.len() == n_values || (labelled && header.len() == n_values + 1);
            if !header_fits {
                return Err(ExpressionError::at(
                    path,
                    line,
                    None,
                    format!(
                        "this row has {} fields but the header (line {header_line}) has {}; \
                         every row needs one value per header name{}",
                        record.len(),
                        header.len(),
                        if labelled {
                            " plus an optional leading id"
                        } else {
                            ""
                        }
                    ),
                ));
            }
        }
        let offset = usize::from(labelled);
        if record.len() != n_values + offset {
            return Err(ExpressionError::at(
                path,
                line,
                None,
                format!(
                    "this row has {} fields, expected {} like the first data row; \
                     is a value missing or a delimiter inside a name?",
                    record.len(),
                    n_values + offset
                ),
            ));
        }
        row_labels.push(if labelled {
            utf8_field(path, line.unwrap_or(0), 0, &record[0])?
        } else {
            String::new()
        });
        for (k, field) in record.iter().enumerate().skip(offset) {
            let v = parse_value(field)
                .map_err(|problem| ExpressionError::at(path, line, Some(k + 1), problem))?;
            values.push(v);
        }
    }
    let labelled = has_label_column.unwrap_or(false);
    if row_labels.is_empty() {
        return Err(ExpressionError::at(
            path,
            Some(header_line),
            None,
            "the file has a header but no data rows".into(),
        ));
    }
    Ok(Table {
        header_line,
        header,
        row_labels,
        values,
        labelled,
        n_values,
    })
}

/// A parsed table turned gene-major.
struct Oriented {
    genes: Vec<String>,
    samples: Vec<String>,
    values: Array2<f32>,
    // Leading header fields that label the id column (0 or 1).
    header_skip: usize,
}

/// Gene and sample names and the gene-major values of a parsed table.
fn orient(path: &Path, table: Table, genes_in_rows: bool) -> Result<Oriented, ExpressionError> {
    let Table {
        header_line,
        header,
        row_labels,
        values,
        labelled,
        n_values,
    } = table;
    // Column names: the header minus its leading id label when it has one.
    let skip = usize::from(header.len() == n_values + 1);
    let column_names: Vec<String> = header[skip..].to_vec();
    let n_rows = row_labels.len();

    let (genes, samples, gene_major) = if genes_in_rows {
        if !labelled {
            return Err(ExpressionError::at(
                path,
                Some(header_line + 1),
                Some(1),
                "with `genes_in_rows` the first column must hold gene names, but it is \
                 numeric; drop `genes_in_rows` if rows are samples"
                    .into(),
            ));
        }
        let m = Array2::from_shape_vec((n_rows, n_values), values).expect("sized above");
        (row_labels, column_names, m)
    } else {
        let samples = if labelled {
            row_labels
        } else {
            (1..=n_rows).map(|i| format!("S{i}")).collect()
        };
        let m = Array2::from_shape_vec((n_rows, n_values), values)
            .expect("sized above")
            .reversed_axes();
        (column_names, samples, m)
    };
    Ok(Oriented {
        genes,
        samples,
        values: gene_major,
        header_skip: skip,
    })
}

fn check_gene_names(
    path: &Path,
    header_line: u64,
    genes: &[String],
    genes_in_rows: bool,
    header_skip: usize,
) -> Result<(), ExpressionError> {
    let mut seen: HashMap<&str, usize> = HashMap::with_capacity(genes.len());
    for (i, g) in genes.iter().enumerate() {
        let (line, column) = if genes_in_rows {
            (None, Some(1))
        } else {
            (Some(header_line), Some(i + 1 + header_skip))
        };
        if g.is_empty() {
            return Err(ExpressionError::at(
                path,
                line,
                column,
                format!("gene {} has an empty name", i + 1),
            ));
        }
        if g.contains(['\t', '\n', '\r']) {
            return Err(ExpressionError::at(
                path,
                line,
                column,
                format!(
                    "gene name {g:?} contains a tab or line break, which would break every \
                     tab-separated output; rename the gene"
                ),
            ));
        }
        if let Some(first) = seen.insert(g.as_str(), i) {
            return Err(ExpressionError::at(
                path,
                line,
                column,
                format!(
                    "gene name {g:?} appears twice (genes {} and {}); gene names must be \
                     unique: merge or rename the duplicates",
                    first + 1,
                    i + 1
                ),
            ));
        }
    }
    Ok(())
}

/// A field as text, or an error naming its place when it is not UTF-8 (never
/// silently replaced by U+FFFD).
fn utf8_field(path: &Path, line: u64, k: usize, field: &[u8]) -> Result<String, ExpressionError> {
    std::str::from_utf8(field).map(str::to_string).map_err(|_| {
        ExpressionError::at(
            path,
            Some(line),
            Some(k + 1),
            "the field is not UTF-8 text; convert the file to UTF-8 (e.g. `iconv -f latin1 \
             -t utf-8 FILE > FILE.utf8` for Latin-1)"
                .into(),
        )
    })
}

/// Sample ids must be unique (`--baseline` names one) and must not hold tabs or line
/// breaks (outputs list them).
fn check_sample_ids(path: &Path, samples: &[String]) -> Result<(), ExpressionError> {
    let mut seen: HashMap<&str, usize> = HashMap::with_capacity(samples.len());
    for (i, s) in samples.iter().enumerate() {
        if s.contains(['\t', '\n', '\r']) {
            return Err(ExpressionError::at(
                path,
                None,
                None,
                format!("sample id {s:?} contains a tab or line break; rename the sample"),
            ));
        }
        if let Some(first) = seen.insert(s.as_str(), i) {
            return Err(ExpressionError::at(
                path,
                None,
                None,
                format!(
                    "sample id {s:?} appears twice (samples {} and {}); sample ids must be \
                     unique so that `baseline` can name one: rename the duplicates",
                    first + 1,
                    i + 1
                ),
            ));
        }
    }
    Ok(())
}

/// Cells that mean "no value" in the usual exports (R, pandas, Excel).
const MISSING_MARKERS: [&str; 8] = ["", "NA", "N/A", "na", "null", "NULL", "None", "."];

/// A first cell that is neither a number nor a missing-value marker is an id.
fn is_label(field: &[u8]) -> bool {
    match std::str::from_utf8(field) {
        Ok(text) => !MISSING_MARKERS.contains(&text) && text.parse::<f32>().is_err(),
        Err(_) => true,
    }
}

/// Parses one cell. Missing-value markers and non-finite numbers are errors: every
/// method here needs a complete matrix, and silently reading them would poison scores.
fn parse_value(field: &[u8]) -> Result<f32, String> {
    let text =
        std::str::from_utf8(field).map_err(|_| "the cell is not valid UTF-8 text".to_string())?;
    if MISSING_MARKERS.contains(&text) {
        return Err(format!(
            "missing value {text:?}; grn needs a complete matrix: impute the values or \
             remove the gene or sample"
        ));
    }
    match text.parse::<f32>() {
        Ok(v) if v.is_finite() => Ok(v),
        Ok(_) if text.parse::<f64>().is_ok_and(f64::is_finite) => Err(format!(
            "{text:?} is outside the range of 32-bit floats (about ±3.4e38) in which \
             values are stored; rescale the data (e.g. log-transform it)"
        )),
        Ok(_) => Err(format!(
            "{text:?} is not a finite number (NaN and infinities cannot be scored); \
             impute or remove it"
        )),
        Err(_) => Err(format!("expected a number, found {text:?}")),
    }
}

fn is_blank(record: &csv::ByteRecord) -> bool {
    record.iter().all(|f| f.is_empty())
}

/// Picks the delimiter from the extension, else from the first line (tab if it has
/// more tabs than commas).
fn detect_delimiter(path: &Path) -> Result<u8, ExpressionError> {
    match files::logical_extension(path).as_deref() {
        Some("csv") => return Ok(b','),
        Some("tsv" | "tab") => return Ok(b'\t'),
        _ => {}
    }
    let mut first = String::new();
    std::io::BufRead::read_line(&mut files::open_input(path)?, &mut first)
        .map_err(|e| FileError::new(path, e))?;
    let tabs = first.matches('\t').count();
    let commas = first.matches(',').count();
    Ok(if commas > tabs { b',' } else { b'\t' })
}
