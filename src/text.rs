//! Normalization and tokenization of real ticket text.
//!
//! Tickets arrive as pasted email threads, web-form dumps, German with broken encodings, emoji and
//! the occasional 1 MB log paste. [`normalize`] turns all of that into lower-case ASCII-ish words
//! separated by single spaces, so that the feature extractor and the SOP index see the same thing:
//!
//! * the work is bounded: only the first [`MAX_TICKET_BYTES`] bytes of a ticket are read;
//! * UTF-8 read as Windows-1252 (`Ã¤` for `ä`, `â€™` for `’`) is repaired;
//! * forwarded-mail headers (`from:`, `sent:`, `to:`, `von:`, `gesendet:` …) are dropped, but the
//!   value of a quoted `subject:` / `betreff:` line is kept;
//! * `[cid:image001.png@…]` placeholders, URLs, e-mail addresses and long digit runs (ticket and
//!   phone numbers) become nothing, `url`, `email` and `0` respectively;
//! * German umlauts fold to their ASCII spelling (`ä` → `ae`, `ß` → `ss`) so `Drucker prüfen` and
//!   `drucker pruefen` meet; other Latin accents are stripped; everything else that is not a letter
//!   or digit (emoji, punctuation, box drawing) separates words;
//! * invisible format characters (soft hyphen, zero-width space and joiners, byte-order mark) are
//!   dropped, so `ransom\u{ad}ware` reads as `ransomware` and cannot hide a rubric cue.

/// At most this many bytes of a ticket (subject and body together) are looked at. Real tickets are
/// a few hundred bytes; this keeps a pasted log or a 1 MB blob to a bounded, sub-millisecond cost.
pub const MAX_TICKET_BYTES: usize = 16 * 1024;

/// Longest word kept; longer runs (base64, hashes, hex dumps) are cut to this many characters.
pub const MAX_WORD_CHARS: usize = 24;

/// The first `max` bytes of `s`, cut back to a character boundary.
pub fn clip(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Unicode's format characters (general category Cf, Unicode 16): invisible, they change how text
/// is shown but not what it says.
fn is_format_char(c: char) -> bool {
    // the first format character is U+00AD: everything below is ASCII or Latin-1 text
    c >= '\u{ad}'
        && matches!(
            c,
            '\u{ad}'
                | '\u{600}'..='\u{605}'
                | '\u{61c}'
                | '\u{6dd}'
                | '\u{70f}'
                | '\u{890}'..='\u{891}'
                | '\u{8e2}'
                | '\u{180e}'
                | '\u{200b}'..='\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{206f}'
                | '\u{feff}'
                | '\u{fff9}'..='\u{fffb}'
                | '\u{110bd}'
                | '\u{110cd}'
                | '\u{13430}'..='\u{1343f}'
                | '\u{1bca0}'..='\u{1bca3}'
                | '\u{1d173}'..='\u{1d17a}'
                | '\u{e0001}'
                | '\u{e0020}'..='\u{e007f}'
        )
}

/// `s` without its format characters (see [`is_format_char`]), borrowed when it has none.
fn without_format_chars(s: &str) -> std::borrow::Cow<'_, str> {
    if s.chars().any(is_format_char) {
        std::borrow::Cow::Owned(s.chars().filter(|&c| !is_format_char(c)).collect())
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// Windows-1252 byte for a character, where it has one (Latin-1 plus the 0x80–0x9F extras).
fn cp1252_byte(c: char) -> Option<u8> {
    let u = c as u32;
    if u < 0x80 || (0xA0..=0xFF).contains(&u) {
        return Some(u as u8);
    }
    let b = match c {
        '€' => 0x80,
        '‚' => 0x82,
        'ƒ' => 0x83,
        '„' => 0x84,
        '…' => 0x85,
        '†' => 0x86,
        '‡' => 0x87,
        'ˆ' => 0x88,
        '‰' => 0x89,
        'Š' => 0x8A,
        '‹' => 0x8B,
        'Œ' => 0x8C,
        'Ž' => 0x8E,
        '‘' => 0x91,
        '’' => 0x92,
        '“' => 0x93,
        '”' => 0x94,
        '•' => 0x95,
        '–' => 0x96,
        '—' => 0x97,
        '˜' => 0x98,
        '™' => 0x99,
        'š' => 0x9A,
        '›' => 0x9B,
        'œ' => 0x9C,
        'ž' => 0x9E,
        'Ÿ' => 0x9F,
        // Bytes 0x81, 0x8D, 0x8F, 0x90, 0x9D are undefined in Windows-1252; decoders often pass
        // them through as C1 controls.
        '\u{81}' | '\u{8D}' | '\u{8F}' | '\u{90}' | '\u{9D}' => u as u8,
        _ => return None,
    };
    Some(b)
}

/// Repairs UTF-8 that was decoded as Windows-1252 or Latin-1 somewhere on its way (`Ã¤` → `ä`,
/// `â€¦` → `…`). Only sequences that decode to valid UTF-8 are replaced, so correct text, and text
/// that merely contains an `Ã`, is left alone.
pub fn fix_mojibake(s: &str) -> std::borrow::Cow<'_, str> {
    if !s
        .chars()
        .any(|c| matches!(c, 'Ã' | 'Â' | 'â' | 'Å' | 'Ä' | 'Ð' | 'Ñ'))
    {
        return std::borrow::Cow::Borrowed(s);
    }
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if let Some(lead) = cp1252_byte(c) {
            let need = match lead {
                0xC2..=0xDF => 1,
                0xE0..=0xEF => 2,
                0xF0..=0xF4 => 3,
                _ => 0,
            };
            if need > 0 && i + need < chars.len() {
                let mut bytes = [lead, 0, 0, 0];
                let mut ok = true;
                for (slot, c) in bytes[1..=need].iter_mut().zip(&chars[i + 1..=i + need]) {
                    match cp1252_byte(*c) {
                        Some(b) if (0x80..=0xBF).contains(&b) => *slot = b,
                        _ => {
                            ok = false;
                            break;
                        }
                    }
                }
                if let Some(decoded) = ok
                    .then(|| std::str::from_utf8(&bytes[..=need]).ok())
                    .flatten()
                {
                    out.push_str(decoded);
                    i += need + 1;
                    continue;
                }
            }
        }
        out.push(c);
        i += 1;
    }
    std::borrow::Cow::Owned(out)
}

/// Mail header names whose lines carry no ticket content (English, German, French, Spanish).
const HEADER_NAMES: &[&str] = &[
    "from",
    "sent",
    "to",
    "cc",
    "bcc",
    "date",
    "von",
    "gesendet",
    "an",
    "datum",
    "de",
    "envoyé",
    "envoye",
    "à",
    "para",
    "enviado",
    "reply-to",
    "importance",
    "wichtigkeit",
];
/// Header names whose value is kept (a forwarded subject is the ticket's real title).
const SUBJECT_NAMES: &[&str] = &["subject", "betreff", "objet", "asunto"];

/// Whether a line is a forwarded-mail header whose text should be dropped. Returns the part of the
/// line to keep: `None` to keep the whole line, `Some("")` to drop it, `Some(v)` for a subject value.
fn header_line(line: &str) -> Option<&str> {
    let t = line.trim_start_matches(|c: char| c == '>' || c.is_whitespace());
    let colon = t.find(':')?;
    if colon == 0 || colon > 14 {
        return None;
    }
    let name = t[..colon].trim();
    let value = &t[colon + 1..];
    if SUBJECT_NAMES.contains(&name) {
        return Some(value);
    }
    if HEADER_NAMES.contains(&name) {
        return Some("");
    }
    None
}

/// Folds one lower-case character to the ASCII spelling used by the features, appending to `out`.
/// Returns false for characters that separate words.
fn fold_char(c: char, out: &mut String) -> bool {
    if c.is_ascii_alphanumeric() {
        out.push(c);
        return true;
    }
    if c.is_ascii() {
        return false;
    }
    let s = match c {
        'ä' | 'æ' => "ae",
        'ö' | 'ø' | 'œ' => "oe",
        'ü' => "ue",
        'ß' => "ss",
        'à' | 'á' | 'â' | 'ã' | 'å' | 'ā' | 'ą' => "a",
        'ç' | 'ć' | 'č' => "c",
        'è' | 'é' | 'ê' | 'ë' | 'ę' | 'ě' => "e",
        'ì' | 'í' | 'î' | 'ï' => "i",
        'ñ' | 'ń' | 'ň' => "n",
        'ò' | 'ó' | 'ô' | 'õ' => "o",
        'ù' | 'ú' | 'û' | 'ů' => "u",
        'ý' | 'ÿ' => "y",
        'ł' => "l",
        'ś' | 'š' => "s",
        'ź' | 'ż' | 'ž' => "z",
        'ř' => "r",
        'đ' | 'ð' => "d",
        _ if c.is_alphanumeric() => {
            out.push(c);
            return true;
        }
        _ => return false,
    };
    out.push_str(s);
    true
}

/// Normalizes ticket text into space-separated lower-case words (see the module documentation).
///
/// ```
/// assert_eq!(
///     tiermatch::normalize("FW: Drucker im BÃ¼ro druckt nicht!! [cid:image001.png@01D2]"),
///     "fw drucker im buero druckt nicht"
/// );
/// ```
pub fn normalize(raw: &str) -> String {
    let raw = clip(raw, MAX_TICKET_BYTES);
    // most tickets are plain ASCII: no mojibake to repair and no Unicode case tables to consult
    let fixed = if raw.is_ascii() {
        raw.to_ascii_lowercase()
    } else {
        without_format_chars(&fix_mojibake(raw)).to_lowercase()
    };
    let mut out = String::with_capacity(fixed.len() + 1);
    let mut word = String::with_capacity(32);
    for line in fixed.lines() {
        let content = match header_line(line) {
            Some(v) => v,
            None => line,
        };
        normalize_line(content, &mut out, &mut word);
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

/// Appends the words of one line to `out`, each followed by one space (`word` is scratch).
fn normalize_line(line: &str, out: &mut String, word: &mut String) {
    // most lines are ASCII: their words are cut byte by byte, without the scratch word
    let ascii = line.is_ascii();
    for chunk in line.split_whitespace() {
        match chunk_words(chunk) {
            Err(placeholder) => out.push_str(placeholder),
            Ok(c) if ascii => push_ascii_words(c, out),
            Ok(c) => push_words(c, out, word),
        }
    }
}

/// Punctuation trimmed from both ends of a whitespace-separated chunk.
fn is_edge_punctuation(c: char) -> bool {
    matches!(
        c,
        '<' | '>'
            | '('
            | ')'
            | '['
            | ']'
            | '{'
            | '}'
            | '"'
            | '\''
            | '.'
            | ','
            | ';'
            | ':'
            | '!'
            | '?'
    )
}

/// What a whitespace-separated chunk of a line becomes: `Ok` with the trimmed chunk whose words
/// are to be written, or `Err` with the placeholder written instead (`url `, `email `, or nothing
/// for a `cid:` image reference or bare punctuation).
fn chunk_words(chunk: &str) -> Result<&str, &'static str> {
    let c = chunk.trim_matches(is_edge_punctuation);
    if c.is_empty() || c.starts_with("cid:") || chunk.starts_with("[cid:") {
        return Err("");
    }
    if c.starts_with("http://") || c.starts_with("https://") || c.starts_with("www.") {
        return Err("url ");
    }
    if c.contains('@') && c.contains('.') && !c.starts_with('@') {
        return Err("email ");
    }
    Ok(c)
}

/// [`push_words`] for an ASCII chunk: the same words (runs of ASCII letters and digits), cut by
/// bytes and written straight into `out` without the scratch word.
fn push_ascii_words(chunk: &str, out: &mut String) {
    let bytes = chunk.as_bytes();
    let mut k = 0;
    while k < bytes.len() {
        if !bytes[k].is_ascii_alphanumeric() {
            k += 1;
            continue;
        }
        let start = k;
        while k < bytes.len() && bytes[k].is_ascii_alphanumeric() {
            k += 1;
        }
        push_word(&chunk[start..k], out);
    }
}

/// Writes one word and its space: a run of five or more digits (a ticket or phone number) as `0`,
/// anything longer than [`MAX_WORD_CHARS`] characters cut to that many.
fn push_word(word: &str, out: &mut String) {
    if word.len() >= 5 && word.bytes().all(|b| b.is_ascii_digit()) {
        out.push_str("0 ");
    } else if word.len() <= MAX_WORD_CHARS {
        out.push_str(word);
        out.push(' ');
    } else {
        out.extend(word.chars().take(MAX_WORD_CHARS));
        out.push(' ');
    }
}

/// Splits a lower-case chunk into words at non-alphanumeric characters, folding and bounding them
/// (`word` is scratch, empty on entry and on return).
fn push_words(chunk: &str, out: &mut String, word: &mut String) {
    let flush = |word: &mut String, out: &mut String| {
        if !word.is_empty() {
            push_word(word, out);
            word.clear();
        }
    };
    for ch in chunk.chars() {
        if !fold_char(ch, word) {
            flush(word, out);
        }
    }
    flush(word, out);
}

/// The words of a normalized text (as [`normalize`] writes them: separated by single spaces), in
/// order. A byte scan: words are a few letters long, and a general string split spends more time
/// setting up each search than finding the space.
#[inline]
pub fn words(norm: &str) -> impl Iterator<Item = &str> {
    let bytes = norm.as_bytes();
    let mut at = 0;
    std::iter::from_fn(move || {
        while at < bytes.len() && bytes[at] == b' ' {
            at += 1;
        }
        if at == bytes.len() {
            return None;
        }
        let start = at;
        while at < bytes.len() && bytes[at] != b' ' {
            at += 1;
        }
        // both ends are at an ASCII space or at an end of the text: character boundaries
        Some(&norm[start..at])
    })
}

/// A light English/German suffix stripper used by the SOP index, so that `printing`, `printer` and
/// `printers` meet at `print`. It is deliberately conservative: words under five letters are kept.
pub fn stem(word: &str) -> &str {
    const SUFFIXES: &[&str] = &[
        "ations", "ation", "ings", "ing", "ers", "er", "ies", "ed", "es", "s", "en", "e",
    ];
    if word.len() < 5 || !word.is_ascii() {
        return word;
    }
    for suf in SUFFIXES {
        if word.len() >= suf.len() + 4 && word.ends_with(suf) {
            return &word[..word.len() - suf.len()];
        }
    }
    word
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An ASCII line through `normalize_line` (which cuts its words byte by byte) and through the
    /// general per-character word cutter.
    fn both_ways(line: &str) -> (String, String) {
        assert!(line.is_ascii());
        let (mut fast, mut general, mut word) = (String::new(), String::new(), String::new());
        normalize_line(line, &mut fast, &mut word);
        for chunk in line.split_whitespace() {
            match chunk_words(chunk) {
                Err(placeholder) => general.push_str(placeholder),
                Ok(c) => push_words(c, &mut general, &mut word),
            }
        }
        (fast, general)
    }

    #[test]
    fn ascii_words_are_cut_as_the_general_path_cuts_them() {
        let lines = [
            "Printer on 2nd floor: \"PAPER JAM\" (again!!) -- see [cid:image001.png@01D2] ok?",
            "see https://portal.example.com/x?y=1 or www.example.com, mail it-desk@example.com.",
            "@handle a@b no.dot mail@host. (mail@host.com) <x@y.z>",
            "ticket 1234 / 12345 / 123456789 / ab12345 / 2024-06-01 / v1.2.3",
            "averyveryveryveryverylongwordwithmorethantwentyfourletters and_a_snake_case_id",
            "tabs\tand\x0bvertical\x0cfeeds\r and  double  spaces , ; : ! ? . ) ( ] [ } { > <",
            "cid:abc [cid:def] x[cid:ghi] ((cid:jkl)) \"'quoted'\" it's can't won't",
            "...",
            "",
            "   ",
            "a",
            "!!!a!!!",
            "#hashtag $100 50% C++ C# foo/bar\\baz ~tilde `tick`",
        ];
        for line in lines {
            let (fast, general) = both_ways(line);
            assert_eq!(fast, general, "{line:?}");
        }
        // every ASCII character, around and between words
        for b in 0u8..=0x7F {
            let c = b as char;
            for line in [
                format!("{c}ab{c}cd{c}"),
                format!("x{c}{c}y"),
                format!("{c}"),
            ] {
                let (fast, general) = both_ways(&line);
                assert_eq!(fast, general, "{line:?}");
            }
        }
        // random lines over the characters the rules care about (a fixed-seed generator)
        let alphabet = b"ab1 0.@:/[]()<>!?'\"-_\t\x0bhtpsw9cid";
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..20_000 {
            let mut line = String::new();
            for _ in 0..(state >> 59) + 1 {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1);
                line.push(alphabet[(state >> 33) as usize % alphabet.len()] as char);
                if (state >> 20).is_multiple_of(7) {
                    line.push_str(
                        ["http://", "www.", "cid:", "[cid:", "123456", "x@y.z"]
                            [(state >> 40) as usize % 6],
                    );
                }
            }
            let (fast, general) = both_ways(&line);
            assert_eq!(fast, general, "{line:?}");
        }
    }

    #[test]
    fn invisible_format_characters_do_not_split_words() {
        for hidden in [
            "\u{ad}", "\u{200b}", "\u{200c}", "\u{200d}", "\u{2060}", "\u{feff}",
        ] {
            let t = format!("Our files show a ransom{hidden}ware note, all files are encrypted");
            let n = normalize(&t);
            assert!(n.contains(" ransomware note "), "{hidden:?}: {n}");
        }
        // the soft hyphen as mojibake (UTF-8 C2 AD read as Windows-1252) is repaired, then dropped
        assert_eq!(normalize("ransom\u{c2}\u{ad}ware"), "ransomware");
        // visible characters around them are untouched
        assert_eq!(
            normalize("Grüße\u{200b} aus\u{feff} São Paulo"),
            "gruesse aus sao paulo"
        );
    }

    #[test]
    fn repairs_mojibake_umlauts_and_punctuation() {
        assert_eq!(
            fix_mojibake("anschlieÃŸen benÃ¶tigen"),
            "anschließen benötigen"
        );
        assert_eq!(fix_mojibake("most of the day â€¦"), "most of the day …");
        assert_eq!(fix_mojibake("GrÃ¼ÃŸe"), "Grüße");
        // Correct text and a lone capital A-tilde stay as they are.
        assert_eq!(fix_mojibake("Grüße aus São Paulo"), "Grüße aus São Paulo");
        assert_eq!(fix_mojibake("Ã la carte"), "Ã la carte");
    }

    #[test]
    fn drops_mail_headers_but_keeps_forwarded_subject() {
        let t = "From: Jane Roe\nSent: Monday, 3 May 2024 09:12\nTo: helpdesk\nSubject: RE: VPN drops\n\nhi, vpn drops again";
        assert_eq!(normalize(t), "re vpn drops hi vpn drops again");
        let de = "Von: Max\nGesendet: Montag\nBetreff: Passwort abgelaufen";
        assert_eq!(normalize(de), "passwort abgelaufen");
    }

    #[test]
    fn folds_german_and_strips_noise() {
        assert_eq!(
            normalize("Größe der Datei prüfen 😀 see https://x.example/a?b=1 or mail a.b@corp.com"),
            "groesse der datei pruefen see url or mail email"
        );
        assert_eq!(
            normalize("ticket INC0012345 ext 4411"),
            "ticket inc0012345 ext 4411"
        );
        assert_eq!(normalize("call 0123456789"), "call 0");
        assert_eq!(
            normalize("srv-fs01\\finance$ 0x80070005"),
            "srv fs01 finance 0x80070005"
        );
    }

    #[test]
    fn empty_junk_and_huge_inputs_are_bounded() {
        assert_eq!(normalize(""), "");
        assert_eq!(normalize("\u{0}\u{1}\u{fffd}\u{7f} !!! ###"), "");
        let huge = "printer ".repeat(200_000);
        let n = normalize(&huge);
        assert!(n.len() <= MAX_TICKET_BYTES);
        let long_word = "a".repeat(500);
        assert_eq!(normalize(&long_word).len(), MAX_WORD_CHARS);
        // A multi-byte character on the clip boundary does not panic.
        let s = "ä".repeat(MAX_TICKET_BYTES);
        assert!(normalize(&s).starts_with("aeae"));
    }

    #[test]
    fn stems_word_forms_together() {
        assert_eq!(stem("printing"), "print");
        assert_eq!(stem("printer"), "print");
        assert_eq!(stem("printers"), "print");
        assert_eq!(stem("print"), "print");
        assert_eq!(stem("vpn"), "vpn");
    }
}
