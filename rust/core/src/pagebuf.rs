//! Byte buffers that start on a page boundary, for the kernel to copy file
//! data into and out of (pread, pwrite).  A large Vec<u8> starts 16 bytes
//! past a page, and copies between the page cache and such a buffer ran a
//! fifth to a quarter slower on this project's machines (tmpfs, AMD EPYC):
//! every chunk the engine reads, writes or verifies goes through one.
use std::ops::{Deref, DerefMut};

const ALIGN: usize = 4096;

pub struct PageBuf {
    buf: Vec<u8>,
    start: usize,
    len: usize,
}

impl PageBuf {
    /// `len` zero bytes.
    pub fn new(len: usize) -> PageBuf {
        let buf = vec![0u8; len + ALIGN];
        let start = buf.as_ptr().align_offset(ALIGN);
        PageBuf { buf, start, len }
    }

    /// Makes the buffer `len` bytes long.  Bytes it held before may remain:
    /// callers fill what they use.
    pub fn set_len(&mut self, len: usize) {
        if self.start + len > self.buf.len() {
            *self = PageBuf::new(len);
        } else {
            self.len = len;
        }
    }
}

impl Default for PageBuf {
    /// Empty, allocating nothing (what a buffer handed on leaves behind).
    fn default() -> Self {
        PageBuf {
            buf: Vec::new(),
            start: 0,
            len: 0,
        }
    }
}

impl Deref for PageBuf {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.buf[self.start..self.start + self.len]
    }
}

impl DerefMut for PageBuf {
    fn deref_mut(&mut self) -> &mut [u8] {
        &mut self.buf[self.start..self.start + self.len]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_on_a_page_and_keeps_its_length() {
        let mut b = PageBuf::new(10_000);
        assert_eq!((b.as_ptr() as usize % ALIGN, b.len()), (0, 10_000));
        assert!(b.iter().all(|&x| x == 0));
        b[9_999] = 7;
        b.set_len(100);
        assert_eq!(b.len(), 100);
        b.set_len(1 << 20);
        assert_eq!((b.as_ptr() as usize % ALIGN, b.len()), (0, 1 << 20));
    }
}
