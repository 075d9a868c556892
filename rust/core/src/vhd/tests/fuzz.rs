//! Deterministic mutation fuzzing: no input may panic or hang the parser
//! or the reader; an image that parses must read every stored block.
use std::path::Path;

use super::{run, Dyn, MIB};
use crate::vhd::VirtualReader;
use crate::Error;

/// xorshift64*: a fixed sequence, so a failure replays exactly.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Mutates metadata bytes (where the parser looks), sometimes re-sealing
/// checksums so the mutation reaches the checks behind them.
fn mutate(d: &Dyn, rng: &mut Rng) -> Vec<u8> {
    let mut m = Dyn {
        bytes: d.bytes.clone(),
        block_size: d.block_size,
        virtual_size: d.virtual_size,
        stored: d.stored.clone(),
    };
    let n = m.bytes.len();
    let metadata = [0..2048, n - 512..n];
    for _ in 0..=rng.below(4) {
        let region = metadata[rng.below(2)].clone();
        let at = region.start + rng.below(region.len());
        m.bytes[at] = match rng.below(3) {
            0 => rng.next() as u8,
            1 => m.bytes[at] ^ (1 << rng.below(8)),
            _ => [0, 0xFF][rng.below(2)],
        };
    }
    if rng.below(4) != 0 {
        m.reseal();
    }
    if rng.below(8) == 0 {
        m.bytes.truncate(rng.below(n));
    }
    m.bytes
}

#[test]
fn mutated_images_never_panic() {
    let base = Dyn::new(3 * MIB, 1 << 20, &[2, 0]);
    let mut rng = Rng(0x1234_5678_9abc_def1);
    let (mut ok, mut refused) = (0, 0);
    for _ in 0..20_000 {
        let bytes = mutate(&base, &mut rng);
        match run(&bytes) {
            Ok(Some(vhd)) => {
                ok += 1;
                assert!(vhd.stored_bytes().unwrap_or(0) <= vhd.virtual_size);
                read_stored_edges(bytes, &vhd);
            }
            Ok(None) => ok += 1,
            Err(Error::InvalidImage { .. }) => refused += 1,
            Err(e) => panic!("unexpected error {e}"),
        }
    }
    // Both outcomes must be exercised, or the fuzzing proves nothing.
    assert!(ok > 100 && refused > 100, "ok {ok}, refused {refused}");
}

/// The first and last byte of each stored block inside the disk read fine.
fn read_stored_edges(bytes: Vec<u8>, vhd: &crate::vhd::Vhd) {
    let Some(bat) = vhd.bat.clone() else { return };
    let Ok(reader) = VirtualReader::new(bytes, Path::new("fuzz.vhd")) else {
        return; // differencing
    };
    let bs = bat.block_size();
    let mut b = [0u8; 1];
    for i in (0..bat.len()).filter(|&i| bat.data_offset(i).is_some()) {
        let start = i as u64 * bs;
        for at in [start, start + bs - 1] {
            reader.read_at(at, &mut b).expect("stored block reads");
        }
    }
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng(42);
    for _ in 0..5_000 {
        let len = rng.below(4096);
        let mut bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        // Half the time, plant the cookies so parsing goes further.
        if len >= 512 && rng.below(2) == 0 {
            bytes[len - 512..len - 504].copy_from_slice(b"conectix");
            bytes[..8].copy_from_slice(b"conectix");
        }
        match run(&bytes) {
            Ok(_) | Err(Error::InvalidImage { .. }) => {}
            Err(e) => panic!("unexpected error {e}"),
        }
    }
}
