//! The allocator of the `lint403` binary, and the one setting it runs with.
//!
//! mimalloc: a check allocates and frees millions of small nodes per large
//! configuration, and its thread-local free lists cost a fraction of glibc
//! malloc's there (see `docs/performance.md`).

use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;

use libmimalloc_sys as mi;

/// mimalloc as Rust's global allocator. Allocations that need no more
/// alignment than every mimalloc block has go through `mi_malloc`; only
/// the others take `mi_malloc_aligned`, whose checks and calls cost about
/// twice as much per allocation (8 % of the Apache part's instructions
/// when every allocation took it, as the `mimalloc` crate's allocator
/// does).
pub struct Allocator;

/// The alignment of every mimalloc block of at least this many bytes:
/// its size classes up to eight words are rounded to two words (16
/// bytes, `MI_MAX_ALIGN_SIZE`, with `MI_ALIGN2W`), the larger ones are
/// multiples of that, and a block smaller than 16 bytes is a one-word
/// block, aligned to its size. The same rule as the standard library's
/// `System` allocator on this platform.
const GUARANTEED_ALIGN: usize = 16;

fn plain(layout: Layout) -> bool {
    layout.align() <= GUARANTEED_ALIGN && layout.align() <= layout.size()
}

fn plain_size(align: usize, size: usize) -> bool {
    align <= GUARANTEED_ALIGN && align <= size
}

// SAFETY: every pointer handed out comes from mimalloc and is freed by
// `mi_free`, which takes blocks of any of its allocation functions; the
// alignment a layout asks for is met by `mi_malloc`'s blocks when
// `plain` holds (see `GUARANTEED_ALIGN`), and by the `_aligned`
// functions otherwise.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Allocator {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: FFI calls that take any size and alignment.
        unsafe {
            if plain(layout) {
                mi::mi_malloc(layout.size()).cast()
            } else {
                mi::mi_malloc_aligned(layout.size(), layout.align()).cast()
            }
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        unsafe {
            if plain(layout) {
                mi::mi_zalloc(layout.size()).cast()
            } else {
                mi::mi_zalloc_aligned(layout.size(), layout.align()).cast()
            }
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        // SAFETY: `ptr` came from this allocator, that is from mimalloc.
        unsafe { mi::mi_free(ptr.cast::<c_void>()) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` came from mimalloc; the new block keeps the
        // layout's alignment by the rule of `alloc`.
        unsafe {
            if plain_size(layout.align(), new_size) {
                mi::mi_realloc(ptr.cast::<c_void>(), new_size).cast()
            } else {
                mi::mi_realloc_aligned(ptr.cast::<c_void>(), new_size, layout.align()).cast()
            }
        }
    }
}

/// How long, in milliseconds, memory a check freed stays with the process
/// before mimalloc gives it back to the system. mimalloc's own default is
/// a second: long enough that the memory of a large nginx configuration,
/// freed once checked, was still held while the next large file (an
/// Apache configuration) was parsed, and the two peaks added up (the
/// delays measured, and what each cost in system time, are in
/// `docs/performance.md`, twelfth session).
pub const PURGE_DELAY_MS: i32 = 50;

/// mimalloc's index of the purge delay among its options
/// (`mi_option_purge_delay` in the `mimalloc.h` the `libmimalloc-sys` in
/// use builds; that crate names no constant for it).
const PURGE_DELAY_OPTION: libmimalloc_sys::mi_option_t = 15;

/// The environment variable by which a user sets the delay themselves;
/// when it is set, [`tune`] leaves the delay as mimalloc read it.
const PURGE_DELAY_VARIABLE: &str = "MIMALLOC_PURGE_DELAY";

/// Sets the purge delay to [`PURGE_DELAY_MS`], unless the environment
/// sets it ([`PURGE_DELAY_VARIABLE`]). Called first thing in `main`.
pub fn tune() {
    if std::env::var_os(PURGE_DELAY_VARIABLE).is_some() {
        return;
    }
    set_option(PURGE_DELAY_OPTION, PURGE_DELAY_MS);
}

/// From now on, memory the process frees stays with it until it exits:
/// called once the check is done, when what is left is to write the
/// report and exit. At exit mimalloc gave back, page range by page range,
/// the memory of the trees freed at the end of the check (10 ms of the
/// scale-100 benchmark's nginx part), which the exit gives back at once.
pub fn keep_freed_memory() {
    set_option(PURGE_DELAY_OPTION, NEVER_PURGE);
}

/// A purge delay below zero: mimalloc never gives freed memory back.
const NEVER_PURGE: i32 = -1;

#[allow(unsafe_code)]
fn set_option(option: libmimalloc_sys::mi_option_t, value: i32) {
    // SAFETY: `mi_option_set` stores one value in mimalloc's table of
    // options, which it reads atomically; it checks the index, takes any
    // value and may be called at any time from any thread.
    unsafe { libmimalloc_sys::mi_option_set(option, value.into()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every size and alignment a program asks for gets a block aligned
    /// as asked, through either path, and keeps it when reallocated.
    #[test]
    #[allow(unsafe_code)]
    fn blocks_are_aligned_as_asked() {
        let allocator = Allocator;
        for align in [1, 2, 4, 8, 16, 32, 64, 4096] {
            for size in (1..=300).chain([1000, 1024, 4000, 70_000, 1 << 20]) {
                let Ok(layout) = Layout::from_size_align(size, align) else {
                    continue;
                };
                // SAFETY: a layout of non-zero size; each block is
                // written within its size and freed once.
                unsafe {
                    let block = allocator.alloc(layout);
                    assert!(!block.is_null());
                    assert_eq!(block as usize % align, 0, "size {size}, align {align}");
                    block.write_bytes(0xa5, size);
                    let grown = allocator.realloc(block, layout, size * 3);
                    assert_eq!(
                        grown as usize % align,
                        0,
                        "realloc of size {size}, align {align}"
                    );
                    assert_eq!(*grown.add(size - 1), 0xa5, "realloc keeps the bytes");
                    allocator.dealloc(grown, Layout::from_size_align_unchecked(size * 3, align));
                    let zeroed = allocator.alloc_zeroed(layout);
                    assert_eq!(zeroed as usize % align, 0);
                    assert!((0..size).all(|at| *zeroed.add(at) == 0));
                    allocator.dealloc(zeroed, layout);
                }
            }
        }
    }

    #[allow(unsafe_code)]
    fn option(option: libmimalloc_sys::mi_option_t) -> std::os::raw::c_long {
        // SAFETY: as for `set_option`: a checked read of the table of options.
        unsafe { libmimalloc_sys::mi_option_get(option) }
    }

    /// Option 15 is the purge delay: it starts at mimalloc's default of
    /// 1000 ms, and [`tune`] sets it. A mimalloc whose options were
    /// renumbered fails here rather than having some other option set.
    #[test]
    fn tune_sets_the_purge_delay() {
        if std::env::var_os(PURGE_DELAY_VARIABLE).is_some() {
            eprintln!("skipped: {PURGE_DELAY_VARIABLE} is set");
            return;
        }
        assert_eq!(option(PURGE_DELAY_OPTION), 1000);
        tune();
        assert_eq!(option(PURGE_DELAY_OPTION), PURGE_DELAY_MS.into());
        keep_freed_memory();
        assert_eq!(option(PURGE_DELAY_OPTION), NEVER_PURGE.into());
    }
}
