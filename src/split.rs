//! One large document parsed on several threads.
//!
//! The big arrays of a report (`usageDetails` and `organizationsUsage`, in the report and
//! in its appendices) are read through [`opt_vec`]. Normally it parses them as any other
//! field. While a split parse runs on the thread (`with`, set by the loader around the
//! top-level parse of a file it chose to split), an array longer than the set number of
//! items has its first items parsed in place and the rest read as borrowed raw slices of
//! the text (a cheap scan that only checks the syntax), then parsed in parallel with
//! rayon, in order.
//!
//! The items are parsed by the same typed, strict parser as the whole document, so a
//! document parsed this way gives the same value as a sequential parse. Errors are not
//! reproduced here: on any error the loader parses the file again without splitting, so
//! that every message, pointer, line and column is that of the sequential parse.

use rayon::prelude::*;
use serde::de::{self, Error as _, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;
use std::cell::Cell;
use std::fmt;
use std::marker::PhantomData;
use std::sync::OnceLock;

thread_local! {
    /// `Some(n)`: the top-level parse running on this thread splits arrays of at least `n`
    /// items.
    static MIN_ITEMS: Cell<Option<usize>> = const { Cell::new(None) };
    /// Arrays split by parses that ran on this thread.
    static SPLIT_ARRAYS: Cell<usize> = const { Cell::new(0) };
}

/// How many arrays the parses run on this thread have split so far: lets tests tell that
/// the split path ran.
#[doc(hidden)]
#[must_use]
pub fn arrays_split_on_this_thread() -> usize {
    SPLIT_ARRAYS.get()
}

/// Runs `f` with splitting set to `min_items` on this thread, and restores the previous
/// setting afterwards (also when `f` panics). Rayon may run another file's job on this
/// thread while it waits: each parse sets its own value, and the value is cleared while
/// this thread waits for the items (see [`opt_vec`]), so no job sees another's setting.
pub(crate) fn with<R>(min_items: Option<usize>, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<usize>);
    impl Drop for Restore {
        fn drop(&mut self) {
            MIN_ITEMS.set(self.0);
        }
    }
    let _restore = Restore(MIN_ITEMS.replace(min_items));
    f()
}

/// `#[serde(deserialize_with = "crate::split::opt_vec")]` for a nullable array that may be
/// large. The schema is unchanged (`schemars` reads `with`, not `deserialize_with`).
///
/// While splitting is set to `n`, the first `n` items are parsed in place, as without
/// splitting (a short array costs nothing more); the rest of a longer array is read as raw
/// slices, then parsed in parallel.
///
/// # Errors
/// Those of the items' parse; when splitting, their text is not that of the sequential
/// parse (the loader parses again without splitting to report them).
pub fn opt_vec<'de, D, T>(d: D) -> Result<Option<Vec<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default + Send,
{
    match MIN_ITEMS.get() {
        None => Option::<Vec<T>>::deserialize(d),
        Some(min_items) => d.deserialize_option(OptVecVisitor {
            min_items,
            items: PhantomData,
        }),
    }
}

struct OptVecVisitor<T> {
    min_items: usize,
    items: PhantomData<T>,
}

impl<'de, T: Deserialize<'de> + Default + Send> Visitor<'de> for OptVecVisitor<T> {
    type Value = Option<Vec<T>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array or null")
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while items.len() < self.min_items {
            match seq.next_element::<T>()? {
                Some(item) => items.push(item),
                None => return Ok(Some(items)),
            }
        }
        let mut raws: Vec<&'de RawValue> = Vec::new();
        while let Some(raw) = seq.next_element::<&'de RawValue>()? {
            raws.push(raw);
        }
        if raws.is_empty() {
            return Ok(Some(items));
        }
        SPLIT_ARRAYS.set(SPLIT_ARRAYS.get() + 1);
        // The items are written in place after the first ones (one exact allocation, no
        // intermediate vectors); an item that fails leaves a default in its place and its
        // error here, which fails the whole parse.
        let failed = OnceLock::new();
        items.reserve_exact(raws.len());
        // The items are read at their depth in the document (see `strict::MAX_DEPTH`).
        let depth = crate::strict::depth();
        // Nothing nested splits, and a job rayon runs on this thread while it waits for
        // the items must not see this parse's setting.
        with(None, || {
            items.par_extend(raws.par_iter().map(|raw| {
                with(None, || crate::strict::from_str_at::<T>(raw.get(), depth)).unwrap_or_else(
                    |e| {
                        let _ = failed.set(e);
                        T::default()
                    },
                )
            }));
        });
        match failed.into_inner() {
            None => Ok(Some(items)),
            Some(e) => Err(A::Error::custom(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SingleLicenseReport;

    fn split_parse(text: &str, min: usize) -> serde_json::Result<SingleLicenseReport> {
        with(Some(min), || crate::strict::from_str(text))
    }

    #[test]
    fn split_and_sequential_parses_agree() {
        let text = r#"{"organizationsUsage": [
            {"organizationUid": "a", "usedPoints": 1.50},
            {"organizationUid": "b", "usedPoints": 2, "x": [[[{}]]]},
            {"organizationUid": "c", "usedPoints": 0.33}
        ], "usageDetails": null, "appendices": [{"organizationsUsage": [
            {"organizationUid": "d", "usedPoints": 1e1}]}]}"#;
        let plain: SingleLicenseReport = crate::strict::from_str(text).unwrap();
        for min in [1, 2, 3, 100] {
            // (min 1 and 2 split the three organizations; 3 and 100 do not.)
            assert_eq!(split_parse(text, min).unwrap(), plain, "min {min}");
        }
        assert_eq!(plain.organizations()[2].used_points.to_string(), "0.33");
    }

    #[test]
    fn items_are_parsed_apart_when_split() {
        // An item's error is at its place in the document when parsed in one go, and at
        // its place in the item's own text when the array was split.
        let text = "{\"organizationsUsage\": [\n{\"organizationUid\": \"a\", \"usedPoints\": 1},\n{\"organizationUid\": 1, \"usedPoints\": 1}]}";
        let plain = crate::strict::from_str::<SingleLicenseReport>(text).unwrap_err();
        assert_eq!(plain.line(), 3);
        let before = arrays_split_on_this_thread();
        let split = split_parse(text, 1).unwrap_err();
        assert_eq!(split.line(), 1);
        assert_eq!(arrays_split_on_this_thread(), before + 1);
        // The first items are parsed in place: not split.
        assert_eq!(split_parse(text, 2).unwrap_err().line(), 3);
        assert_eq!(arrays_split_on_this_thread(), before + 1);
    }

    #[test]
    fn split_parse_refuses_what_the_sequential_parse_refuses() {
        for text in [
            r#"{"organizationsUsage": [{"organizationUid": "a", "usedPoints": 1}, []]}"#,
            r#"{"organizationsUsage": [{"organizationUid": "a", "usedPoints": 1}, {"usedPoints": 1}]}"#,
            r#"{"organizationsUsage": [{"organizationUid": "a", "usedPoints": 1}, 1]}"#,
            r#"{"organizationsUsage": [{"organizationUid": "a", "usedPoints": 1},]}"#,
            r#"{"organizationsUsage": [{"organizationUid": "a", "usedPoints": 1}] "#,
            r#"{"organizationsUsage": {}}"#,
        ] {
            assert!(crate::strict::from_str::<SingleLicenseReport>(text).is_err());
            assert!(split_parse(text, 1).is_err(), "{text}");
        }
    }

    #[test]
    fn the_setting_is_restored() {
        assert_eq!(MIN_ITEMS.get(), None);
        with(Some(3), || {
            assert_eq!(MIN_ITEMS.get(), Some(3));
            with(None, || assert_eq!(MIN_ITEMS.get(), None));
            assert_eq!(MIN_ITEMS.get(), Some(3));
        });
        assert_eq!(MIN_ITEMS.get(), None);
        let caught = std::panic::catch_unwind(|| with(Some(1), || panic!("boom")));
        assert!(caught.is_err());
        assert_eq!(MIN_ITEMS.get(), None);
    }
}
