//! The wasm build's allocator (src/heap/), case by case at its edges: what
//! no block can hold, a freed block used again, a region that runs out.
#![cfg(not(target_arch = "wasm32"))]

use std::alloc::Layout;

use cross_tab_refresh::heap::{Heap, MAX_ALIGN};

mod heap;
use heap::{Buffer, Live, check, fill, free_all};

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
    let granted = buffer.granted.clone();
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
        let second = heap.alloc(Layout::from_size_align(16_000, 4096).unwrap());
        assert!(!second.is_null());
        assert_eq!(second as usize % 4096, 0);
        let second = Live {
            ptr: second,
            layout: Layout::from_size_align(16_000, 4096).unwrap(),
            tag: 9,
        };
        for block in live.iter().chain([&second]) {
            granted.assert_holds(block);
        }
        for block in &live {
            check(block);
        }
        heap.dealloc(ptr, small);
        heap.dealloc(second.ptr, second.layout);
        free_all(&mut heap, live);
    }
}
