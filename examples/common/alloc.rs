//! A counting global allocator for the memory examples: live and peak heap
//! bytes (requested sizes) on top of the daemon's own allocator (jemalloc
//! where the daemon uses it, else `System`), so the resident set is the
//! daemon's too.
//!
//! Include it with `#[path = "common/alloc.rs"] mod alloc;`: the module
//! installs itself as the example's global allocator. (The library forbids
//! `unsafe`, so this stays out of it.)
// Not every example reads every counter.
#![allow(dead_code)]

use std::alloc::{GlobalAlloc, Layout};

/// The allocator under the counts: the daemon's (see `src/main.rs`).
#[cfg(all(target_os = "linux", not(target_env = "musl")))]
const INNER: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;
#[cfg(not(all(target_os = "linux", not(target_env = "musl"))))]
const INNER: std::alloc::System = std::alloc::System;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Counts live and peak heap bytes (requested sizes) on top of [`INNER`].
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

/// Heap bytes allocated and not yet freed.
pub fn live() -> usize {
    LIVE.load(Ordering::Relaxed)
}

/// The most heap bytes live at once, since the start or [`reset_peak`].
pub fn peak() -> usize {
    PEAK.load(Ordering::Relaxed)
}

/// Restarts the peak from what is live now, and returns that.
pub fn reset_peak() -> usize {
    let now = live();
    PEAK.store(now, Ordering::Relaxed);
    now
}

fn grew(n: usize) {
    let now = LIVE.fetch_add(n, Ordering::Relaxed) + n;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

fn shrank(n: usize) {
    LIVE.fetch_sub(n, Ordering::Relaxed);
}

// SAFETY: every call is forwarded unchanged to `INNER`, which upholds the
// `GlobalAlloc` contract; the counters only observe sizes.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = INNER.alloc(layout);
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = INNER.alloc_zeroed(layout);
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        INNER.dealloc(ptr, layout);
        shrank(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = INNER.realloc(ptr, layout, new_size);
        if !p.is_null() {
            if new_size >= layout.size() {
                grew(new_size - layout.size());
            } else {
                shrank(layout.size() - new_size);
            }
        }
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;
