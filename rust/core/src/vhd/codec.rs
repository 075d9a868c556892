//! Big-endian field access and the small encodings VHD metadata uses.
//! Callers pass buffers of the structure's full size, so indexing is in
//! bounds by construction.

pub(crate) fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

pub(crate) fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

pub(crate) fn be64(b: &[u8], at: usize) -> u64 {
    (u64::from(be32(b, at)) << 32) | u64::from(be32(b, at + 4))
}

pub(crate) fn array<const N: usize>(b: &[u8], at: usize) -> [u8; N] {
    let mut out = [0u8; N];
    out.copy_from_slice(&b[at..at + N]);
    out
}

/// The spec's checksum: the one's complement of the sum of all bytes of
/// the structure, with the 4-byte checksum field at `field_at` taken as 0.
pub fn checksum(buf: &[u8], field_at: usize) -> u32 {
    let field = field_at..field_at + 4;
    let sum = buf
        .iter()
        .enumerate()
        .filter(|(i, _)| !field.contains(i))
        .fold(0u32, |acc, (_, &b)| acc.wrapping_add(u32::from(b)));
    !sum
}

/// RFC 4122 text of a 16-byte id, bytes in stored order (as qemu writes
/// them and libvhdi reads them back).
pub fn uuid_string(id: &[u8; 16]) -> String {
    let hex = crate::hash::to_hex(id);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// A four-character code (creator application, host OS) as text: trailing
/// NULs and spaces trimmed ("vpc " -> "vpc", "tap\0" -> "tap"), anything
/// not printable ASCII escaped as \xNN so a display never lies.
pub fn code_string(code: [u8; 4]) -> String {
    let end = code
        .iter()
        .rposition(|&b| b != 0 && b != b' ')
        .map_or(0, |i| i + 1);
    code[..end]
        .iter()
        .map(|&b| {
            if b.is_ascii_graphic() || b == b' ' {
                char::from(b).to_string()
            } else {
                format!("\\x{b:02x}")
            }
        })
        .collect()
}

/// A UTF-16 big-endian name up to its first NUL; invalid code units become
/// U+FFFD rather than failing, since the name is informational.
pub fn utf16be_name(b: &[u8]) -> String {
    let units: Vec<u16> = b
        .chunks_exact(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]))
        .take_while(|&u| u != 0)
        .collect();
    String::from_utf16_lossy(&units)
}

/// `n` rounded up to a multiple of 512, or None on overflow.
pub(crate) fn round_up_sector(n: u64) -> Option<u64> {
    n.checked_add(511).map(|v| v & !511)
}
