//! Finds a VHD in a file and checks that its structures fit together and
//! fit the file.  Reads only the footer, its copy, the dynamic header and
//! the BAT, never the data.
use std::path::Path;

use super::bat::Reserved;
use super::codec::round_up_sector;
use super::footer::has_cookie;
use super::{
    Bat, Corrupt, DiskType, DynamicHeader, Footer, ReadAt, SizeSource, DYNAMIC_HEADER_SIZE, SECTOR,
};
use crate::{Error, Result};

/// A VHD whose metadata has been checked against itself and its file.
#[derive(Debug, Clone)]
pub struct Vhd {
    pub footer: Footer,
    pub file_size: u64,
    pub virtual_size: u64,
    pub size_source: SizeSource,
    /// Dynamic and differencing disks only.
    pub header: Option<DynamicHeader>,
    pub bat: Option<Bat>,
    /// Oddities that do not stop the disk being read.
    pub warnings: Vec<String>,
}

/// Ok(None) when `src` is not a VHD: neither its last 512 bytes nor its
/// first 512 (a dynamic disk's footer copy) start with "conectix".  A file
/// with the cookie but anything wrong behind it is a corrupt VHD, never
/// raw: Error::InvalidImage names the field.  Note a fixed disk that lost
/// its footer (truncated, appended to) cannot be told from a raw disk.
pub fn probe<S: ReadAt + ?Sized>(src: &S, path: &Path) -> Result<Option<Vhd>> {
    let file_size = src.size().map_err(|e| Error::io("stat", path, e))?;
    let read = |buf: &mut [u8], at: u64| {
        src.read_exact_at(buf, at)
            .map_err(|e| Error::io("read", path, e))
    };
    let mut tail = [0u8; 512];
    let tail_found = file_size >= SECTOR && {
        read(&mut tail, file_size - SECTOR)?;
        has_cookie(&tail)
    };
    let mut head = [0u8; 512];
    let head_len = file_size.min(SECTOR) as usize;
    read(&mut head[..head_len], 0)?;
    let head_found = has_cookie(&head[..head_len]);
    if !tail_found && !head_found {
        return Ok(None);
    }
    if !tail_found && file_size < SECTOR {
        let reason = format!(
            "file starts with \"conectix\" but is {file_size} bytes, too short for a footer"
        );
        return Err(Corrupt::new("footer", reason).at(path));
    }
    let footer = Footer::parse(if tail_found { &tail } else { &head }).map_err(|c| c.at(path))?;
    let (virtual_size, size_source) = footer.virtual_size();
    let mut vhd = Vhd {
        footer,
        file_size,
        virtual_size,
        size_source,
        header: None,
        bat: None,
        warnings: Vec::new(),
    };
    match vhd.footer.disk_type {
        DiskType::Fixed => check_fixed(&vhd, tail_found).map_err(|c| c.at(path))?,
        DiskType::Dynamic | DiskType::Differencing => load_dynamic(src, &mut vhd, path)?,
    }
    if !tail_found {
        let reason = "the last 512 bytes are not a footer (file truncated or overwritten); \
                      only the copy at offset 0 is intact";
        return Err(Corrupt::new("footer.cookie", reason).at(path));
    }
    note_oddities(&mut vhd, head_found.then_some(&head));
    Ok(Some(vhd))
}

fn check_fixed(vhd: &Vhd, tail_found: bool) -> Result<(), Corrupt> {
    let current = vhd.footer.current_size;
    if !tail_found {
        let reason = "a fixed disk's footer is at the end of the file, but only offset 0 has one";
        return Err(Corrupt::new("footer.cookie", reason));
    }
    if current.checked_add(SECTOR) != Some(vhd.file_size) {
        let reason = format!(
            "a fixed disk of {current} bytes needs a file of {current} + 512 bytes, file is {}",
            vhd.file_size
        );
        return Err(Corrupt::new("footer.current_size", reason));
    }
    if vhd.virtual_size > current {
        let reason = format!(
            "geometry {} addresses {} bytes, more than the {current} bytes stored",
            vhd.footer.geometry, vhd.virtual_size
        );
        return Err(Corrupt::new("footer.disk_geometry", reason));
    }
    Ok(())
}

fn load_dynamic<S: ReadAt + ?Sized>(src: &S, vhd: &mut Vhd, path: &Path) -> Result<()> {
    let data_end = vhd.file_size - SECTOR;
    let header_at = vhd.footer.data_offset;
    let header_end = header_at.checked_add(DYNAMIC_HEADER_SIZE);
    if header_at < SECTOR || header_end.is_none_or(|end| end > data_end) {
        let reason = format!(
            "{header_at:#x}: the 1024-byte dynamic header must lie inside bytes 512..{data_end}"
        );
        return Err(Corrupt::new("footer.data_offset", reason).at(path));
    }
    let mut buf = [0u8; 1024];
    src.read_exact_at(&mut buf, header_at)
        .map_err(|e| Error::io("read", path, e))?;
    let header = DynamicHeader::parse(&buf).map_err(|c| c.at(path))?;
    let header_range = header_at..header_at + DYNAMIC_HEADER_SIZE;
    let table = table_range(&header, &header_range, data_end).map_err(|c| c.at(path))?;
    check_capacity(&header, vhd.virtual_size).map_err(|c| c.at(path))?;

    let mut table_bytes = vec![0u8; (table.end - table.start) as usize];
    src.read_exact_at(&mut table_bytes, table.start)
        .map_err(|e| Error::io("read", path, e))?;
    let bat = Bat::from_bytes(&table_bytes, header.block_size, header.bitmap_size());
    let table_padded = table.start..round_up_sector(table.end).unwrap_or(u64::MAX);
    let reserved: [Reserved; 3] = [
        (0..SECTOR, "footer copy"),
        (header_range, "dynamic header"),
        (table_padded, "block allocation table"),
    ];
    bat.validate(data_end, &reserved).map_err(|c| c.at(path))?;
    if vhd.footer.disk_type == DiskType::Differencing {
        check_locators(&header, data_end).map_err(|c| c.at(path))?;
    }
    vhd.header = Some(header);
    vhd.bat = Some(bat);
    Ok(())
}

/// The BAT's byte range: inside the data area, clear of the header.
fn table_range(
    header: &DynamicHeader,
    header_range: &std::ops::Range<u64>,
    data_end: u64,
) -> Result<std::ops::Range<u64>, Corrupt> {
    let start = header.table_offset;
    let len = u64::from(header.max_table_entries) * 4;
    let end = start.checked_add(len);
    let fits = start >= SECTOR && end.is_some_and(|e| e <= data_end);
    if !fits {
        let reason = format!(
            "{start:#x}: a table of {} entries must lie inside bytes 512..{data_end}",
            header.max_table_entries
        );
        return Err(Corrupt::new("dynamic_header.table_offset", reason));
    }
    let end = start + len;
    if start < header_range.end && header_range.start < end {
        let reason = format!("table at bytes {start}..{end} overlaps the dynamic header");
        return Err(Corrupt::new("dynamic_header.table_offset", reason));
    }
    Ok(start..end)
}

/// The table must have an entry for every block of the virtual disk.
fn check_capacity(header: &DynamicHeader, virtual_size: u64) -> Result<(), Corrupt> {
    let capacity = u64::from(header.max_table_entries) * u64::from(header.block_size);
    if capacity < virtual_size {
        let reason = format!(
            "{} entries of {} bytes cover {capacity} bytes, less than the virtual size {virtual_size}",
            header.max_table_entries, header.block_size
        );
        return Err(Corrupt::new("dynamic_header.max_table_entries", reason));
    }
    Ok(())
}

/// A locator's path must be inside the file, after the footer copy.
fn check_locators(header: &DynamicHeader, data_end: u64) -> Result<(), Corrupt> {
    for (i, loc) in header.parent_locators.iter().enumerate() {
        let end = loc.data_offset.checked_add(u64::from(loc.data_length));
        if loc.data_offset < SECTOR || end.is_none_or(|e| e > data_end) {
            let reason = format!(
                "locator {i}: {} bytes at {:#x} are not inside bytes 512..{data_end}",
                loc.data_length, loc.data_offset
            );
            return Err(Corrupt::new("dynamic_header.parent_locator", reason));
        }
    }
    Ok(())
}

fn note_oddities(vhd: &mut Vhd, head: Option<&[u8; 512]>) {
    let footer = &vhd.footer;
    let mut notes = Vec::new();
    if footer.disk_type != DiskType::Fixed {
        match head {
            None => notes.push("no footer copy at offset 0 (the spec requires one)".to_string()),
            Some(h) if Footer::parse(h).ok().as_ref() != Some(footer) => {
                notes.push("the footer copy at offset 0 differs from the footer".to_string());
            }
            Some(_) => {}
        }
    }
    if vhd.size_source == SizeSource::Geometry && vhd.virtual_size != footer.current_size {
        notes.push(format!(
            "virtual size {} follows geometry {} (creator {:?}), not current_size {}",
            vhd.virtual_size,
            footer.geometry,
            super::codec::code_string(footer.creator_app),
            footer.current_size
        ));
    }
    if footer.saved_state {
        notes.push("saved-state flag set: the disk belongs to a saved virtual machine".into());
    }
    if footer.disk_type == DiskType::Differencing
        && vhd
            .header
            .as_ref()
            .is_some_and(|h| h.parent_name.is_empty())
    {
        notes.push("differencing disk without a parent name".into());
    }
    vhd.warnings = notes;
}
