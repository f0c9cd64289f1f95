//! The allocator of the `lint403` binary, and the one setting it runs with.
//!
//! mimalloc: a check allocates and frees millions of small nodes per large
//! configuration, and its thread-local free lists cost a fraction of glibc
//! malloc's there (see `docs/performance.md`).

pub use mimalloc::MiMalloc as Allocator;

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
