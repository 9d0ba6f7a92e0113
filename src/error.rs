//! The one error type of tiermatch. Every variant names its cause in named fields; the WASM boundary
//! turns it into a `JsError` carrying the same message.

/// Everything that can go wrong in tiermatch.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The bytes do not start with the model file's magic.
    #[error("not a tiermatch model file: it starts with {found:?}, expected {expected:?}")]
    BadMagic {
        /// The first bytes found, printable.
        found: String,
        /// The magic a model file starts with.
        expected: String,
    },
    /// A model file from a newer or older format.
    #[error(
        "model file format version {found} is not supported by this build (it reads version {supported}): train the model again with this build, or load it with the build that wrote it"
    )]
    UnsupportedVersion {
        /// Version in the file.
        found: u16,
        /// Version this build reads.
        supported: u16,
    },
    /// The file ends before its declared length.
    #[error(
        "model file is truncated: the envelope declares {expected} bytes, {actual} are present"
    )]
    Truncated {
        /// Bytes the envelope declares.
        expected: usize,
        /// Bytes present.
        actual: usize,
    },
    /// The payload does not match its checksum.
    #[error(
        "model file checksum mismatch (stored {stored:08x}, computed {computed:08x}): the file was altered or damaged"
    )]
    ChecksumMismatch {
        /// Checksum stored in the file.
        stored: u32,
        /// Checksum of the bytes read.
        computed: u32,
    },
    /// The payload passed its checksum but does not decode into a consistent model.
    #[error("model file is damaged or inconsistent: {reason}")]
    CorruptModel {
        /// What is wrong.
        reason: String,
    },
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A CSV or JSON-lines input lacks a needed column.
    #[error("{path}: missing column {column:?} (columns present: {present})")]
    MissingColumn {
        /// The input file.
        path: String,
        /// The column that is needed.
        column: String,
        /// The columns the file has.
        present: String,
    },
    /// A row of a CSV or JSON-lines input cannot be read.
    #[error("{path}:{line}: {reason}")]
    MalformedRow {
        /// The input file.
        path: String,
        /// 1-based line number of the row.
        line: u64,
        /// What is wrong with it.
        reason: String,
    },
    /// An SOP file that cannot be used.
    #[error("{path}: {reason}")]
    InvalidSop {
        /// The SOP file.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Training cannot proceed with this data or these settings.
    #[error("cannot train: {reason}")]
    Training {
        /// Why.
        reason: String,
    },
    /// An argument or input that makes no sense.
    #[error("invalid input: {reason}")]
    InvalidInput {
        /// Why.
        reason: String,
    },
}

/// Result with tiermatch's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// An I/O error on a named file or stream.
    pub fn io(path: impl std::fmt::Display, source: std::io::Error) -> Self {
        Error::Io {
            path: path.to_string(),
            source,
        }
    }
}
