//! The reader against qemu-img on real files: for VHDs qemu-img made
//! from a patterned raw disk, our bytes equal `qemu-img convert -O raw`.
use std::path::{Path, PathBuf};
use std::process::Command;

use super::{pattern, MIB};
use crate::image::{inspect, ImageFormat};
use crate::vhd::{DiskType, VirtualReader};

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("imgrepl-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn qemu_img(args: &[&str]) {
    let out = Command::new("qemu-img")
        .args(args)
        .output()
        .expect("qemu-img is installed by scripts/test.sh");
    assert!(out.status.success(), "qemu-img {args:?}: {out:?}");
}

/// 5 MiB + 7 sectors: data, a whole zero 2 MiB block, a short zero run.
fn write_raw(path: &Path) -> Vec<u8> {
    let size = 5 * MIB + 7 * 512;
    let zero =
        |p: u64| (2 * MIB..4 * MIB).contains(&p) || (4 * MIB + 512..4 * MIB + 8192).contains(&p);
    let data: Vec<u8> = (0..size)
        .map(|p| if zero(p) { 0 } else { pattern(p) })
        .collect();
    std::fs::write(path, &data).unwrap();
    data
}

fn read_all(path: &Path) -> Vec<u8> {
    let r = VirtualReader::open(path).unwrap();
    let mut out = vec![0u8; r.size() as usize];
    let mut at = 0;
    for piece in out.chunks_mut(1_000_003) {
        at += r.read_at(at as u64, piece).unwrap();
    }
    assert_eq!(at as u64, r.size());
    out
}

#[test]
fn reader_matches_qemu_img_convert() {
    let tmp = TempDir::new("vhd-reader");
    let raw = tmp.0.join("src.raw");
    let data = write_raw(&raw);
    for sub in ["dynamic", "fixed"] {
        for force in ["on", "off"] {
            let vhd = tmp.0.join(format!("{sub}-{force}.vhd"));
            let back = tmp.0.join(format!("{sub}-{force}.raw"));
            let opts = format!("subformat={sub},force_size={force}");
            let (v, b) = (vhd.to_str().unwrap(), back.to_str().unwrap());
            qemu_img(&[
                "convert",
                "-f",
                "raw",
                "-O",
                "vpc",
                "-o",
                &opts,
                raw.to_str().unwrap(),
                v,
            ]);
            qemu_img(&["convert", "-f", "vpc", "-O", "raw", v, b]);
            let ours = read_all(&vhd);
            let theirs = std::fs::read(&back).unwrap();
            assert_eq!(ours.len(), theirs.len(), "{sub} force_size={force}");
            assert!(ours == theirs, "{sub} force_size={force}: bytes differ");
            assert_eq!(ours[..data.len()], data[..], "{sub} force_size={force}");

            let info = inspect(&vhd).unwrap();
            assert_eq!(info.format, ImageFormat::Vhd);
            let vhd_info = info.vhd.unwrap();
            assert_eq!(vhd_info.disk_type.as_str(), sub);
            assert_eq!(
                vhd_info.creator_app,
                if force == "on" { "qem2" } else { "qemu" }
            );
            if vhd_info.disk_type == DiskType::Dynamic {
                // blocks 0, 1 and 2 hold data; block 1 (2..4 MiB) is zeros
                assert_eq!(vhd_info.allocated_blocks, Some(2));
            }
        }
    }
}
