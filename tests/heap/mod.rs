//! What the heap's host tests share: a region over a buffer, and live
//! blocks filled with a tag and checked for it.

use std::alloc::Layout;
use std::cell::RefCell;
use std::rc::Rc;

use cross_tab_refresh::heap::{Heap, Region};

/// A buffer handed out in chunks, like `memory.grow`: `page`-sized ones
/// (8 bytes: any multiple of 8), with `spaced` each a page after the previous
/// one ends (as pages another allocator took would be), and none after
/// `grows_left` chunks. `granted` lists the spaces handed out, as
/// `start..end` (chunks that touch as one), shared so that a test keeps it once the heap owns the buffer.
pub struct Buffer {
    pub words: Vec<u64>,
    pub base: usize,
    pub used: usize,
    pub page: usize,
    pub spaced: bool,
    pub grows_left: usize,
    pub granted: Granted,
}

/// The chunks a [`Buffer`] handed out.
#[derive(Clone, Default)]
pub struct Granted(Rc<RefCell<Vec<(usize, usize)>>>);

impl Granted {
    /// Lists `start..end`, as part of the last chunk if it follows it
    /// (a block may span chunks that touch).
    fn grant(&self, start: usize, end: usize) {
        let mut chunks = self.0.borrow_mut();
        match chunks.last_mut() {
            Some(last) if last.1 == start => last.1 = end,
            _ => chunks.push((start, end)),
        }
    }

    /// Panics unless `block` lies within space handed out (not in a gap
    /// between two chunks, nor past the last).
    pub fn assert_holds(&self, block: &Live) {
        let (start, end) = (block.ptr as usize, block.ptr as usize + block.layout.size());
        assert!(
            self.0
                .borrow()
                .iter()
                .any(|&(from, to)| from <= start && end <= to),
            "a block outside the chunks the region handed out"
        );
    }
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
            granted: Granted::default(),
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
            self.granted.grant(at, at + bytes);
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
