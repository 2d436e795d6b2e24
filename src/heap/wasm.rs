//! The heap over the wasm module's memory, as the global allocator of the
//! wasm build when the `small-heap` feature is on.

use super::{Heap, Layout, MAX_ALIGN, Region};

/// `memory.grow` of the wasm module's memory.
pub struct Pages;

// SAFETY: the pages `memory.grow` just added are new, page-aligned memory
// that no other code was given (other allocators get pages of their own).
unsafe impl Region for Pages {
    fn grow(&mut self, bytes: usize) -> Option<(usize, usize)> {
        let pages = bytes.div_ceil(MAX_ALIGN);
        let before = core::arch::wasm32::memory_grow(0, pages);
        (before != usize::MAX).then(|| (before * MAX_ALIGN, pages * MAX_ALIGN))
    }
}

/// The [`Heap`] over the module's memory, as a global allocator.
pub struct WasmHeap(core::cell::UnsafeCell<Heap<Pages>>);

// SAFETY: this build has no threads (no `atomics` target feature, in the cfg
// above), so the heap is never used concurrently, and an allocator's methods
// never call each other.
unsafe impl Sync for WasmHeap {}

impl WasmHeap {
    /// An empty heap.
    pub const fn new() -> Self {
        Self(core::cell::UnsafeCell::new(Heap::new(Pages)))
    }
}

impl Default for WasmHeap {
    fn default() -> Self {
        Self::new()
    }
}

// SAFETY: the heap hands out disjoint blocks of at least the layout's size
// and alignment, carved only from pages it grew itself.
unsafe impl core::alloc::GlobalAlloc for WasmHeap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: one thread, and no allocator method runs inside another.
        unsafe { (*self.0.get()).alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above; the caller's promises are the heap's.
        unsafe { (*self.0.get()).dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as above.
        unsafe { (*self.0.get()).realloc(ptr, layout, new_size) }
    }
}

#[cfg(feature = "small-heap")]
#[global_allocator]
static HEAP: WasmHeap = WasmHeap::new();

/// How far the global heap has carved into its pages (an address: the
/// difference of two readings is the bytes carved between them). It grows
/// only when no freed block of a size class is left to reuse, so a steady
/// use that frees what it takes leaves it where it is (for the tests of
/// leaks).
#[cfg(feature = "small-heap")]
pub fn carved_bytes() -> usize {
    // SAFETY: one thread, and no allocator method is running.
    unsafe { (*HEAP.0.get()).carved_to() }
}
