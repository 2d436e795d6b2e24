//! The wasm build's allocator (src/heap/), checked on the host over a
//! buffer: every block is aligned, inside a chunk the region handed out and apart from every
//! other live block, keeps its contents through a resize, and what is freed
//! is used again, so that a repeated workload stops growing. The cases of
//! its edges are in `core_heap_cases.rs`.
#![cfg(not(target_arch = "wasm32"))]

use std::alloc::Layout;

use cross_tab_refresh::heap::{Heap, MAX_ALIGN};
use proptest::prelude::*;

mod heap;
use heap::{Buffer, Granted, Live, check, fill, free_all};

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

/// Runs `ops`, checking every block; returns the live blocks. With
/// `may_run_out`, an allocation or a growing resize may fail (and changes
/// nothing); otherwise that fails the test.
fn run(heap: &mut Heap<Buffer>, ops: &[Op], granted: &Granted, may_run_out: bool) -> Vec<Live> {
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
            granted.assert_holds(block);
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
        let granted = buffer.granted.clone();
        let mut heap = Heap::new(buffer);
        let live = run(&mut heap, &ops, &granted, false);
        free_all(&mut heap, live);
        let carved = heap.carved_to();
        for _ in 0..3 {
            let live = run(&mut heap, &ops, &granted, false);
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
        let granted = buffer.granted.clone();
        let mut heap = Heap::new(buffer);
        let live = run(&mut heap, &ops, &granted, true);
        free_all(&mut heap, live);
        let live = run(&mut heap, &ops, &granted, true);
        free_all(&mut heap, live);
    }
}
