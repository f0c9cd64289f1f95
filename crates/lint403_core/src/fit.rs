//! Lists without spare room, for the ones a large configuration keeps by
//! the hundred thousand.
//!
//! `Vec::shrink_to_fit` asks the allocator to shrink in place, and
//! mimalloc (the binary's allocator) keeps a block that is asked to
//! shrink by less than half, spare room and all: a list grown by doubling
//! never gives anything back that way.

/// `list` in a block of exactly its length (moved into a fresh one when
/// it has spare room).
pub fn exactly<T>(list: Vec<T>) -> Vec<T> {
    if list.capacity() == list.len() {
        return list;
    }
    let mut exact = Vec::with_capacity(list.len());
    exact.extend(list);
    exact
}

/// [`exactly`] in place.
pub fn exactly_in<T>(list: &mut Vec<T>) {
    if list.capacity() != list.len() {
        *list = exactly(std::mem::take(list));
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_list_keeps_its_items_and_loses_its_room() {
        let mut list: Vec<String> = Vec::with_capacity(10);
        list.extend(["a".to_string(), "b".to_string(), "c".to_string()]);
        super::exactly_in(&mut list);
        assert_eq!(list, ["a", "b", "c"]);
        assert_eq!(list.capacity(), 3);
        let empty = super::exactly(Vec::<u8>::with_capacity(4));
        assert_eq!(empty.capacity(), 0);
    }
}
