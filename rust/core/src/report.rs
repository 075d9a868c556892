//! What a finished copy job reports.
use crate::hash::Digest;

#[derive(Clone, Debug, PartialEq)]
pub struct DestinationReport {
    /// The destination as given, resolved to an absolute address.
    pub location: String,
    pub ok: bool,
    /// Why this destination failed (operation, path and cause).
    pub error: Option<String>,
    /// Data bytes written by this run.
    pub bytes_written: u64,
    /// All-zero chunk bytes not written (left as holes).
    pub zero_bytes_skipped: u64,
    /// Data bytes an interrupted earlier run had already made durable.
    pub resumed_bytes: u64,
    /// Where the manifest is (or would have been, for a failure).
    pub manifest_path: String,
    /// Data bytes written from the source's chunks (what crossed to this
    /// destination's region when it is not the source's).
    pub bytes_from_source: u64,
    /// Data bytes taken from the destination's base replica (inside its
    /// region), each chunk checked against its digest first.
    pub bytes_from_base: u64,
    /// The base this destination was given, if any.
    pub base: Option<String>,
    /// Why the base served less than planned (unreadable, chunks that did
    /// not match): those chunks came from the source.
    pub base_note: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CopyReport {
    pub source: String,
    pub source_size: u64,
    /// Bytes actually read from the source (holes are not read).
    pub bytes_read: u64,
    /// Source bytes skipped because they lie in holes.
    pub holes_skipped: u64,
    /// Bytes in all-zero chunks, holes included.
    pub zero_bytes: u64,
    pub chunk_size: u64,
    /// Whole-image digest from the manifest; None if the read stopped early
    /// because every destination had failed.
    pub digest: Option<Digest>,
    /// False when the job ran with hashing off (digests are zero).
    pub hashed: bool,
    pub seconds: f64,
    pub destinations: Vec<DestinationReport>,
}

impl CopyReport {
    /// True when every destination was committed.
    pub fn ok(&self) -> bool {
        self.destinations.iter().all(|d| d.ok)
    }
}
