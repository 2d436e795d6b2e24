//! The wasm build's allocator (src/heap.rs), checked on the host over a
//! buffer: every block is aligned, inside the region and apart from every
//! other live block, keeps its contents through a resize, and what is freed
//! is used again, so that a repeated workload stops growing.
#![cfg(not(target_arch = "wasm32"))]

use std::alloc::Layout;

use cross_tab_refresh::heap::{Heap, MAX_ALIGN, Region};
use proptest::prelude::*;

/// A buffer handed out in chunks, like `memory.grow`: `page`-sized ones
/// (8 bytes: any multiple of 8), with `spaced` each a page after the previous
/// one ends (as pages another allocator took would be), and none after
/// `grows_left` chunks.
struct Buffer {
    words: Vec<u64>,
    base: usize,
    used: usize,
    page: usize,
    spaced: bool,
    grows_left: usize,
}

impl Buffer {
    fn new(len: usize, page: usize, spaced: bool) -> Self {
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

    fn end(&self) -> usize {
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

#[derive(Clone, Debug)]
enum Op {
    Alloc { size: usize, align_shift: u32 },
    Free(usize),
    Resize(usize, usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (prop_oneof![1usize..64, 1usize..5000, 60_000usize..140_000], prop_oneof![0u32..8, 8u32..=16])
            .prop_map(|(size, align_shift)| Op::Alloc { size, align_shift }),
        2 => any::<usize>().prop_map(Op::Free),
        1 => (any::<usize>(), prop_oneof![1usize..9000, 60_000usize..140_000]).prop_map(|(i, size)| Op::Resize(i, size)),
    ]
}

struct Live {
    ptr: *mut u8,
    layout: Layout,
    tag: u8,
}

fn fill(block: &Live) {
    // SAFETY: the block is live and `layout.size()` bytes long.
    unsafe { std::ptr::write_bytes(block.ptr, block.tag, block.layout.size()) };
}

fn check(block: &Live) {
    // SAFETY: as in `fill`.
    let bytes = unsafe { std::slice::from_raw_parts(block.ptr, block.layout.size()) };
    assert!(
        bytes.iter().all(|&b| b == block.tag),
        "a block was overwritten"
    );
}

/// Runs `ops`, checking every block; returns the live blocks. With
/// `may_run_out`, an allocation or a growing resize may fail (and changes
/// nothing); otherwise that fails the test.
fn run(
    heap: &mut Heap<Buffer>,
    ops: &[Op],
    region: (usize, usize),
    may_run_out: bool,
) -> Vec<Live> {
    let mut live: Vec<Live> = Vec::new();
    for (n, op) in ops.iter().enumerate() {
        let tag = (n % 251) as u8 + 1;
        match *op {
            Op::Alloc { size, align_shift } => {
                let layout = Layout::from_size_align(size, 1 << align_shift).unwrap();
                // SAFETY: the buffer is the heap's alone.
                let ptr = unsafe { heap.alloc(layout) };
                if ptr.is_null() && may_run_out {
                    continue;
                }
                assert!(!ptr.is_null(), "the region ran out");
                let block = Live { ptr, layout, tag };
                fill(&block);
                live.push(block);
            }
            Op::Free(i) if !live.is_empty() => {
                let block = live.swap_remove(i % live.len());
                check(&block);
                // SAFETY: allocated by this heap with this layout, freed once.
                unsafe { heap.dealloc(block.ptr, block.layout) };
            }
            Op::Resize(i, size) if !live.is_empty() => {
                let i = i % live.len();
                check(&live[i]);
                let old = &live[i];
                // SAFETY: as for dealloc.
                let ptr = unsafe { heap.realloc(old.ptr, old.layout, size) };
                if ptr.is_null() && may_run_out && size > old.layout.size() {
                    continue;
                }
                assert!(!ptr.is_null(), "the region ran out");
                let kept = old.layout.size().min(size);
                // SAFETY: the new block is at least `size` bytes.
                let bytes = unsafe { std::slice::from_raw_parts(ptr, kept) };
                assert!(
                    bytes.iter().all(|&b| b == old.tag),
                    "a resize lost the contents"
                );
                live[i] = Live {
                    ptr,
                    layout: Layout::from_size_align(size, old.layout.align()).unwrap(),
                    tag,
                };
                fill(&live[i]);
            }
            _ => {}
        }
        for block in &live {
            let at = block.ptr as usize;
            assert_eq!(at % block.layout.align(), 0, "misaligned");
            assert!(
                at >= region.0 && at + block.layout.size() <= region.1,
                "outside the region"
            );
        }
        let mut spans: Vec<(usize, usize)> = live
            .iter()
            .map(|b| (b.ptr as usize, b.ptr as usize + b.layout.size()))
            .collect();
        spans.sort_unstable();
        assert!(
            spans.windows(2).all(|w| w[0].1 <= w[1].0),
            "two live blocks overlap"
        );
    }
    for block in &live {
        check(block);
    }
    live
}

fn free_all(heap: &mut Heap<Buffer>, live: Vec<Live>) {
    for block in live {
        // SAFETY: allocated by this heap with this layout, freed once.
        unsafe { heap.dealloc(block.ptr, block.layout) };
    }
}

/// Chunks of 8 bytes (any size) or of 64 KiB pages (as `memory.grow`).
fn page() -> impl Strategy<Value = usize> {
    prop_oneof![Just(8usize), Just(MAX_ALIGN)]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Every block aligned, inside, apart and kept (checked by `run`), and
    /// the same workload again, after everything was freed, grows nothing.
    #[test]
    fn blocks_are_kept_apart_and_a_repeated_workload_stops_growing(ops in prop::collection::vec(op(), 1..120), page in page(), spaced: bool) {
        let buffer = Buffer::new(96 << 20, page, spaced);
        let region = (buffer.base, buffer.end());
        let mut heap = Heap::new(buffer);
        let live = run(&mut heap, &ops, region, false);
        free_all(&mut heap, live);
        let carved = heap.carved_to();
        for _ in 0..3 {
            let live = run(&mut heap, &ops, region, false);
            free_all(&mut heap, live);
        }
        prop_assert_eq!(heap.carved_to(), carved, "freed blocks were not used again");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// A region that stops growing: freed blocks are split for smaller ones,
    /// and no split block overlaps another.
    #[test]
    fn a_heap_that_cannot_grow_splits_what_was_freed(ops in prop::collection::vec(op(), 1..160), grows in 1usize..5) {
        let mut buffer = Buffer::new(8 << 20, MAX_ALIGN, true);
        buffer.grows_left = grows;
        let region = (buffer.base, buffer.end());
        let mut heap = Heap::new(buffer);
        let live = run(&mut heap, &ops, region, true);
        free_all(&mut heap, live);
        let live = run(&mut heap, &ops, region, true);
        free_all(&mut heap, live);
    }
}

#[test]
fn what_no_block_can_hold_is_refused() {
    let mut heap = Heap::new(Buffer::new(1 << 20, 8, false));
    let too_aligned = Layout::from_size_align(8, MAX_ALIGN * 2).unwrap();
    let too_big = Layout::from_size_align(1 << 31 | 1, 8).unwrap();
    // SAFETY: the buffer is the heap's alone.
    unsafe {
        assert!(heap.alloc(too_aligned).is_null());
        assert!(heap.alloc(too_big).is_null());
        // The region (1 MiB) cannot hold 2 MiB.
        assert!(
            heap.alloc(Layout::from_size_align(2 << 20, 8).unwrap())
                .is_null()
        );
        assert!(
            !heap
                .alloc(Layout::from_size_align(100, 8).unwrap())
                .is_null()
        );
    }
}

#[test]
fn a_block_freed_is_the_next_of_its_class() {
    let mut heap = Heap::new(Buffer::new(1 << 20, 8, false));
    let layout = Layout::from_size_align(24, 8).unwrap();
    // SAFETY: the buffer is the heap's alone; each block is freed once.
    unsafe {
        let first = heap.alloc(layout);
        let second = heap.alloc(layout);
        assert_ne!(first, second);
        heap.dealloc(first, layout);
        // 17..=32 bytes are one class.
        assert_eq!(heap.alloc(Layout::from_size_align(32, 4).unwrap()), first);
        // A resize within the class keeps the block.
        assert_eq!(heap.realloc(second, layout, 30), second);
    }
}

#[test]
fn a_region_that_runs_out_leaves_the_heap_whole() {
    let mut buffer = Buffer::new(8 << 20, MAX_ALIGN, true);
    buffer.grows_left = 3;
    let region = (buffer.base, buffer.end());
    let mut heap = Heap::new(buffer);
    let small = Layout::from_size_align(40, 8).unwrap();
    let mut live = Vec::new();
    // SAFETY: the buffer is the heap's alone; each block is freed once.
    unsafe {
        // Until the third chunk is used up and no fourth comes.
        loop {
            let ptr = heap.alloc(Layout::from_size_align(50_000, 16).unwrap());
            if ptr.is_null() {
                break;
            }
            let block = Live {
                ptr,
                layout: Layout::from_size_align(50_000, 16).unwrap(),
                tag: 7,
            };
            fill(&block);
            live.push(block);
        }
        assert!(
            live.len() >= 3,
            "{} blocks before the region ran out",
            live.len()
        );
        assert!(heap.alloc(small).is_null(), "the region is full");
        // A shrink that finds no smaller block keeps the block.
        let last = live.pop().unwrap();
        let kept = heap.realloc(last.ptr, last.layout, 20_000);
        assert_eq!(kept, last.ptr);
        heap.dealloc(kept, Layout::from_size_align(20_000, 16).unwrap());
        // Small blocks now come from the block freed, split.
        let ptr = heap.alloc(small);
        assert!(
            !ptr.is_null(),
            "a freed block was not split for a smaller one"
        );
        let at = ptr as usize;
        assert!(at >= last.ptr as usize && at + 40 <= last.ptr as usize + 50_000);
        assert!(at >= region.0 && at + 40 <= region.1);
        let second = heap.alloc(Layout::from_size_align(16_000, 4096).unwrap());
        assert!(!second.is_null());
        assert_eq!(second as usize % 4096, 0);
        for block in &live {
            check(block);
        }
        heap.dealloc(ptr, small);
        free_all(&mut heap, live);
    }
}
