//! `tiermatch train | eval | classify`: the command line (feature `cli`).

use clap::{Parser, Subcommand, ValueEnum};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use tiermatch::DEFAULT_SOPS;
use tiermatch::data::{
    Columns, LabelledFiles, Line, MAX_INPUT_BYTES, TextEncoding, read_capped_line, read_labelled,
    read_sop_judgements,
};
use tiermatch::metrics::SopFigures;
use tiermatch::report::{Comparison, ModelRun, Page};
use tiermatch::train::{Algorithm, TrainOptions, train_from};
use tiermatch::{ArticleDefaults, Audience, Error, Model, Sop, Ticket};

/// The bundled default model, used when `--model` is left out.
static DEFAULT_MODEL: &[u8] = include_bytes!("../../model/tiermatch.model");

#[derive(Parser)]
#[command(
    name = "tiermatch",
    version,
    about = "Ticket triage: L1/L2/L3 classification and SOP matching"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

/// Where labelled tickets come from and which columns to read.
#[derive(clap::Args)]
struct DataArgs {
    /// Labelled tickets: .csv, .jsonl, or a folder of them.
    #[arg(long)]
    input: PathBuf,
    /// Text column (repeatable; joined by newlines). Default: subject + body, else text.
    #[arg(long = "text-column")]
    text_column: Vec<String>,
    /// Label column. Default: tier, else label.
    #[arg(long = "label-column")]
    label_column: Option<String>,
    /// Encoding of files that are not UTF-8 (UTF-16 with a byte-order mark is read by itself):
    /// windows-1252, latin1, utf-16le, ...
    #[arg(long)]
    encoding: Option<TextEncoding>,
}

impl DataArgs {
    fn read(&self) -> Result<Vec<tiermatch::data::Row>, Error> {
        read_labelled(&self.input, &self.files().columns)
    }

    /// The input as training reads it: from disk, row by row, each time it is needed.
    fn files(&self) -> LabelledFiles {
        LabelledFiles {
            path: self.input.clone(),
            columns: Columns {
                text: self.text_column.clone(),
                label: self.label_column.clone(),
                encoding: self.encoding,
            },
        }
    }
}

/// Who may see the imported articles.
#[derive(Clone, Copy, ValueEnum)]
enum AudienceArg {
    /// Client self-help.
    Client,
    /// Technicians only.
    Staff,
}

impl From<AudienceArg> for Audience {
    fn from(a: AudienceArg) -> Audience {
        match a {
            AudienceArg::Client => Audience::Client,
            AudienceArg::Staff => Audience::Staff,
        }
    }
}

#[derive(Subcommand)]
enum Cmd {
    /// Train a model on labelled tickets (CSV or JSON lines, a file or a folder of them).
    Train {
        #[command(flatten)]
        data: DataArgs,
        /// Folder of SOPs or knowledge-base articles to index into the model: Markdown with
        /// front matter, or Markdown and HTML articles without it (.md, .markdown, .html, .htm).
        #[arg(long)]
        sops: Option<PathBuf>,
        /// Audience of the --sops articles without front matter.
        #[arg(
            long = "sop-audience",
            value_enum,
            default_value = "staff",
            requires = "sops"
        )]
        sop_audience: AudienceArg,
        /// Tier of the --sops articles without front matter.
        #[arg(long = "sop-tier", default_value = "L1", value_parser = ["L1", "L2", "L3"], requires = "sops")]
        sop_tier: String,
        /// Tickets of --input labelled with the SOPs that fit them: JSON lines `{"id", "sops":
        /// [SOP ids]}` (or "relevant"), a file or a folder; the model then learns when to show an
        /// SOP and stays silent otherwise.
        #[arg(long = "sop-labels", value_name = "PATH", requires = "sops")]
        sop_labels: Option<PathBuf>,
        /// Where to write the model file.
        #[arg(long)]
        out: PathBuf,
        /// Classifier: nb-lr (naive Bayes scores stacked under logistic regression, kept only
        /// where cross-validation says it helps), nb (multinomial naive Bayes), cnb (complement
        /// naive Bayes) or logistic.
        #[arg(long, default_value = "nb-lr")]
        algorithm: String,
        /// Features kept after chi² selection, or "auto": 14,000, or 400 per label when there are
        /// more than 35 labels.
        #[arg(long = "max-features", default_value = "auto")]
        max_features: String,
        /// Minimum number of tickets a feature must appear in.
        #[arg(long = "min-df", default_value_t = TrainOptions::default().min_df)]
        min_df: u32,
        /// Fold labels with fewer tickets than this into one "other" label.
        #[arg(long = "min-label-count", default_value_t = TrainOptions::default().min_label_count)]
        min_label_count: usize,
        /// Cross-validation folds.
        #[arg(long, default_value_t = TrainOptions::default().folds)]
        folds: usize,
        /// Seed of the fold assignment.
        #[arg(long, default_value_t = TrainOptions::default().seed)]
        seed: u64,
        /// Naive Bayes smoothing, or "auto" to choose it by cross-validation.
        #[arg(long = "nb-alpha", default_value = "auto")]
        nb_alpha: String,
        /// Worker threads.
        #[arg(long, default_value_t = TrainOptions::default().threads)]
        threads: usize,
        /// No progress lines.
        #[arg(long)]
        quiet: bool,
    },
    /// Measure a model on labelled tickets: accuracy, macro-F1, per-class P/R/F1, confusion matrix.
    Eval {
        /// Model file (default: the bundled model).
        #[arg(long)]
        model: Option<PathBuf>,
        #[command(flatten)]
        data: DataArgs,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        /// Also judge the suggested SOPs: JSON lines `{"id", "relevant": [SOP ids]}` for tickets
        /// of --input (by id), with `"client_ok"` when a fitting SOP is client-facing.
        #[arg(long, value_name = "FILE")]
        sop_judgements: Option<PathBuf>,
        /// Also write the figures as a report an owner reads: one self-contained HTML file.
        #[arg(long, value_name = "FILE")]
        report: Option<PathBuf>,
        /// A second model to set beside the first on the same tickets, with the tickets that
        /// change tier between them.
        #[arg(long, value_name = "MODEL")]
        compare: Option<PathBuf>,
    },
    /// Classify a ticket (TEXT, or stdin), or JSON lines on stdin with --jsonl.
    Classify {
        /// Model file (default: the bundled model).
        #[arg(long)]
        model: Option<PathBuf>,
        /// Read JSON lines ({"id","subject","body"} or {"id","text"}) on stdin, write one per line.
        #[arg(long)]
        jsonl: bool,
        /// How many SOPs to list.
        #[arg(long, default_value_t = DEFAULT_SOPS)]
        sops: usize,
        /// The ticket text.
        text: Option<String>,
    },
}

fn main() {
    let cli = Cli::parse();
    let code = match run(cli) {
        Ok(code) => code,
        // a reader that stops early (`| head`) is not an error
        Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::BrokenPipe => 0,
        Err(e) => {
            eprintln!("tiermatch: error: {e}");
            1
        }
    };
    std::process::exit(code);
}

/// Writes to stdout, reporting a closed pipe as an error instead of panicking like `print!`.
fn emit(text: &str) -> Result<(), Error> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|_| out.flush())
        .map_err(|e| Error::io("stdout", e))
}

/// How a model is named in eval's output: its path, or "the bundled model".
fn model_name(path: Option<&Path>) -> String {
    path.map_or("the bundled model".into(), |p| p.display().to_string())
}

fn load_model(path: Option<&Path>) -> Result<Model, Error> {
    match path {
        Some(p) => Model::load(p),
        None => Model::from_bytes(DEFAULT_MODEL),
    }
}

fn run(cli: Cli) -> Result<i32, Error> {
    match cli.cmd {
        Cmd::Train {
            data,
            sops,
            sop_audience,
            sop_tier,
            sop_labels,
            out,
            algorithm,
            max_features,
            min_df,
            min_label_count,
            folds,
            seed,
            nb_alpha,
            threads,
            quiet,
        } => {
            check_out(
                "--out",
                &out,
                &[Some(data.input.as_path()), sops.as_deref()],
            )?;
            let sops = match &sops {
                Some(dir) => Sop::load_dir(
                    dir,
                    &ArticleDefaults {
                        audience: sop_audience.into(),
                        tier: sop_tier,
                    },
                )?,
                None => Vec::new(),
            };
            let sop_labels = match &sop_labels {
                Some(path) => read_sop_judgements(path)?,
                None => Vec::new(),
            };
            let command = training_command(std::env::args().skip(1));
            let nb_alpha = match nb_alpha.as_str() {
                "auto" => None,
                a => Some(a.parse::<f64>().ok().filter(|x| *x > 0.0).ok_or_else(|| {
                    Error::InvalidInput {
                        reason: format!("--nb-alpha must be a positive number or auto, not {a:?}"),
                    }
                })?),
            };
            let max_features = match max_features.as_str() {
                "auto" => None,
                k => Some(k.parse::<usize>().ok().filter(|x| *x > 0).ok_or_else(|| {
                    Error::InvalidInput {
                        reason: format!(
                            "--max-features must be a positive whole number or auto, not {k:?}"
                        ),
                    }
                })?),
            };
            let opts = TrainOptions {
                algorithm: algorithm.parse::<Algorithm>()?,
                max_features,
                min_df,
                min_label_count,
                folds,
                seed,
                nb_alpha,
                threads,
                progress: !quiet,
                command,
                sop_labels,
                ..TrainOptions::default()
            };
            let (model, report) = train_from(&data.files(), sops, &opts)?;
            model.save(&out)?;
            emit(&format!(
                "{}wrote {} ({} bytes, {} labels, {} SOPs)\n",
                report.summary(folds),
                out.display(),
                model.to_bytes().len(),
                model.labels().len(),
                model.sop_index().len()
            ))?;
            Ok(0)
        }
        Cmd::Eval {
            model,
            data,
            json,
            sop_judgements,
            report,
            compare,
        } => {
            if let Some(path) = &report {
                let inputs = [&Some(data.input.clone()), &model, &compare, &sop_judgements];
                let inputs: Vec<Option<&Path>> = inputs.iter().map(|p| p.as_deref()).collect();
                check_out("--report", path, &inputs)?;
            }
            let first = load_model(model.as_deref())?;
            let second = compare.as_deref().map(Model::load).transpose()?;
            let rows = data.read()?;
            let first = ModelRun::new(model_name(model.as_deref()), first, &rows);
            let second = second.map(|m| ModelRun::new(model_name(compare.as_deref()), m, &rows));
            let changes = second.as_ref().map(|b| first.changes_to(b, &rows));
            let sop_figures = match sop_judgements {
                Some(path) => Some(judge_sops(&path, &rows, &first.answers)?),
                None => None,
            };
            if let Some(path) = &report {
                let page = Page {
                    input: data.input.display().to_string(),
                    tickets: &rows,
                    run: &first,
                    compare: second
                        .as_ref()
                        .zip(changes.as_ref())
                        .map(|(run, changes)| Comparison { run, changes }),
                };
                tiermatch::model::write_atomically(path, page.html().as_bytes())?;
                eprintln!("tiermatch: wrote {}", path.display());
            }
            let compared = second.as_ref().zip(changes.as_ref());
            if json {
                let mut v = serde_json::json!(first.figures);
                if let Some(f) = &sop_figures {
                    v["sops"] = serde_json::json!(f);
                }
                if let Some((run, changes)) = compared {
                    let mut c = serde_json::json!(run.figures);
                    c["model"] = serde_json::json!(run.name);
                    c["changes"] = serde_json::json!(changes);
                    v["compare"] = c;
                }
                emit(&format!("{v}\n"))?;
            } else {
                let mut text = first.figures.table();
                text += &sop_figures.map(|f| f.table()).unwrap_or_default();
                if let Some((run, changes)) = compared {
                    text += &format!("\ncompared with {}\n", run.name);
                    text += &(run.figures.table() + &changes.table());
                }
                emit(&text)?;
            }
            Ok(0)
        }
        Cmd::Classify {
            model,
            jsonl,
            sops,
            text,
        } => {
            let m = load_model(model.as_deref())?;
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            if jsonl {
                return classify_jsonl(&m, sops, &mut out);
            }
            let text = match text {
                Some(t) => t,
                None => {
                    let mut buf = Vec::new();
                    let limit = MAX_INPUT_BYTES as u64 + 1;
                    std::io::stdin()
                        .take(limit)
                        .read_to_end(&mut buf)
                        .map_err(|e| Error::io("stdin", e))?;
                    if buf.len() > MAX_INPUT_BYTES {
                        return Err(Error::InvalidInput {
                            reason: format!(
                                "the ticket on stdin is longer than {} MiB (a ticket's text is read to 16 KiB): shorten it",
                                MAX_INPUT_BYTES >> 20
                            ),
                        });
                    }
                    String::from_utf8_lossy(&buf).into_owned()
                }
            };
            let c = m.classify_text(&text, sops);
            let line = serde_json::to_string(&c).expect("serializable");
            writeln!(out, "{line}").map_err(|e| Error::io("stdout", e))?;
            Ok(0)
        }
    }
}

/// The SOP figures of the answers whose ticket (by id) has a judgement in `path`; a judgement for
/// a ticket that is not among the rows is an error, as it would silently drop from the figures.
fn judge_sops(
    path: &Path,
    rows: &[tiermatch::data::Row],
    answers: &[tiermatch::Classification],
) -> Result<SopFigures, Error> {
    let judgements = read_sop_judgements(path)?;
    let by_id: std::collections::HashMap<&str, usize> = rows
        .iter()
        .enumerate()
        .filter_map(|(i, r)| r.id.as_deref().map(|id| (id, i)))
        .collect();
    let mut pairs = Vec::with_capacity(judgements.len());
    for j in &judgements {
        let i = *by_id
            .get(j.id.as_str())
            .ok_or_else(|| Error::InvalidInput {
                reason: format!(
                    "{}: ticket {:?} is judged but not in --input",
                    path.display(),
                    j.id
                ),
            })?;
        pairs.push((j, answers[i].sops.as_slice()));
    }
    Ok(SopFigures::new(&pairs))
}

/// Refuses an output (`flag`: `--out`, `--report`) that would replace something other than a
/// regular file (see [`tiermatch::model::check_target`]) or that is one of the inputs or inside an
/// input folder, before any time is spent. Paths are compared once resolved, so
/// `data/../data/t.csv` and a link to an input are caught too.
fn check_out(flag: &str, out: &Path, inputs: &[Option<&Path>]) -> Result<(), Error> {
    tiermatch::model::check_target(out)?;
    let resolved = match std::fs::canonicalize(out) {
        Ok(p) => p,
        // a new file: its folder resolved (check_target saw that it exists), and its name
        Err(_) => {
            let dir = out.parent().filter(|p| !p.as_os_str().is_empty());
            let dir = std::fs::canonicalize(dir.unwrap_or(Path::new(".")))
                .map_err(|e| Error::io(out.display(), e))?;
            dir.join(out.file_name().unwrap_or_default())
        }
    };
    for input in inputs.iter().flatten() {
        let Ok(input_resolved) = std::fs::canonicalize(input) else {
            continue; // reading it will say what is wrong
        };
        let what = if resolved == input_resolved {
            "is one of the inputs"
        } else if resolved.starts_with(&input_resolved) {
            "is inside an input folder"
        } else {
            continue;
        };
        return Err(Error::InvalidInput {
            reason: format!(
                "{flag} {} {what} ({}): it would replace or join the data it is made from; write it elsewhere",
                out.display(),
                input.display()
            ),
        });
    }
    Ok(())
}

/// The training command as recorded in the model: the arguments that shape the model, without
/// the ones that only say where to write it or how much to print (`--out`, `--quiet`,
/// `--threads`), so the same training gives the same bytes wherever it writes.
fn training_command(args: impl Iterator<Item = String>) -> String {
    let mut out = vec!["tiermatch".to_string()];
    let mut skip_next = false;
    for a in args {
        if skip_next {
            skip_next = false;
            continue;
        }
        match a.as_str() {
            "--out" | "--threads" => skip_next = true,
            "--quiet" => {}
            _ if a.starts_with("--out=") || a.starts_with("--threads=") => {}
            _ => out.push(a),
        }
    }
    out.join(" ")
}

/// One JSON line per input line, same order. A line that cannot be read, or is longer than
/// [`MAX_INPUT_BYTES`], gets an `{"line": N, "error": "..."}` line in its place (and a message on
/// stderr), the rest go on, and the exit status is 1.
fn classify_jsonl(m: &Model, k: usize, out: &mut impl Write) -> Result<i32, Error> {
    let stdin = std::io::stdin();
    let mut reader = stdin.lock();
    let mut buf = Vec::new();
    let mut line_no = 0u64;
    let mut failed = 0u64;
    loop {
        let line = read_capped_line(&mut reader, &mut buf, MAX_INPUT_BYTES)
            .map_err(|e| Error::io("stdin", e))?;
        if let Line::End = line {
            break;
        }
        line_no += 1;
        let ticket = match line {
            Line::TooLong => Err(format!(
                "the line is longer than {} MiB, the most a ticket line may have (a ticket's text is read to 16 KiB): shorten it",
                MAX_INPUT_BYTES >> 20
            )),
            _ => {
                let raw = String::from_utf8_lossy(&buf);
                if raw.trim().is_empty() {
                    continue;
                }
                parse_ticket(&raw)
            }
        };
        let result = ticket.map(|ticket| {
            let c = m.classify_ticket(&ticket, k);
            serde_json::to_string(&c).expect("serializable")
        });
        let line = match result {
            Ok(l) => l,
            Err(reason) => {
                failed += 1;
                eprintln!("tiermatch: stdin:{line_no}: {reason}");
                serde_json::json!({"line": line_no, "error": reason}).to_string()
            }
        };
        writeln!(out, "{line}").map_err(|e| Error::io("stdout", e))?;
    }
    out.flush().map_err(|e| Error::io("stdout", e))?;
    Ok(if failed > 0 { 1 } else { 0 })
}

/// The ticket of a JSON line: `id`, `subject`, `body` and `text`, other values than strings as
/// their JSON text.
fn parse_ticket(raw: &str) -> Result<Ticket, String> {
    let v: serde_json::Value =
        serde_json::from_str(raw.trim()).map_err(|e| format!("not a JSON object: {e}"))?;
    let obj = v.as_object().ok_or("not a JSON object")?;
    let field = |k: &str| match obj.get(k) {
        Some(serde_json::Value::String(s)) => Some(s.clone()),
        Some(serde_json::Value::Null) | None => None,
        Some(other) => Some(other.to_string()),
    };
    let ticket = Ticket {
        id: field("id"),
        subject: field("subject"),
        body: field("body"),
        text: field("text"),
    };
    if ticket.is_blank() {
        return Err("no \"subject\", \"body\" or \"text\" field".into());
    }
    Ok(ticket)
}
