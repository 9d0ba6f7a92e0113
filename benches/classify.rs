//! Criterion benchmarks: classify (with SOP search) one ticket at a time with the bundled model,
//! and SOP search over the Microsoft KB corpora (read from ../shared at run time when present).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use tiermatch::Model;
use tiermatch::{Audience, Sop, SopIndex};

fn root() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Tickets of about 500 characters from the project's own corpus.
fn tickets() -> Vec<String> {
    let dir = root().join("model/data/tickets");
    let mut out = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("model/data/tickets")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    for f in files {
        for line in std::fs::read_to_string(&f).unwrap().lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let text = format!(
                "{}\n{}",
                v["subject"].as_str().unwrap_or(""),
                v["body"].as_str().unwrap_or("")
            );
            if (400..=650).contains(&text.len()) {
                out.push(text);
            }
        }
    }
    assert!(!out.is_empty(), "no ~500-character tickets in the corpus");
    out
}

/// The bundled model with its SOP library padded to at least 100 SOPs (copies with new ids).
fn model_with_100_sops() -> Model {
    let m = Model::load(&root().join("model/tiermatch.model")).expect("bundled model");
    let mut p = m.payload().clone();
    let base = p.sops.clone();
    let mut i = 0;
    while p.sops.len() < 100 {
        let mut s = base[i % base.len()].clone();
        s.id = format!("{}-copy{i}", s.id);
        p.sops.push(s);
        i += 1;
    }
    Model::from_payload(p).expect("padded model")
}

/// The Microsoft KB articles as SOPs (title, description as keywords, body opening as summary).
pub fn kb_sops() -> Vec<Sop> {
    let mut out = Vec::new();
    for name in [
        "kb-microsoft-officedocs-support",
        "kb-microsoft-supportarticles-windows",
    ] {
        let path = root()
            .join("../shared/data/raw")
            .join(name)
            .join("articles.jsonl");
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        for line in text.lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let body: String = v["body_markdown"]
                .as_str()
                .unwrap_or("")
                .chars()
                .take(tiermatch::SUMMARY_CHARS)
                .collect();
            out.push(Sop {
                id: v["id"].as_str().unwrap_or("").to_string(),
                title: v["title"].as_str().unwrap_or("").to_string(),
                tier: "L1".into(),
                audience: Audience::Client,
                keywords: vec![v["description"].as_str().unwrap_or("").to_string()],
                url: None,
                summary: body,
                learned: Vec::new(),
            });
        }
    }
    out
}

fn bench(c: &mut Criterion) {
    let model = model_with_100_sops();
    let tickets = tickets();
    let mut g = c.benchmark_group("classify");
    g.throughput(Throughput::Elements(1));
    g.sample_size(30);
    g.measurement_time(std::time::Duration::from_secs(4));
    let mut i = 0;
    g.bench_function(
        format!(
            "ticket ~500 chars, {} SOPs ({} tickets)",
            model.sop_index().len(),
            tickets.len()
        ),
        |b| {
            b.iter(|| {
                i = (i + 1) % tickets.len();
                black_box(model.classify_text(black_box(&tickets[i]), 3))
            })
        },
    );
    g.finish();

    let kb = kb_sops();
    if kb.len() > 1000 {
        let n = kb.len();
        let t = std::time::Instant::now();
        let index = SopIndex::new(kb);
        eprintln!(
            "indexed {n} KB articles in {:.2} s",
            t.elapsed().as_secs_f64()
        );
        let mut g = c.benchmark_group("sop-search");
        g.throughput(Throughput::Elements(1));
        g.sample_size(20);
        g.measurement_time(std::time::Duration::from_secs(4));
        let mut j = 0;
        g.bench_function(format!("top 5 of {n} KB articles"), |b| {
            b.iter(|| {
                j = (j + 1) % tickets.len();
                black_box(index.search(black_box(&tickets[j]), 5))
            })
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
