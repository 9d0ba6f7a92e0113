//! Reading labelled tickets from CSV or JSON lines (feature `train`).
//!
//! Text is the `subject` and `body` columns joined by a newline when either is present, else
//! `text`, unless text columns are named. The label is `tier` when present, else `label`, unless
//! named. A folder reads every `.csv`, `.jsonl` and `.json` file in it, sorted by name. Errors name
//! the file, the missing column, or the line of the malformed row.
//!
//! Files are UTF-8, or UTF-16 with a byte-order mark, or in the encoding named by
//! [`Columns::encoding`]. The staff view's override export is read back as it was typed: the `'`
//! its exporter puts before a cell starting with `=`, `+`, `-`, `@`, a tab, a carriage return
//! (against formula injection in spreadsheets) or `'` (so that a typed one survives) is taken off
//! again.

use crate::error::{Error, Result};
use crate::metrics::SopJudgement;
use encoding_rs::Encoding;
use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};

/// One labelled ticket.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The file it came from.
    pub path: String,
    /// 1-based line where the row starts.
    pub line: u64,
    /// `id` column, if any.
    pub id: Option<String>,
    /// The text (subject and body joined).
    pub text: String,
    /// The label.
    pub label: String,
}

/// How to read an input: which columns, and the text encoding when it is not UTF-8.
#[derive(Debug, Clone, Default)]
pub struct Columns {
    /// Text columns, joined by a newline; empty for the defaults.
    pub text: Vec<String>,
    /// Label column; `None` for the default.
    pub label: Option<String>,
    /// Encoding of files without a UTF-16 byte-order mark; `None` for UTF-8.
    pub encoding: Option<TextEncoding>,
}

/// A text encoding by its WHATWG label: `windows-1252` (also `latin1`, `iso-8859-1`),
/// `iso-8859-15`, `utf-16le`, `utf-16be`, `shift_jis`, ...
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextEncoding(&'static Encoding);

impl std::str::FromStr for TextEncoding {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Encoding::for_label(s.trim().as_bytes())
            .map(TextEncoding)
            .ok_or_else(|| Error::InvalidInput {
                reason: format!(
                    "unknown encoding {s:?}: use a label such as windows-1252, latin1, \
                     iso-8859-15, utf-16le or utf-16be"
                ),
            })
    }
}

/// What an input that is not UTF-8 is told to do.
const NOT_UTF8: &str = "not valid UTF-8: name the file's encoding with --encoding (windows-1252 \
                        for most Excel and PSA exports); UTF-16 is read by itself when the file \
                        starts with a byte-order mark";

/// The header of the staff view's override export (`www/staff.js`).
const STAFF_EXPORT_HEADER: [&str; 6] = [
    "id",
    "subject",
    "body",
    "tier",
    "suggested_tier",
    "suggested_confidence",
];

/// A cell of the staff export as it was typed: the exporter (`www/csv.js`) puts one `'` before
/// every cell starting with `=`, `+`, `-`, `@`, a tab, a carriage return or `'`, so every cell
/// of the export that starts with `'` got one, and exactly that one is taken off.
fn undo_export_defusing(cell: &str) -> &str {
    cell.strip_prefix('\'').unwrap_or(cell)
}

/// The bytes of a file as UTF-8: decoded from UTF-16 when it starts with a byte-order mark, else
/// from `encoding` when one is named; `head` holds the first bytes read (at most 2), `rest` the
/// remainder. UTF-8 is passed through unchecked, for the readers to name the line of a bad byte.
fn utf8_bytes(
    name: &str,
    head: &[u8],
    rest: impl Read + 'static,
    encoding: Option<TextEncoding>,
) -> Result<Box<dyn Read>> {
    let chosen = match Encoding::for_bom(head) {
        Some((enc, _)) if enc != encoding_rs::UTF_8 => Some(enc),
        _ => encoding.map(|e| e.0).filter(|&e| e != encoding_rs::UTF_8),
    };
    let Some(enc) = chosen else {
        if head.len() == 2 && head.contains(&0) {
            return Err(Error::InvalidInput {
                reason: format!(
                    "{name}: starts with a NUL byte, as UTF-16 without a byte-order mark does: \
                     pass --encoding utf-16le (or utf-16be)"
                ),
            });
        }
        return Ok(Box::new(std::io::Cursor::new(head.to_vec()).chain(rest)));
    };
    let mut bytes = head.to_vec();
    let mut rest = rest;
    rest.read_to_end(&mut bytes)
        .map_err(|e| Error::io(name, e))?;
    let bom = Encoding::for_bom(&bytes).map_or(0, |(_, n)| n);
    let text = enc
        .decode_without_bom_handling_and_without_replacement(&bytes[bom..])
        .ok_or_else(|| Error::InvalidInput {
            reason: format!("{name}: not valid {}", enc.name()),
        })?;
    Ok(Box::new(std::io::Cursor::new(
        text.into_owned().into_bytes(),
    )))
}

/// Opens a file as UTF-8 (see [`utf8_bytes`]).
pub(crate) fn open_utf8(path: &Path, encoding: Option<TextEncoding>) -> Result<Box<dyn Read>> {
    let name = path.display().to_string();
    let mut f = std::fs::File::open(path).map_err(|e| Error::io(&name, e))?;
    let mut head = [0u8; 2];
    let mut n = 0;
    while n < head.len() {
        match f.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::io(&name, e)),
        }
    }
    utf8_bytes(&name, &head[..n], f, encoding)
}

/// The files behind a path: the path itself, or a folder's data files sorted by name.
pub fn input_files(path: &Path) -> Result<Vec<PathBuf>> {
    if !path.is_dir() {
        if !path.exists() {
            return Err(Error::io(
                path.display(),
                std::io::Error::new(std::io::ErrorKind::NotFound, "no such file or folder"),
            ));
        }
        return Ok(vec![path.to_path_buf()]);
    }
    let rd = std::fs::read_dir(path).map_err(|e| Error::io(path.display(), e))?;
    let mut files: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .is_some_and(|x| x == "csv" || x == "jsonl" || x == "json")
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(Error::InvalidInput {
            reason: format!("{} holds no .csv, .jsonl or .json file", path.display()),
        });
    }
    Ok(files)
}

/// Reads labelled rows from a file or a folder of files.
pub fn read_labelled(path: &Path, cols: &Columns) -> Result<Vec<Row>> {
    let mut rows = Vec::new();
    LabelledFiles {
        path: path.to_path_buf(),
        columns: cols.clone(),
    }
    .for_each_row(&mut |r| {
        rows.push(r.clone());
        Ok(())
    })?;
    Ok(rows)
}

/// Labelled rows that can be read more than once, one at a time: training reads an export twice
/// rather than hold it (see `train::train_from`).
pub trait RowSource {
    /// Calls `f` with every row in order; stops at the first error, of reading or of `f`.
    fn for_each_row(&self, f: &mut dyn FnMut(&Row) -> Result<()>) -> Result<()>;
}

impl RowSource for [Row] {
    fn for_each_row(&self, f: &mut dyn FnMut(&Row) -> Result<()>) -> Result<()> {
        self.iter().try_for_each(f)
    }
}

/// A file or a folder of files of labelled rows, read from disk each time.
#[derive(Debug, Clone)]
pub struct LabelledFiles {
    /// The file or folder.
    pub path: PathBuf,
    /// Which columns, in which encoding.
    pub columns: Columns,
}

impl RowSource for LabelledFiles {
    fn for_each_row(&self, f: &mut dyn FnMut(&Row) -> Result<()>) -> Result<()> {
        for file in input_files(&self.path)? {
            if file.extension().is_some_and(|x| x == "csv") {
                read_csv(&file, &self.columns, f)?;
            } else {
                read_jsonl(&file, &self.columns, f)?;
            }
        }
        Ok(())
    }
}

/// Resolves the text and label columns against the columns a file has.
fn resolve(path: &str, present: &[String], cols: &Columns) -> Result<(Vec<String>, String)> {
    let has = |c: &str| present.iter().any(|p| p == c);
    let missing = |c: &str| Error::MissingColumn {
        path: path.to_string(),
        column: c.to_string(),
        present: present.join(", "),
    };
    let text = if !cols.text.is_empty() {
        for c in &cols.text {
            if !has(c) {
                return Err(missing(c));
            }
        }
        cols.text.clone()
    } else if has("subject") || has("body") {
        ["subject", "body"]
            .iter()
            .filter(|c| has(c))
            .map(|c| c.to_string())
            .collect()
    } else if has("text") {
        vec!["text".to_string()]
    } else {
        return Err(missing("text (or subject/body)"));
    };
    let label = match &cols.label {
        Some(l) if has(l) => l.clone(),
        Some(l) => return Err(missing(l)),
        None if has("tier") => "tier".to_string(),
        None if has("label") => "label".to_string(),
        None => return Err(missing("tier (or label)")),
    };
    Ok((text, label))
}

fn join_text(parts: impl Iterator<Item = String>) -> String {
    let parts: Vec<String> = parts.filter(|p| !p.trim().is_empty()).collect();
    parts.join("\n")
}

fn read_csv(path: &Path, cols: &Columns, f: &mut dyn FnMut(&Row) -> Result<()>) -> Result<()> {
    let name = path.display().to_string();
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(open_utf8(path, cols.encoding)?);
    let headers: Vec<String> = rdr
        .headers()
        .map_err(|e| csv_error(&name, e))?
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_string())
        .collect();
    let (text_cols, label_col) = resolve(&name, &headers, cols)?;
    let idx = |c: &str| headers.iter().position(|h| h == c).expect("resolved");
    let text_idx: Vec<usize> = text_cols.iter().map(|c| idx(c)).collect();
    let label_idx = idx(&label_col);
    let id_idx = headers.iter().position(|h| h == "id");
    let staff_export = headers == STAFF_EXPORT_HEADER;
    for rec in rdr.records() {
        let rec = rec.map_err(|e| csv_error(&name, e))?;
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        let cell = |i: usize| {
            let c = rec.get(i).unwrap_or("");
            if staff_export {
                undo_export_defusing(c)
            } else {
                c
            }
        };
        let label = cell(label_idx).trim().to_string();
        if label.is_empty() {
            return Err(Error::MalformedRow {
                path: name.clone(),
                line,
                reason: format!("empty label in column {label_col:?}"),
            });
        }
        f(&Row {
            path: name.clone(),
            line,
            id: id_idx.map(|i| cell(i).to_string()),
            text: join_text(text_idx.iter().map(|&i| cell(i).to_string())),
            label,
        })?;
    }
    Ok(())
}

fn csv_error(path: &str, e: csv::Error) -> Error {
    let line = e.position().map(|p| p.line()).unwrap_or(0);
    match e.kind() {
        csv::ErrorKind::Io(_) => Error::io(path, std::io::Error::other(e.to_string())),
        csv::ErrorKind::Utf8 { .. } => Error::MalformedRow {
            path: path.to_string(),
            line,
            reason: NOT_UTF8.to_string(),
        },
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => Error::MalformedRow {
            path: path.to_string(),
            line,
            reason: format!("{len} fields where the header has {expected_len}"),
        },
        _ => Error::MalformedRow {
            path: path.to_string(),
            line,
            reason: e.to_string(),
        },
    }
}

/// A JSON value as text: strings as they are, numbers and booleans printed, null as empty.
fn value_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The most bytes of ticket input read: one JSON line (of `classify --jsonl` or a labelled file), or
/// the ticket on stdin. Far more than a ticket needs (its text is read to 16 KiB), and little
/// enough to hold in memory.
pub const MAX_INPUT_BYTES: usize = 4 << 20;

/// What [`read_capped_line`] found.
pub enum Line {
    /// The input has ended.
    End,
    /// A line (with its newline, if it had one) is in the buffer.
    Read,
    /// The line was longer than the limit; it was skipped up to its newline, unbuffered.
    TooLong,
}

/// Reads one line of at most `max` bytes into `buf`; a longer one is skipped, not kept.
pub fn read_capped_line(
    reader: &mut impl BufRead,
    buf: &mut Vec<u8>,
    max: usize,
) -> std::io::Result<Line> {
    buf.clear();
    let n = Read::take(&mut *reader, max as u64 + 1).read_until(b'\n', buf)?;
    if n == 0 {
        return Ok(Line::End);
    }
    if n <= max || buf.ends_with(b"\n") {
        return Ok(Line::Read);
    }
    buf.clear();
    loop {
        let chunk = reader.fill_buf()?;
        if chunk.is_empty() {
            return Ok(Line::TooLong);
        }
        match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => {
                reader.consume(i + 1);
                return Ok(Line::TooLong);
            }
            None => {
                let len = chunk.len();
                reader.consume(len);
            }
        }
    }
}

fn read_jsonl(path: &Path, cols: &Columns, f: &mut dyn FnMut(&Row) -> Result<()>) -> Result<()> {
    let name = path.display().to_string();
    let mut input = std::io::BufReader::with_capacity(1 << 16, open_utf8(path, cols.encoding)?);
    let mut resolved: Option<(Vec<String>, String)> = None;
    let mut buf: Vec<u8> = Vec::new();
    for n in 0u64.. {
        // an endless line (a device, a file without newlines) must not fill memory
        let read = read_capped_line(&mut input, &mut buf, MAX_INPUT_BYTES)
            .map_err(|e| Error::io(&name, e))?;
        let line = n + 1;
        match read {
            Line::End => break,
            Line::Read => {}
            Line::TooLong => {
                return Err(Error::MalformedRow {
                    path: name,
                    line,
                    reason: format!(
                        "the line is longer than {} MiB, the most a ticket line may have: is this a JSON-lines export?",
                        MAX_INPUT_BYTES >> 20
                    ),
                });
            }
        }
        let raw = buf.strip_suffix(b"\n").unwrap_or(&buf);
        let raw = match line {
            1 => raw.strip_prefix("\u{feff}".as_bytes()).unwrap_or(raw),
            _ => raw,
        };
        let malformed = |reason: String| Error::MalformedRow {
            path: name.clone(),
            line,
            reason,
        };
        let text = std::str::from_utf8(raw).map_err(|_| malformed(NOT_UTF8.into()))?;
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        let v: serde_json::Value =
            serde_json::from_str(text).map_err(|e| malformed(format!("not a JSON object: {e}")))?;
        let obj = v
            .as_object()
            .ok_or_else(|| malformed("not a JSON object".into()))?;
        let present: Vec<String> = obj.keys().cloned().collect();
        let (text_cols, label_col) = match &resolved {
            Some(r) => r.clone(),
            None => {
                let r = resolve(&name, &present, cols)?;
                resolved = Some(r.clone());
                r
            }
        };
        let label = obj
            .get(&label_col)
            .map(value_text)
            .unwrap_or_default()
            .trim()
            .to_string();
        if label.is_empty() {
            return Err(malformed(format!("missing or empty label {label_col:?}")));
        }
        if !text_cols.iter().any(|c| obj.contains_key(c)) {
            return Err(malformed(format!(
                "none of the text fields {text_cols:?} is present"
            )));
        }
        f(&Row {
            path: name.clone(),
            line,
            id: obj.get("id").map(value_text),
            text: join_text(
                text_cols
                    .iter()
                    .map(|c| obj.get(c).map(value_text).unwrap_or_default()),
            ),
            label,
        })?;
    }
    Ok(())
}

/// Reads SOP judgements: JSON lines `{"id", "relevant": [SOP ids, best first]}` (or `"sops"` for
/// `"relevant"`), with an optional `"client_ok"`; a file, or a folder of `.jsonl` files.
pub fn read_sop_judgements(path: &Path) -> Result<Vec<SopJudgement>> {
    let mut out = Vec::new();
    for file in input_files(path)? {
        let name = file.display().to_string();
        let text = std::fs::read_to_string(&file).map_err(|e| Error::io(&name, e))?;
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let malformed = |reason: String| Error::MalformedRow {
                path: name.clone(),
                line: n as u64 + 1,
                reason,
            };
            let v: serde_json::Value = serde_json::from_str(line)
                .map_err(|e| malformed(format!("not a JSON object: {e}")))?;
            let id = v["id"]
                .as_str()
                .ok_or_else(|| malformed("no \"id\" string".into()))?;
            let list = v.get("relevant").or_else(|| v.get("sops"));
            let relevant = list
                .and_then(|l| l.as_array())
                .ok_or_else(|| malformed("no \"relevant\" (or \"sops\") list".into()))?
                .iter()
                .map(|x| x.as_str().map(str::to_string))
                .collect::<Option<Vec<String>>>()
                .ok_or_else(|| malformed("SOP ids must be strings".into()))?;
            out.push(SopJudgement {
                id: id.to_string(),
                relevant,
                client_ok: v["client_ok"].as_bool().unwrap_or(false),
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_endless_jsonl_line_is_refused_without_reading_it_all() {
        let ok = "{\"text\":\"printer jam\",\"tier\":\"L1\"}\n";
        let long = "x".repeat(MAX_INPUT_BYTES + 10);
        let (_d, path) = tmp("long.jsonl", &format!("{ok}{long}\n{ok}"));
        let mut seen = 0;
        let err = read_jsonl(&path, &Columns::default(), &mut |_| {
            seen += 1;
            Ok(())
        })
        .unwrap_err()
        .to_string();
        assert_eq!(seen, 1, "the line before is read");
        assert!(
            err.contains(":2") && err.contains("longer than 4 MiB"),
            "{err}"
        );
        // an ordinary line of a thousand characters is still read
        let text = format!("{{\"text\":\"{}\",\"tier\":\"L1\"}}", "y".repeat(1000));
        let (_d2, path2) = tmp("fine.jsonl", &format!("{text}\n"));
        assert!(read_jsonl(&path2, &Columns::default(), &mut |_| Ok(())).is_ok());
    }

    fn tmp(name: &str, content: &str) -> (tempfile::TempDir, PathBuf) {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join(name);
        std::fs::write(&p, content).unwrap();
        (d, p)
    }

    #[test]
    fn csv_defaults_join_subject_and_body() {
        let (_d, p) = tmp(
            "t.csv",
            "id,subject,body,tier\n1,VPN down,\"for the whole site\nsince 9\",L3\n2,pw,,L1\n",
        );
        let rows = read_labelled(&p, &Columns::default()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].text, "VPN down\nfor the whole site\nsince 9");
        assert_eq!(rows[0].label, "L3");
        assert_eq!(rows[1].text, "pw");
        assert_eq!(rows[1].line, 4);
    }

    #[test]
    fn missing_column_is_named() {
        let (_d, p) = tmp("t.csv", "subject,priority\nx,1\n");
        let e = read_labelled(&p, &Columns::default()).unwrap_err();
        assert!(matches!(&e, Error::MissingColumn { column, .. } if column.contains("tier")));
        let cols = Columns {
            text: vec!["summary".into()],
            ..Columns::default()
        };
        let e = read_labelled(&p, &cols).unwrap_err().to_string();
        assert!(
            e.contains("\"summary\"") && e.contains("subject, priority"),
            "{e}"
        );
    }

    #[test]
    fn malformed_rows_name_their_line() {
        let (_d, p) = tmp("t.csv", "text,label\na,x\nb,y,extra\n");
        let e = read_labelled(&p, &Columns::default()).unwrap_err();
        assert!(matches!(e, Error::MalformedRow { line: 3, .. }), "{e}");
        let (_d, p) = tmp("t.csv", "text,label\na,x\nb,\n");
        let e = read_labelled(&p, &Columns::default()).unwrap_err();
        assert!(matches!(e, Error::MalformedRow { line: 3, .. }), "{e}");
        let (_d, p) = tmp(
            "t.jsonl",
            "{\"text\":\"a\",\"label\":\"x\"}\n\n{\"text\": \"b\", \"label\n",
        );
        let e = read_labelled(&p, &Columns::default()).unwrap_err();
        assert!(matches!(e, Error::MalformedRow { line: 3, .. }), "{e}");
        let (_d, p) = tmp("t.csv", "text,label\n\u{0}\u{1}ok,x\n");
        assert_eq!(read_labelled(&p, &Columns::default()).unwrap().len(), 1);
    }

    #[test]
    fn jsonl_and_folders() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(
            d.path().join("b.jsonl"),
            "{\"id\":\"b1\",\"subject\":\"s\",\"body\":\"\",\"tier\":\"L2\"}\n",
        )
        .unwrap();
        std::fs::write(d.path().join("a.csv"), "subject,body,tier\nx,y,L1\n").unwrap();
        std::fs::write(d.path().join("notes.txt"), "ignored").unwrap();
        let rows = read_labelled(d.path(), &Columns::default()).unwrap();
        assert_eq!(
            rows.iter().map(|r| r.label.as_str()).collect::<Vec<_>>(),
            ["L1", "L2"]
        );
        assert_eq!(rows[1].id.as_deref(), Some("b1"));
    }

    fn cols_in(encoding: &str) -> Columns {
        Columns {
            encoding: Some(encoding.parse().unwrap()),
            ..Columns::default()
        }
    }

    fn utf16(text: &str, big_endian: bool) -> Vec<u8> {
        let mut out = if big_endian {
            vec![0xFE, 0xFF]
        } else {
            vec![0xFF, 0xFE]
        };
        for u in text.encode_utf16() {
            out.extend(if big_endian {
                u.to_be_bytes()
            } else {
                u.to_le_bytes()
            });
        }
        out
    }

    #[test]
    fn utf16_with_a_byte_order_mark_is_read_by_itself() {
        let d = tempfile::tempdir().unwrap();
        let csv = "subject,body,tier\nDrucker im Büro,\"druckt nicht, “nie”\",L1\n";
        std::fs::write(d.path().join("a.csv"), utf16(csv, false)).unwrap();
        let jsonl = "{\"text\":\"Zugriff verweigert – Größe\",\"tier\":\"L2\"}\n";
        std::fs::write(d.path().join("b.jsonl"), utf16(jsonl, true)).unwrap();
        let rows = read_labelled(d.path(), &Columns::default()).unwrap();
        assert_eq!(rows[0].text, "Drucker im Büro\ndruckt nicht, “nie”");
        assert_eq!((rows[0].label.as_str(), rows[0].line), ("L1", 2));
        assert_eq!(rows[1].text, "Zugriff verweigert – Größe");
        // the byte-order mark wins over a named single-byte encoding
        let rows = read_labelled(d.path(), &cols_in("windows-1252")).unwrap();
        assert_eq!(rows[1].label, "L2");
        // without the mark: a hint, not a column error on garbled names
        let bare = &utf16(csv, false)[2..];
        std::fs::write(d.path().join("a.csv"), bare).unwrap();
        let e = read_labelled(&d.path().join("a.csv"), &Columns::default()).unwrap_err();
        assert!(e.to_string().contains("--encoding utf-16le"), "{e}");
        let rows = read_labelled(&d.path().join("a.csv"), &cols_in("utf-16le")).unwrap();
        assert_eq!(rows[0].text, "Drucker im Büro\ndruckt nicht, “nie”");
    }

    #[test]
    fn windows_1252_is_read_with_encoding_and_refused_with_a_hint_without() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("t.csv");
        // "Büro", "Größe", "€" and typographic quotes as Windows-1252 bytes
        std::fs::write(
            &p,
            b"text,label\nok,L1\nDrucker im B\xfcro \x93Gr\xf6\xdfe\x94 \x80,L2\n",
        )
        .unwrap();
        let e = read_labelled(&p, &Columns::default()).unwrap_err();
        assert!(matches!(e, Error::MalformedRow { line: 3, .. }), "{e}");
        assert!(e.to_string().contains("--encoding"), "{e}");
        for label in ["windows-1252", "latin1", "cp1252", "ISO-8859-1"] {
            let rows = read_labelled(&p, &cols_in(label)).unwrap();
            assert_eq!(rows[1].text, "Drucker im Büro “Größe” €", "{label}");
        }
        let jp = d.path().join("t.jsonl");
        std::fs::write(&jp, b"{\"text\":\"B\xfcro\",\"label\":\"L1\"}\n").unwrap();
        let e = read_labelled(&jp, &Columns::default()).unwrap_err();
        assert!(e.to_string().contains("--encoding"), "{e}");
        assert_eq!(
            read_labelled(&jp, &cols_in("latin1")).unwrap()[0].text,
            "Büro"
        );
        let e = "klingon".parse::<TextEncoding>().unwrap_err().to_string();
        assert!(
            e.contains("\"klingon\"") && e.contains("windows-1252"),
            "{e}"
        );
        // a UTF-8 byte-order mark before JSON lines is not part of the first object
        std::fs::write(&jp, "\u{feff}{\"text\":\"a\",\"label\":\"x\"}\n").unwrap();
        assert_eq!(read_labelled(&jp, &Columns::default()).unwrap().len(), 1);
    }

    /// The staff view's export of `rows` (the header first), written by `toCsv` of `www/csv.js`,
    /// the code the page runs, under node.
    fn staff_export(rows: &[Vec<&str>]) -> String {
        use std::io::Write;
        use std::process::{Command, Stdio};
        let module = Path::new(env!("CARGO_MANIFEST_DIR")).join("www/csv.js");
        let url = serde_json::to_string(&format!("file://{}", module.display())).unwrap();
        let code = format!(
            "const {{ toCsv }} = await import({url}); let s = ''; \
             for await (const c of process.stdin) s += c; process.stdout.write(toCsv(JSON.parse(s)));"
        );
        let mut node = Command::new("node")
            .args(["--input-type=module", "-e", &code])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("node runs (the web tests need it too)");
        let input = serde_json::to_vec(rows).unwrap();
        node.stdin.take().unwrap().write_all(&input).unwrap();
        let out = node.wait_with_output().unwrap();
        assert!(out.status.success(), "node failed");
        String::from_utf8(out.stdout).unwrap()
    }

    #[test]
    fn the_staff_export_reads_back_as_typed() {
        let typed = [
            "=cmd|' /C calc'!A0",
            "-5 degrees in the server room",
            "'quoted already",
            "'=not a formula, a quote typed before it",
            "''two quotes",
            "'",
            "+49 30 1234",
            "@SUM(A1:A9)",
            "\tindented",
            "plain \"quoted\" text",
            "it's fine",
        ];
        let mut rows = vec![STAFF_EXPORT_HEADER.to_vec()];
        let ids: Vec<String> = (0..typed.len()).map(|i| format!("t{i}")).collect();
        for (id, body) in ids.iter().zip(typed) {
            rows.push(vec![id, body, "=x", "L3", "L1", "0.5"]);
        }
        let csv = staff_export(&rows);
        // a spreadsheet sees no formula: every cell that could start one starts with '
        assert!(
            csv.contains("\"'=cmd") && csv.contains("\"''=not a formula"),
            "{csv}"
        );
        let (_d, p) = tmp("tiermatch-overrides.csv", &csv);
        let rows = read_labelled(&p, &Columns::default()).unwrap();
        let bodies: Vec<&str> = rows
            .iter()
            .map(|r| r.text.strip_suffix("\n=x").unwrap())
            .collect();
        assert_eq!(bodies, typed);
        assert_eq!(rows[0].label, "L3");
        // the same cells in another CSV are taken as they stand
        let (_d, p) = tmp("t.csv", "text,label\n'=1+1,L1\n");
        assert_eq!(
            read_labelled(&p, &Columns::default()).unwrap()[0].text,
            "'=1+1"
        );
    }
}
