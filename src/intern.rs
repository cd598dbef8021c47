//! Texts held once however often the inputs say them: a busy capture asks the same few DNS
//! names thousands of times, and its thousands of sessions repeat a few dozen sentences.

use std::sync::Arc;

/// Texts held once however often they are said (a busy capture's DNS names, the sentences
/// its sessions repeat), up to a bound: past [`Interner::MAX`] different texts, a text is
/// copied and not held. foldhash's per-process seed: a crafted capture cannot aim at its
/// collisions.
#[derive(Default)]
pub struct Interner(foldhash::HashSet<Arc<str>>);

impl Interner {
    pub const MAX: usize = 100_000;

    pub fn get(&mut self, text: &str) -> Arc<str> {
        if let Some(shared) = self.0.get(text) {
            return shared.clone();
        }
        let shared: Arc<str> = text.into();
        if self.0.len() < Self::MAX {
            self.0.insert(shared.clone());
        }
        shared
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_said_twice_is_held_once() {
        let mut held = Interner::default();
        let a = held.get("_collab-edge._tls.example.com");
        let b = held.get(&String::from("_collab-edge._tls.example.com"));
        assert!(Arc::ptr_eq(&a, &b));
        let c = held.get("expe1.example.com");
        assert_eq!(&*c, "expe1.example.com");
        assert!(!Arc::ptr_eq(&a, &c));
    }

    #[test]
    fn past_its_bound_a_text_is_copied_not_held() {
        let mut held = Interner::default();
        for i in 0..Interner::MAX {
            held.get(&i.to_string());
        }
        let a = held.get("one more");
        let b = held.get("one more");
        assert_eq!(a, b);
        assert!(!Arc::ptr_eq(&a, &b));
        // What was held before the bound is still shared.
        assert!(Arc::ptr_eq(&held.get("7"), &held.get("7")));
    }
}
