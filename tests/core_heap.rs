//! The wasm build's allocator (src/heap.rs), checked on the host over a
//! buffer: every block is aligned, inside the region and apart from every
//! other live block, keeps its contents through a resize, and what is freed
//! is used again, so that a repeated workload stops growing.
#![cfg(not(target_arch = "wasm32"))]

use std::alloc::Layout;

use cross_tab_refresh::heap::{Heap, MAX_ALIGN, Region};
use proptest::prelude::*;

/// A buffer handed out in chunks; with `spaced`, each chunk starts a little
/// after the previous one ends (as memory another allocator took would).
struct Buffer {
    base: usize,
    used: usize,
    len: usize,
    spaced: bool,
    grows: usize,
}

impl Buffer {
    fn new(len: usize, spaced: bool) -> Self {
        let words = vec![0u64; len / 8].leak();
        Self {
            base: words.as_mut_ptr() as usize,
            used: 0,
            len,
            spaced,
            grows: 0,
        }
    }
}

impl Region for Buffer {
    fn grow(&mut self, bytes: usize) -> Option<(usize, usize)> {
        if self.spaced && self.used > 0 {
            self.used += 24;
        }
        let bytes = bytes.next_multiple_of(8);
        (self.used + bytes <= self.len).then(|| {
            let at = self.base + self.used;
            self.used += bytes;
            self.grows += 1;
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
        4 => (prop_oneof![1usize..64, 1usize..5000, 60_000usize..140_000], 0u32..8)
            .prop_map(|(size, align_shift)| Op::Alloc { size, align_shift }),
        2 => any::<usize>().prop_map(Op::Free),
        1 => (any::<usize>(), 1usize..9000).prop_map(|(i, size)| Op::Resize(i, size)),
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

/// Runs `ops`, checking every block; returns the live blocks.
fn run(heap: &mut Heap<Buffer>, ops: &[Op], region: (usize, usize)) -> Vec<Live> {
    let mut live: Vec<Live> = Vec::new();
    for (n, op) in ops.iter().enumerate() {
        let tag = (n % 251) as u8 + 1;
        match *op {
            Op::Alloc { size, align_shift } => {
                let layout = Layout::from_size_align(size, 1 << align_shift).unwrap();
                // SAFETY: the buffer is the heap's alone.
                let ptr = unsafe { heap.alloc(layout) };
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

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn blocks_are_aligned_apart_and_kept(ops in prop::collection::vec(op(), 1..120), spaced: bool) {
        let buffer = Buffer::new(64 << 20, spaced);
        let region = (buffer.base, buffer.base + buffer.len);
        let mut heap = Heap::new(buffer);
        let live = run(&mut heap, &ops, region);
        free_all(&mut heap, live);
    }

    #[test]
    fn a_repeated_workload_stops_growing(ops in prop::collection::vec(op(), 1..120)) {
        let buffer = Buffer::new(64 << 20, false);
        let region = (buffer.base, buffer.base + buffer.len);
        let mut heap = Heap::new(buffer);
        let live = run(&mut heap, &ops, region);
        free_all(&mut heap, live);
        let carved = heap.carved_to();
        for _ in 0..3 {
            let live = run(&mut heap, &ops, region);
            free_all(&mut heap, live);
        }
        prop_assert_eq!(heap.carved_to(), carved, "freed blocks were not used again");
    }
}

#[test]
fn what_no_block_can_hold_is_refused() {
    let mut heap = Heap::new(Buffer::new(1 << 20, false));
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
    let mut heap = Heap::new(Buffer::new(1 << 20, false));
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
