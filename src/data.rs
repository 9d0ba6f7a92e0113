//! Reading labelled tickets from CSV or JSON lines (feature `train`).
//!
//! Text is the `subject` and `body` columns joined by a newline when either is present, else
//! `text`, unless text columns are named. The label is `tier` when present, else `label`, unless
//! named. A folder reads every `.csv`, `.jsonl` and `.json` file in it, sorted by name. Errors name
//! the file, the missing column, or the line of the malformed row.

use crate::error::{Error, Result};
use crate::metrics::SopJudgement;
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

/// Which columns to read.
#[derive(Debug, Clone, Default)]
pub struct Columns {
    /// Text columns, joined by a newline; empty for the defaults.
    pub text: Vec<String>,
    /// Label column; `None` for the default.
    pub label: Option<String>,
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
    for f in input_files(path)? {
        let is_csv = f.extension().is_some_and(|x| x == "csv");
        if is_csv {
            read_csv(&f, cols, &mut rows)?;
        } else {
            read_jsonl(&f, cols, &mut rows)?;
        }
    }
    Ok(rows)
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

fn read_csv(path: &Path, cols: &Columns, rows: &mut Vec<Row>) -> Result<()> {
    let name = path.display().to_string();
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(false)
        .from_path(path)
        .map_err(|e| Error::io(&name, std::io::Error::other(e.to_string())))?;
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
    for rec in rdr.records() {
        let rec = rec.map_err(|e| csv_error(&name, e))?;
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        let label = rec.get(label_idx).unwrap_or("").trim().to_string();
        if label.is_empty() {
            return Err(Error::MalformedRow {
                path: name.clone(),
                line,
                reason: format!("empty label in column {label_col:?}"),
            });
        }
        rows.push(Row {
            path: name.clone(),
            line,
            id: id_idx.and_then(|i| rec.get(i)).map(|s| s.to_string()),
            text: join_text(
                text_idx
                    .iter()
                    .map(|&i| rec.get(i).unwrap_or("").to_string()),
            ),
            label,
        });
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
            reason: "not valid UTF-8".to_string(),
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

fn read_jsonl(path: &Path, cols: &Columns, rows: &mut Vec<Row>) -> Result<()> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| Error::io(&name, e))?;
    let mut resolved: Option<(Vec<String>, String)> = None;
    for (n, raw) in bytes.split(|&b| b == b'\n').enumerate() {
        let line = n as u64 + 1;
        let malformed = |reason: String| Error::MalformedRow {
            path: name.clone(),
            line,
            reason,
        };
        let text = std::str::from_utf8(raw).map_err(|_| malformed("not valid UTF-8".into()))?;
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
        rows.push(Row {
            path: name.clone(),
            line,
            id: obj.get("id").map(value_text),
            text: join_text(
                text_cols
                    .iter()
                    .map(|c| obj.get(c).map(value_text).unwrap_or_default()),
            ),
            label,
        });
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
            label: None,
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
}
