//! Field parsing and checksums, on a footer qemu-img 7.2 wrote and on
//! hand-made structures.
use super::{footer, put32, seal};
use crate::vhd::codec::{checksum, code_string, utf16be_name, uuid_string};
use crate::vhd::{DiskType, DynamicHeader, Footer, Geometry, SizeSource, VHD_EPOCH_UNIX};

/// The first 85 bytes of the footer of `qemu-img create -f vpc -o
/// subformat=fixed,force_size=on x.vhd 10M`; the rest are zeros.
const QEMU_FOOTER_HEAD: &str = "636f6e656374697800000002000100\
    00ffffffffffffffff3299ed4e71656d3200050003576932\
    6b0000000000a000000000000000a00000ffff10ff000000\
    02ffffe3ba42802d746afc4c36b658acfca15b873a00";

fn qemu_footer() -> [u8; 512] {
    let hex: String = QEMU_FOOTER_HEAD.split_whitespace().collect();
    let mut f = [0u8; 512];
    for (i, pair) in hex.as_bytes().chunks(2).enumerate() {
        f[i] = u8::from_str_radix(std::str::from_utf8(pair).unwrap(), 16).unwrap();
    }
    f
}

#[test]
fn checksum_matches_what_qemu_stored() {
    let f = qemu_footer();
    assert_eq!(checksum(&f, 64), 0xffff_e3ba);
    // The stored field does not count: same sum whatever it holds.
    let mut g = f;
    put32(&mut g, 64, 0x1234_5678);
    assert_eq!(checksum(&g, 64), 0xffff_e3ba);
    // Any other byte does.
    g[100] = 1;
    assert_eq!(checksum(&g, 64), 0xffff_e3b9);
}

#[test]
fn qemu_footer_fields() {
    let f = Footer::parse(&qemu_footer()).unwrap();
    assert_eq!(f.disk_type, DiskType::Fixed);
    assert_eq!(f.features, 2);
    assert_eq!(f.format_version, 0x0001_0000);
    assert_eq!(f.data_offset, u64::MAX);
    assert_eq!(
        VHD_EPOCH_UNIX + u64::from(f.timestamp),
        946_684_800 + 0x3299_ed4e
    );
    assert_eq!(&f.creator_app, b"qem2");
    assert_eq!(f.creator_version, (5, 3));
    assert_eq!(&f.creator_host_os, b"Wi2k");
    assert_eq!(f.original_size, 10 << 20);
    assert_eq!(f.current_size, 10 << 20);
    assert_eq!(f.geometry, Geometry::MAX);
    assert_eq!(f.checksum, 0xffff_e3ba);
    assert_eq!(
        uuid_string(&f.unique_id),
        "42802d74-6afc-4c36-b658-acfca15b873a"
    );
    assert!(!f.saved_state);
    assert_eq!(f.virtual_size(), (10 << 20, SizeSource::CurrentSize));
}

fn with_creator(app: [u8; 4], geometry: (u16, u8, u8), current: u64) -> Footer {
    let mut f = footer(3, current, 512);
    f[28..32].copy_from_slice(&app);
    f[56..58].copy_from_slice(&geometry.0.to_be_bytes());
    f[58] = geometry.1;
    f[59] = geometry.2;
    seal(&mut f, 64);
    Footer::parse(&f).unwrap()
}

#[test]
fn virtual_size_follows_geometry_only_for_vpc_and_old_qemu() {
    let chs = (302, 4, 17); // what qemu-img picks for 10 MiB: 20536 sectors
    let current = 10 << 20;
    for app in [*b"vpc ", *b"qemu"] {
        let f = with_creator(app, chs, current);
        assert_eq!(f.virtual_size(), (20536 * 512, SizeSource::Geometry));
        let max = with_creator(app, (65535, 16, 255), current);
        assert_eq!(max.virtual_size(), (current, SizeSource::CurrentSize));
    }
    for app in [
        *b"win ", *b"qem2", *b"wa\0\0", *b"d2v ", *b"tap\0", *b"CTXS",
    ] {
        let f = with_creator(app, chs, current);
        assert_eq!(
            f.virtual_size(),
            (current, SizeSource::CurrentSize),
            "{app:?}"
        );
    }
}

#[test]
fn footer_field_errors_name_the_field() {
    type Edit = fn(&mut [u8; 512]);
    let good = footer(2, 4096, u64::MAX);
    let cases: [(Edit, &str); 8] = [
        (|f| f[0] = b'C', "footer.cookie"),
        (|f| f[200] ^= 1, "footer.checksum"),
        (|f| put32(f, 12, 0x0002_0000), "footer.file_format_version"),
        (|f| put32(f, 12, 0x0001_0001), "footer.file_format_version"),
        (|f| put32(f, 60, 0), "footer.disk_type"),
        (|f| put32(f, 60, 1), "footer.disk_type"),
        (|f| put32(f, 60, 5), "footer.disk_type"),
        (|f| f[55] = 1, "footer.current_size"),
    ];
    for (edit, field) in cases {
        let mut f = good;
        edit(&mut f);
        if field != "footer.checksum" {
            seal(&mut f, 64);
        }
        assert_eq!(Footer::parse(&f).unwrap_err().field, field);
    }
    assert!(Footer::parse(&good).is_ok());
}

fn header(block_size: u32) -> [u8; 1024] {
    let mut h = [0u8; 1024];
    h[..8].copy_from_slice(b"cxsparse");
    put32(&mut h, 24, 0x0001_0000);
    put32(&mut h, 28, 4);
    put32(&mut h, 32, block_size);
    seal(&mut h, 36);
    h
}

#[test]
fn dynamic_header_field_errors_name_the_field() {
    assert!(DynamicHeader::parse(&header(2 << 20)).is_ok());
    for bad in [0, 256, 3000, (2 << 20) + 512, u32::MAX] {
        let e = DynamicHeader::parse(&header(bad)).unwrap_err();
        assert_eq!(e.field, "dynamic_header.block_size", "{bad}");
    }
    let mut h = header(2 << 20);
    h[1] = b'X';
    seal(&mut h, 36);
    assert_eq!(
        DynamicHeader::parse(&h).unwrap_err().field,
        "dynamic_header.cookie"
    );
    let mut h = header(2 << 20);
    h[700] = 7;
    assert_eq!(
        DynamicHeader::parse(&h).unwrap_err().field,
        "dynamic_header.checksum"
    );
    let mut h = header(2 << 20);
    put32(&mut h, 24, 0x0002_0000);
    seal(&mut h, 36);
    let e = DynamicHeader::parse(&h).unwrap_err();
    assert_eq!(e.field, "dynamic_header.header_version");
}

#[test]
fn bitmap_covers_one_bit_per_sector_in_whole_sectors() {
    let size = |bs| DynamicHeader::parse(&header(bs)).unwrap().bitmap_size();
    assert_eq!(size(512), 512);
    assert_eq!(size(2 << 20), 512); // 4096 sectors -> 512 bytes
    assert_eq!(size(4 << 20), 1024);
    assert_eq!(size(1 << 31), 512 * 1024);
}

#[test]
fn parent_name_and_locators() {
    let mut h = header(2 << 20);
    let name: Vec<u8> = "C:\\vm\\base é.vhd"
        .encode_utf16()
        .flat_map(u16::to_be_bytes)
        .collect();
    h[64..64 + name.len()].copy_from_slice(&name);
    h[576..580].copy_from_slice(b"W2ku");
    put32(&mut h, 584, 20);
    h[600..604].copy_from_slice(b"W2ru");
    seal(&mut h, 36);
    let p = DynamicHeader::parse(&h).unwrap();
    assert_eq!(p.parent_name, "C:\\vm\\base é.vhd");
    assert_eq!(p.parent_locators.len(), 2);
    assert_eq!(&p.parent_locators[1].platform_code, b"W2ru");
    assert_eq!(p.parent_locators[0].data_length, 20);
}

#[test]
fn text_encodings() {
    assert_eq!(code_string(*b"vpc "), "vpc");
    assert_eq!(code_string(*b"tap\0"), "tap");
    assert_eq!(code_string(*b"wa\0\0"), "wa");
    assert_eq!(code_string(*b"\0\0\0\0"), "");
    assert_eq!(code_string([1, b'a', b'\n', 0]), "\\x01a\\x0a");
    assert_eq!(
        uuid_string(&[0xab; 16]),
        "abababab-abab-abab-abab-abababababab"
    );
    assert_eq!(
        utf16be_name(&[0, b'a', 0xd8, 0x00, 0, b'b', 0, 0, 0, b'c']),
        "a\u{fffd}b"
    );
}
