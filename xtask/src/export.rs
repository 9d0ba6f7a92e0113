//! `cargo xtask export`: a large MSP ticket export made at run time, so training can be measured
//! at any size without committing data. Each ticket recombines sentences of the project's own
//! corpus (`model/data/tickets`) of one tier and topic, with the variation a real export has
//! (ticket numbers, hosts, people, typos, signatures), so no two texts are alike and the
//! vocabulary grows with the export as a real one does. Labels follow the corpus's tier mix.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

/// A small seeded generator (SplitMix64): the same seed gives the same export.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut x = self.0;
        x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        x ^ (x >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// One corpus ticket, as the generator uses it.
struct Source {
    subject: String,
    tier: String,
    /// Tier and topic: the pool its sentences join.
    pool: String,
    sentences: Vec<String>,
}

/// The corpus, split into sentences pooled by tier and topic.
struct Corpus {
    tickets: Vec<Source>,
    pools: BTreeMap<String, Vec<String>>,
}

fn sentences(body: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in body.chars() {
        cur.push(c);
        if matches!(c, '.' | '!' | '?' | '\n') {
            let s = cur.trim();
            if s.len() > 2 {
                out.push(s.to_string());
            }
            cur.clear();
        }
    }
    if cur.trim().len() > 2 {
        out.push(cur.trim().to_string());
    }
    out
}

fn read_corpus(root: &Path) -> Result<Corpus, String> {
    let dir = root.join("model/data/tickets");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    let mut tickets = Vec::new();
    let mut pools: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for f in files {
        let text = std::fs::read_to_string(&f).map_err(|e| format!("{}: {e}", f.display()))?;
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let v: serde_json::Value =
                serde_json::from_str(line).map_err(|e| format!("{}: {e}", f.display()))?;
            let field = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or("").to_string();
            let tier = field("tier");
            let pool = format!("{tier}/{}/{}", field("topic"), field("lang"));
            let s = sentences(&field("body"));
            pools.entry(pool.clone()).or_default().extend(s.clone());
            tickets.push(Source {
                subject: field("subject"),
                tier,
                pool,
                sentences: s,
            });
        }
    }
    if tickets.is_empty() {
        return Err(format!("{} holds no tickets", dir.display()));
    }
    Ok(Corpus { tickets, pools })
}

const FIRST: [&str; 24] = [
    "Anna", "Ben", "Chiara", "David", "Elif", "Farid", "Greta", "Hannes", "Ines", "Jonas", "Kofi",
    "Lena", "Marco", "Nadia", "Oskar", "Priya", "Quentin", "Rosa", "Sven", "Tanja", "Umar", "Vera",
    "Wim", "Yusuf",
];
const LAST: [&str; 16] = [
    "Albers", "Brandt", "Costa", "Dietz", "Engel", "Fischer", "Garcia", "Horvat", "Ivanova",
    "Jansen", "Keller", "Lopez", "Moreau", "Novak", "Okafor", "Petrov",
];
const COMPANY: [&str; 12] = [
    "Lakeside Dental",
    "Birch & Partner",
    "Nordwerk GmbH",
    "Harbor Logistics",
    "Maple Clinic",
    "Quarry Architects",
    "Riverbend School",
    "Summit Accounting",
    "Alpenblick Hotel",
    "Cobalt Retail",
    "Ironbridge Construction",
    "Hope Street Charity",
];
const PREFIX: [&str; 6] = ["RE: ", "FW: ", "AW: ", "WG: ", "Fwd: ", "[External] "];

/// A value a real ticket carries and no other ticket shares: a ticket number, a host, an
/// address, an error code, a date.
fn token(rng: &mut Rng) -> String {
    match rng.below(6) {
        0 => format!("INC{:07}", rng.below(10_000_000)),
        1 => format!(
            "{}-{}{:02}",
            rng.pick(&["srv", "pc", "lt", "fw", "nas", "dc"]),
            rng.pick(&["ber", "muc", "ldn", "nyc", "zrh", "vie"]),
            rng.below(100)
        ),
        2 => format!(
            "10.{}.{}.{}",
            rng.below(256),
            rng.below(256),
            rng.below(256)
        ),
        3 => format!("0x{:08X}", rng.next() as u32),
        4 => format!(
            "{:02}.{:02}.20{:02}",
            1 + rng.below(28),
            1 + rng.below(12),
            24 + rng.below(3)
        ),
        _ => format!(
            "{}.{}@{}.example",
            rng.pick(&FIRST).to_lowercase(),
            rng.pick(&LAST).to_lowercase(),
            rng.pick(&["client", "corp", "office"])
        ),
    }
}

/// The text with an occasional typo: two letters of a word swapped or one dropped.
fn typos(text: &str, rng: &mut Rng) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, w) in text.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let chars: Vec<char> = w.chars().collect();
        if chars.len() > 4 && chars.iter().all(|c| c.is_alphabetic()) && rng.chance(0.03) {
            let p = 1 + rng.below(chars.len() - 2);
            let mut c = chars.clone();
            if rng.chance(0.5) {
                c.swap(p, p + 1);
            } else {
                c.remove(p);
            }
            out.extend(c);
        } else {
            out.push_str(w);
        }
    }
    out
}

/// One ticket's subject and body.
fn ticket(corpus: &Corpus, src: &Source, rng: &mut Rng) -> (String, String) {
    let mut subject = String::new();
    if rng.chance(0.15) {
        subject.push_str(rng.pick::<&str>(&PREFIX));
    }
    subject.push_str(&typos(&src.subject, rng));
    if rng.chance(0.3) {
        subject.push_str(&format!(" - {}", token(rng)));
    }
    let pool = &corpus.pools[&src.pool];
    let mut parts: Vec<String> = Vec::new();
    if rng.chance(0.4) {
        parts.push(format!(
            "{} {},",
            rng.pick(&["Hi", "Hello", "Hallo", "Dear support", "Morning"]),
            rng.pick(&["team", "all", "IT", ""])
        ));
    }
    // the source's own sentences, some dropped, and a few more from its tier and topic
    for s in &src.sentences {
        if rng.chance(0.8) {
            parts.push(s.clone());
        }
    }
    let extra = if src.sentences.is_empty() && rng.chance(0.4) {
        0
    } else {
        rng.below(4)
    };
    for _ in 0..extra {
        if !pool.is_empty() {
            parts.push(rng.pick(pool).clone());
        }
    }
    if !parts.is_empty() && rng.chance(0.5) {
        let at = rng.below(parts.len() + 1);
        parts.insert(
            at,
            format!(
                "{} {}.",
                rng.pick(&["Reference", "Host", "see", "affected:", "Ref"]),
                token(rng)
            ),
        );
    }
    if !parts.is_empty() && rng.chance(0.35) {
        parts.push(format!(
            "{}\n{} {}\n{}",
            rng.pick(&["Thanks", "Regards", "Best", "Kind regards", "Gruss"]),
            rng.pick(&FIRST),
            rng.pick(&LAST),
            rng.pick(&COMPANY)
        ));
    }
    (subject, typos(&parts.join(" "), rng))
}

/// A CSV field, quoted when it must be.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Writes `n` tickets to `out` as an MSP's CSV export (id, created, company, contact, subject,
/// body, priority, tier); the same `seed` gives the same file.
pub fn write_export(root: &Path, n: usize, seed: u64, out: &Path) -> Result<(), String> {
    let corpus = read_corpus(root)?;
    let file = std::fs::File::create(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
    let mut rng = Rng(seed);
    let io = |e: std::io::Error| format!("{}: {e}", out.display());
    writeln!(w, "id,created,company,contact,subject,body,priority,tier").map_err(io)?;
    for i in 0..n {
        let src = &corpus.tickets[rng.below(corpus.tickets.len())];
        let (subject, body) = ticket(&corpus, src, &mut rng);
        let priority = match src.tier.as_str() {
            "L3" if rng.chance(0.6) => "P1",
            "L1" if rng.chance(0.7) => "P4",
            _ => rng.pick(&["P2", "P3"]),
        };
        writeln!(
            w,
            "T{:08},2026-{:02}-{:02} {:02}:{:02},{},{},{},{},{},{}",
            i + 1,
            1 + rng.below(12),
            1 + rng.below(28),
            rng.below(24),
            rng.below(60),
            csv_field(rng.pick::<&str>(&COMPANY)),
            csv_field(&format!("{} {}", rng.pick(&FIRST), rng.pick(&LAST))),
            csv_field(&subject),
            csv_field(&body),
            priority,
            src.tier
        )
        .map_err(io)?;
    }
    w.flush().map_err(io)
}

/// `cargo xtask export --tickets N --out FILE [--seed S]`.
pub fn export(root: &Path, args: &[String]) -> Result<(), String> {
    let mut n = None;
    let mut out = None;
    let mut seed = 13u64;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || it.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--tickets" => n = Some(value()?.parse::<usize>().map_err(|e| e.to_string())?),
            "--out" => out = Some(value()?.clone()),
            "--seed" => seed = value()?.parse::<u64>().map_err(|e| e.to_string())?,
            other => return Err(format!("export: unknown argument {other:?}")),
        }
    }
    let (n, out) = match (n, out) {
        (Some(n), Some(o)) => (n, o),
        _ => return Err("usage: cargo xtask export --tickets N --out FILE [--seed S]".into()),
    };
    write_export(root, n, seed, Path::new(&out))?;
    println!("wrote {n} tickets to {out}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_export_is_varied_reproducible_and_follows_the_tier_mix() {
        let root = crate::root();
        let dir = std::env::temp_dir().join(format!("tm-export-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (a, b) = (dir.join("a.csv"), dir.join("b.csv"));
        write_export(&root, 3000, 7, &a).unwrap();
        write_export(&root, 3000, 7, &b).unwrap();
        let text = std::fs::read_to_string(&a).unwrap();
        assert_eq!(text, std::fs::read_to_string(&b).unwrap());
        // every record ends with its tier; bodies may span lines, so count at the ends
        let tiers: Vec<&str> = text
            .lines()
            .filter_map(|l| l.rsplit(',').next())
            .filter(|t| matches!(*t, "L1" | "L2" | "L3"))
            .collect();
        assert_eq!(tiers.len(), 3000);
        // the corpus: L1 2,470, L2 2,122, L3 1,108 of 5,700
        for (tier, share) in [("L1", 0.433), ("L2", 0.372), ("L3", 0.194)] {
            let got = tiers.iter().filter(|t| **t == tier).count() as f64 / 3000.0;
            assert!((got - share).abs() < 0.03, "{tier}: {got}");
        }
        // texts (subject, body, priority, tier: what follows id, date, company, contact)
        let mut texts: Vec<&str> = text
            .split("\nT0")
            .skip(1)
            .filter_map(|r| r.splitn(5, ',').nth(4))
            .collect();
        assert_eq!(texts.len(), 3000);
        texts.sort_unstable();
        texts.dedup();
        assert!(texts.len() > 2940, "{} distinct texts of 3000", texts.len());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
