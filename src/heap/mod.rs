//! The memory allocator of the wasm build: blocks in power-of-two size
//! classes, each freed block kept on its class's list for the next
//! allocation of the same class. Under 1 KiB of code where Rust's default
//! (dlmalloc) takes 7 KiB; like it, memory is never given back to the
//! browser (wasm cannot shrink a memory), and what one class frees serves
//! that class again, so a steady workload stops growing.
//!
//! [`Heap`] is plain Rust over a [`Region`] that can grow, so that the host
//! checks it (`tests/core_heap.rs`, `tests/core_heap_cases.rs`); `WasmHeap`
//! (`wasm.rs`) puts it over `memory.grow` as the global allocator of the
//! wasm build (wasm32-unknown-unknown without threads) when the `small-heap`
//! feature is on: the npm package's build turns it on; a Rust application
//! chooses its own allocator. Layouts aligned to more than 64 KiB are
//! refused (dlmalloc served them).

use core::alloc::Layout;

/// The smallest block is 2^3 = 8 bytes: room for the free list's link.
const MIN_SHIFT: u32 = 3;
/// Blocks of 2^3 up to 2^31 bytes.
const CLASSES: usize = 29;
/// Blocks are aligned to their size, up to one wasm page.
pub const MAX_ALIGN: usize = 65536;

/// Space a heap can grow into.
///
/// # Safety
/// Each space [`Region::grow`] returns must be memory that nothing but the
/// heap reads or writes from then on, overlapping no space returned before;
/// its start must be 8-aligned and not 0.
pub unsafe trait Region {
    /// At least `bytes` more bytes: the address where the new space starts
    /// and its length, or `None` when there is no more.
    fn grow(&mut self, bytes: usize) -> Option<(usize, usize)>;
}

/// A heap of power-of-two blocks carved from a [`Region`].
pub struct Heap<R> {
    region: R,
    /// Per class, the address of the first free block (0: none); each free
    /// block holds the address of the next.
    free: [usize; CLASSES],
    /// The part of the region not carved yet: `next..end`.
    next: usize,
    end: usize,
}

/// The class of a layout, or `None` if no block can hold it.
fn class_of(layout: Layout) -> Option<usize> {
    if layout.align() > MAX_ALIGN {
        return None;
    }
    let size = layout
        .size()
        .max(layout.align())
        .max(1 << MIN_SHIFT)
        .checked_next_power_of_two()?;
    let class = (size.trailing_zeros() - MIN_SHIFT) as usize;
    (class < CLASSES).then_some(class)
}

const fn block_size(class: usize) -> usize {
    1 << (class as u32 + MIN_SHIFT)
}

impl<R: Region> Heap<R> {
    /// An empty heap over `region`.
    pub const fn new(region: R) -> Self {
        Self {
            region,
            free: [0; CLASSES],
            next: 0,
            end: 0,
        }
    }

    /// A block for `layout`, or null when the region cannot grow.
    ///
    /// # Safety
    /// The region's space must be memory this heap alone may write.
    pub unsafe fn alloc(&mut self, layout: Layout) -> *mut u8 {
        let Some(class) = class_of(layout) else {
            return core::ptr::null_mut();
        };
        let head = self.free[class];
        if head != 0 {
            // SAFETY: a free block of this heap holds the next one's address.
            self.free[class] = unsafe { *(head as *const usize) };
            return head as *mut u8;
        }
        // SAFETY: passed on from the caller.
        unsafe { self.carve(class).or_else(|| self.split_larger(class)) }
            .map_or(core::ptr::null_mut(), |at| at as *mut u8)
    }

    /// Gives back a block.
    ///
    /// # Safety
    /// `ptr` must come from [`Heap::alloc`] (or [`Heap::realloc`]) of this
    /// heap with the same `layout`, and not have been given back since.
    pub unsafe fn dealloc(&mut self, ptr: *mut u8, layout: Layout) {
        if let Some(class) = class_of(layout) {
            // SAFETY: the block is this heap's and nobody else uses it now.
            unsafe { self.push(ptr as usize, class) };
        }
    }

    /// The block resized to `new_size`: the same block while the class
    /// stays, otherwise a new one with the contents copied over.
    ///
    /// # Safety
    /// As for [`Heap::dealloc`].
    pub unsafe fn realloc(&mut self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let Ok(new_layout) = Layout::from_size_align(new_size, layout.align()) else {
            return core::ptr::null_mut();
        };
        if class_of(new_layout) == class_of(layout) {
            return ptr;
        }
        // SAFETY: passed on from the caller; the two blocks do not overlap.
        unsafe {
            let moved = self.alloc(new_layout);
            if moved.is_null() {
                // A shrink that finds no smaller block keeps the larger one
                // (freed later into the smaller class: sound, only wasteful).
                return if new_size <= layout.size() {
                    ptr
                } else {
                    moved
                };
            }
            core::ptr::copy_nonoverlapping(ptr, moved, layout.size().min(new_size));
            self.dealloc(ptr, layout);
            moved
        }
    }

    /// How far the heap has carved into its region (for the tests).
    pub fn carved_to(&self) -> usize {
        self.next
    }

    /// A new block of `class` from the uncarved space, growing the region
    /// when it is too small. The bytes skipped to align it are kept as
    /// smaller free blocks.
    unsafe fn carve(&mut self, class: usize) -> Option<usize> {
        let size = block_size(class);
        let align = size.min(MAX_ALIGN);
        loop {
            let start = self.next.checked_add(align - 1)? & !(align - 1);
            if let Some(stop) = start.checked_add(size)
                && stop <= self.end
            {
                // SAFETY: `next..start` is uncarved space of this heap.
                unsafe { self.keep_gap(self.next, start) };
                self.next = stop;
                return Some(start);
            }
            let (base, len) = self.region.grow(size.checked_add(align)?.max(MAX_ALIGN))?;
            if base != self.end {
                // Not contiguous: what is left of the old space becomes free blocks.
                // SAFETY: `next..end` is uncarved space of this heap.
                unsafe { self.keep_gap(self.next, self.end) };
                self.next = base;
            }
            // Whole 8-byte words only (a space ending at the top of the
            // address space loses its last word).
            self.end = base.saturating_add(len) & !7;
        }
    }

    /// When the region cannot grow: the first part of the smallest larger
    /// free block, the other halves onto the free lists of their classes.
    unsafe fn split_larger(&mut self, class: usize) -> Option<usize> {
        let larger = (class + 1..CLASSES).find(|&c| self.free[c] != 0)?;
        let block = self.free[larger];
        // SAFETY: a free block of this heap holds the next one's address;
        // its halves are free blocks of this heap, aligned to their size (or
        // to a page).
        unsafe {
            self.free[larger] = *(block as *const usize);
            for half in (class..larger).rev() {
                self.push(block + block_size(half), half);
            }
        }
        Some(block)
    }

    /// Splits `from..to` (8-aligned ends) into the largest aligned blocks
    /// that fit, each onto its class's free list.
    unsafe fn keep_gap(&mut self, mut from: usize, to: usize) {
        while from < to {
            let shift = from
                .trailing_zeros()
                .min((to - from).ilog2())
                .min(MIN_SHIFT + CLASSES as u32 - 1);
            let class = (shift - MIN_SHIFT) as usize;
            // SAFETY: passed on from the caller.
            unsafe { self.push(from, class) };
            from += block_size(class);
        }
    }

    unsafe fn push(&mut self, at: usize, class: usize) {
        // SAFETY: the block at `at` is this heap's, at least 8 bytes, 8-aligned.
        unsafe { *(at as *mut usize) = self.free[class] };
        self.free[class] = at;
    }
}

/// The heap over the module's memory, for wasm32-unknown-unknown without
/// threads (the only wasm build where this heap is sound as it stands).
#[cfg(all(
    target_arch = "wasm32",
    target_os = "unknown",
    not(target_feature = "atomics")
))]
pub use wasm::{Pages, WasmHeap};

/// How far the global heap has carved (see [`wasm::carved_bytes`]).
#[cfg(all(
    feature = "small-heap",
    target_arch = "wasm32",
    target_os = "unknown",
    not(target_feature = "atomics")
))]
pub use wasm::carved_bytes;

#[cfg(all(
    target_arch = "wasm32",
    target_os = "unknown",
    not(target_feature = "atomics")
))]
mod wasm;
