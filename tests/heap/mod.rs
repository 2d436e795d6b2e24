//! What the heap's host tests share: a region over a buffer, and live
//! blocks filled with a tag and checked for it.

use std::alloc::Layout;

use cross_tab_refresh::heap::{Heap, Region};

/// A buffer handed out in chunks, like `memory.grow`: `page`-sized ones
/// (8 bytes: any multiple of 8), with `spaced` each a page after the previous
/// one ends (as pages another allocator took would be), and none after
/// `grows_left` chunks.
pub struct Buffer {
    pub words: Vec<u64>,
    pub base: usize,
    pub used: usize,
    pub page: usize,
    pub spaced: bool,
    pub grows_left: usize,
}

impl Buffer {
    pub fn new(len: usize, page: usize, spaced: bool) -> Self {
        let mut words = vec![0u64; (len + page) / 8];
        let start = words.as_mut_ptr() as usize;
        Self {
            base: start.next_multiple_of(page),
            words,
            used: 0,
            page,
            spaced,
            grows_left: usize::MAX,
        }
    }

    pub fn end(&self) -> usize {
        self.words.as_ptr() as usize + self.words.len() * 8
    }
}

// SAFETY: each chunk is a new part of a buffer only the heap uses, 8-aligned.
unsafe impl Region for Buffer {
    fn grow(&mut self, bytes: usize) -> Option<(usize, usize)> {
        if self.grows_left == 0 {
            return None;
        }
        if self.spaced && self.used > 0 {
            self.used += self.page;
        }
        let bytes = bytes.next_multiple_of(self.page);
        (self.base + self.used + bytes <= self.end()).then(|| {
            let at = self.base + self.used;
            self.used += bytes;
            self.grows_left -= 1;
            (at, bytes)
        })
    }
}

pub struct Live {
    pub ptr: *mut u8,
    pub layout: Layout,
    pub tag: u8,
}

pub fn fill(block: &Live) {
    // SAFETY: the block is live and `layout.size()` bytes long.
    unsafe { std::ptr::write_bytes(block.ptr, block.tag, block.layout.size()) };
}

pub fn check(block: &Live) {
    // SAFETY: as in `fill`.
    let bytes = unsafe { std::slice::from_raw_parts(block.ptr, block.layout.size()) };
    assert!(
        bytes.iter().all(|&b| b == block.tag),
        "a block was overwritten"
    );
}

pub fn free_all(heap: &mut Heap<Buffer>, live: Vec<Live>) {
    for block in live {
        // SAFETY: allocated by this heap with this layout, freed once.
        unsafe { heap.dealloc(block.ptr, block.layout) };
    }
}
